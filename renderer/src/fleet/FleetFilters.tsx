import { memo, startTransition, useState } from 'react';
import { MultiSelect, Switch, TextInput } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { DomainState, HostEntry } from '../../../preload/api-contract';
import { FleetAverageControls, type FleetAverageChoice } from '../metrics-history/FleetAverageControls';
import type { FleetFilter } from './fleet-query';

const STATES: DomainState[] = ['running', 'paused', 'shutoff', 'crashed', 'pmsuspended', 'shutdown', 'blocked', 'nostate'];

/**
 * The search box. It keeps what is typed itself, so a keystroke renders only this box at once and
 * paints; the page learns the new search in a transition (filtering and the table's rows), which the
 * next keystroke interrupts instead of waiting for.
 */
export const FleetSearch = memo(function FleetSearch({ onSearch }: { onSearch(search: string): void }) {
  const { t } = useTranslation();
  const [value, setValue] = useState('');
  return (
    <TextInput
      w={280}
      leftSection={<IconSearch size={16} />}
      placeholder={t('fleet.searchPlaceholder')}
      aria-label={t('fleet.search')}
      value={value}
      onChange={(event) => {
        const next = event.currentTarget.value;
        setValue(next);
        startTransition(() => onSearch(next));
      }}
    />
  );
});

export type FleetSelectFilters = Omit<FleetFilter, 'search'>;

/** State, host and tag filters, the average column and grouping: memoised, so typing does not render them. */
export const FleetFilters = memo(function FleetFilters({
  hosts,
  tags,
  filter,
  onFilterChange,
  averageChoice,
  onAverageChoiceChange,
  groupByHost,
  onGroupByHostChange,
}: {
  hosts: HostEntry[];
  /** Every host tag and group, sorted. */
  tags: string[];
  filter: FleetSelectFilters;
  onFilterChange(filter: FleetSelectFilters): void;
  averageChoice: FleetAverageChoice;
  onAverageChoiceChange(choice: FleetAverageChoice): void;
  groupByHost: boolean;
  onGroupByHostChange(groupByHost: boolean): void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <MultiSelect
        w={220}
        aria-label={t('fleet.filters.state')}
        placeholder={t('fleet.filters.state')}
        data={STATES.map((state) => ({ value: state, label: t(`fleet.state.${state}`) }))}
        value={filter.states}
        onChange={(values) => onFilterChange({ ...filter, states: values as DomainState[] })}
        clearable
      />
      <MultiSelect
        w={220}
        aria-label={t('fleet.filters.host')}
        placeholder={t('fleet.filters.host')}
        data={hosts.map((host) => ({ value: host.id, label: host.displayName }))}
        value={filter.hostIds}
        onChange={(hostIds) => onFilterChange({ ...filter, hostIds })}
        searchable
        clearable
      />
      {tags.length > 0 && (
        <MultiSelect
          w={200}
          aria-label={t('fleet.filters.tag')}
          placeholder={t('fleet.filters.tag')}
          data={tags}
          value={filter.tags}
          onChange={(values) => onFilterChange({ ...filter, tags: values })}
          clearable
        />
      )}
      <FleetAverageControls value={averageChoice} onChange={onAverageChoiceChange} />
      <Switch
        label={t('fleet.groupByHost')}
        checked={groupByHost}
        onChange={(event) => onGroupByHostChange(event.currentTarget.checked)}
        mb={8}
      />
    </>
  );
});
