import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Button, Group, Menu, Paper, Stack, Text, Title } from '@mantine/core';
import { useHotkeys } from '@mantine/hooks';
import { IconDots, IconPlayerPause, IconPlayerPlay, IconPower, IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { FleetDomain, HostEntry } from '../../../preload/api-contract';
import { ConfirmActionDialog } from './ConfirmActionDialog';
import { ACTION_MENU } from './domain-actions';
import { DomainActionMenuItems } from './DomainActionMenu';
import {
  FleetFilterCache,
  FleetSorter,
  domainKey,
  prepareSearch,
  type FleetSort,
} from './fleet-query';
import { useDomainActions } from './use-domain-actions';
import { FleetTable } from './FleetTable';
import { useFleet } from './use-fleet';
import { NewVmButton, type OpenDomain } from '../new-vm/NewVmButton';
import { BulkSnapshotButton } from '../domain-snapshots/BulkSnapshotButton';
import { formatVmMetric, type FleetAverageChoice } from '../metrics-history/FleetAverageControls';
import { FleetFilters, FleetSearch, type FleetSelectFilters } from './FleetFilters';
import { useFleetAverages } from '../metrics-history/use-fleet-averages';
import { AlertBadge } from '../alerts/AlertBadge';
import { activeByTarget, useAlerts } from '../alerts/use-alerts';
import { metricKey } from '../alerts/alert-text';

const NO_FILTERS: FleetSelectFilters = { states: [], hostIds: [], tags: [] };
const NO_DOMAINS: FleetDomain[] = [];

/** The inventory across all hosts, with search, filters, sorting, grouping and multi-selection. */
export function FleetPage({ hosts, onOpenDomain }: { hosts: HostEntry[]; onOpenDomain: OpenDomain }) {
  const { t } = useTranslation();
  const fleet = useFleet();
  const [filter, setFilter] = useState<FleetSelectFilters>(NO_FILTERS);
  // Set in a transition by the search box, which shows what is typed at once.
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<FleetSort>({ key: 'name', descending: false });
  const [groupByHost, setGroupByHost] = useState(false);
  const [selection, setSelection] = useState<Set<string>>(new Set());
  const [averageChoice, setAverageChoice] = useState<FleetAverageChoice>({ metric: 'vm.cpu.percent', range: null });
  const averages = useFleetAverages(averageChoice.metric, averageChoice.range);
  const alerts = useAlerts();
  const activeAlerts = useMemo(() => activeByTarget(alerts), [alerts]);

  const hostMap = useMemo(() => new Map(hosts.map((host) => [host.id, host])), [hosts]);
  const tags = useMemo(
    () => [...new Set(hosts.flatMap((host) => [...host.tags, ...(host.group ? [host.group] : [])]))].sort(),
    [hosts],
  );
  // Sorted once per inventory, sort or averages change (and each row's search text made then; a tick
  // that changed no row's sort value keeps the order without sorting); a keystroke only filters the
  // sorted rows (filtering keeps their order), narrowing the last result while the search grows.
  const [sorter] = useState(() => new FleetSorter());
  const sorted = useMemo(() => {
    const rows = sorter.sort(fleet.domains, hostMap, sort, averages ?? undefined);
    prepareSearch(rows, hostMap);
    return rows;
  }, [sorter, fleet.domains, hostMap, sort, averages]);
  const [filterCache] = useState(() => new FleetFilterCache());
  const { states, hostIds, tags: tagFilter } = filter;
  const items = useMemo(
    () => filterCache.items(sorted, hostMap, { search, states, hostIds, tags: tagFilter }, groupByHost),
    [filterCache, sorted, hostMap, search, states, hostIds, tagFilter, groupByHost],
  );
  const shown = useMemo(() => (groupByHost ? items.filter((item) => item.type === 'domain').length : items.length), [items, groupByHost]);
  const [menuAt, setMenuAt] = useState<{ x: number; y: number } | null>(null);
  const selected = useMemo(
    () => (selection.size === 0 ? NO_DOMAINS : fleet.domains.filter((domain) => selection.has(domainKey(domain)))),
    [fleet.domains, selection],
  );
  // Stable props, so that the (memoised) table does not render again for a keystroke before the
  // filtered rows are ready, nor for anything else on this page that does not concern it.
  const openDomain = useRef(onOpenDomain);
  useLayoutEffect(() => {
    openDomain.current = onOpenDomain;
  });
  const onOpen = useCallback<OpenDomain>((domain, tab) => openDomain.current(domain, tab), []);
  const onContextMenu = useCallback((_domain: FleetDomain, position: { x: number; y: number }) => setMenuAt(position), []);
  // No badge component in the rows without an alert (nearly all): each would hold a translation hook.
  const rowBadge = useCallback((key: string) => {
    const alert = activeAlerts.get(key);
    return alert ? <AlertBadge alert={alert} /> : null;
  }, [activeAlerts]);
  const averageLabel = averageChoice.range
    ? t('metricsHistory.averageColumn', { metric: t(`alerts.metrics.${metricKey(averageChoice.metric)}` as never) as string })
    : null;
  const average = useMemo(
    () =>
      averageLabel === null
        ? undefined
        : {
            label: averageLabel,
            values: averages ?? new Map<string, number>(),
            format: (v: number) => formatVmMetric(averageChoice.metric, v),
          },
    [averageLabel, averages, averageChoice.metric],
  );
  const closeMenu = useCallback(() => setMenuAt(null), []);
  // Typing, sorting and scrolling hold the host updates back until the user pauses (use-fleet).
  const { interacted } = fleet;
  const onSearch = useCallback(
    (text: string) => {
      interacted();
      setSearch(text);
    },
    [interacted],
  );
  const onSortChange = useCallback(
    (next: FleetSort) => {
      interacted();
      setSort(next);
    },
    [interacted],
  );
  // And again once the new search or sort is on screen: a slow keystroke's render does not end the pause.
  useEffect(() => interacted(), [search, sort, interacted]);

  return (
    <Stack h="calc(100vh - 56px - 2 * var(--mantine-spacing-lg))" gap="sm">
      <Group justify="space-between" align="flex-end">
        <FleetHeading hosts={hosts} onOpenDomain={onOpen} />
        <Text size="sm" c="dimmed" aria-live="polite" data-testid="fleet-count">
          {t('fleet.count', { shown, total: fleet.domains.length, selected: selection.size })}
        </Text>
      </Group>
      <Group gap="sm" align="flex-end" wrap="wrap">
        <FleetSearch onSearch={onSearch} />
        <FleetFilters
          hosts={hosts}
          tags={tags}
          filter={filter}
          onFilterChange={setFilter}
          averageChoice={averageChoice}
          onAverageChoiceChange={setAverageChoice}
          groupByHost={groupByHost}
          onGroupByHostChange={setGroupByHost}
        />
      </Group>
      <FleetActions selected={selected} menuAt={menuAt} onCloseMenu={closeMenu} />
      {/* data-search: the search the rows on screen were filtered with (it lags the box while typing). */}
      <div style={{ flex: 1, minHeight: 0 }} data-testid="fleet-table-area" data-search={search}>
        <FleetTable
          items={items}
          sort={sort}
          onSortChange={onSortChange}
          onInteraction={interacted}
          selection={selection}
          onSelectionChange={setSelection}
          cpuHistory={fleet.cpuHistory}
          onOpen={onOpen}
          onContextMenu={onContextMenu}
          rowBadge={rowBadge}
          {...(average ? { average } : {})}
        />
      </div>
    </Stack>
  );
}

/** The title and "New VM": memoised, so that typing in the search box does not render them. */
const FleetHeading = memo(function FleetHeading({ hosts, onOpenDomain }: { hosts: HostEntry[]; onOpenDomain: OpenDomain }) {
  const { t } = useTranslation();
  return (
    <Group gap="sm">
      <Title order={2}>{t('fleet.title')}</Title>
      <NewVmButton hosts={hosts} onOpenDomain={onOpenDomain} />
    </Group>
  );
});

/**
 * The selection bar, the rows' context menu, the confirmation dialog and the action shortcuts:
 * memoised, so that a keystroke (new rows, same selection) does not render their Mantine buttons and
 * menus again.
 */
const FleetActions = memo(function FleetActions({
  selected,
  menuAt,
  onCloseMenu,
}: {
  selected: FleetDomain[];
  menuAt: { x: number; y: number } | null;
  onCloseMenu(): void;
}) {
  const { t } = useTranslation();
  const actions = useDomainActions();
  const none = selected.length === 0;
  useHotkeys(
    ACTION_MENU.filter((entry) => entry.shortcut).map((entry) => [
      entry.shortcut ?? '',
      () => selected.length > 0 && actions.request(entry.action, selected),
    ]),
  );
  return (
    <>
      {/* Always there, so that selecting a row never moves the table (a double-click must land on the row it started on). */}
      <Paper withBorder p={6} radius="md" data-testid="selection-bar">
        <Group gap="xs">
          <Text size="sm" fw={500} px="xs" c={none ? 'dimmed' : undefined}>
            {none ? t('actions.noneSelected') : t('actions.selected', { count: selected.length })}
          </Text>
          <Button size="xs" variant="light" disabled={none} leftSection={<IconPlayerPlay size={14} />} onClick={() => actions.request('start', selected)}>
            {t('actions.names.start')}
          </Button>
          <Button size="xs" variant="light" disabled={none} leftSection={<IconPower size={14} />} onClick={() => actions.request('shutdown', selected)}>
            {t('actions.names.shutdown')}
          </Button>
          <Button size="xs" variant="light" disabled={none} leftSection={<IconRefresh size={14} />} onClick={() => actions.request('reboot', selected)}>
            {t('actions.names.reboot')}
          </Button>
          <Button size="xs" variant="light" disabled={none} leftSection={<IconPlayerPause size={14} />} onClick={() => actions.request('suspend', selected)}>
            {t('actions.names.suspend')}
          </Button>
          <Menu position="bottom-start" withinPortal>
            <Menu.Target>
              <Button size="xs" variant="default" disabled={none} leftSection={<IconDots size={14} />}>
                {t('actions.more')}
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              <DomainActionMenuItems domains={selected} onAction={(action) => actions.request(action, selected)} />
            </Menu.Dropdown>
          </Menu>
          <BulkSnapshotButton domains={selected} />
        </Group>
      </Paper>
      <Menu opened={menuAt !== null} onChange={(open) => !open && onCloseMenu()} position="bottom-start" withinPortal>
        <Menu.Target>
          <div style={{ position: 'fixed', left: menuAt?.x ?? 0, top: menuAt?.y ?? 0, width: 1, height: 1 }} />
        </Menu.Target>
        <Menu.Dropdown aria-label={t('actions.menuLabel')}>
          <DomainActionMenuItems
            domains={selected}
            onAction={(action) => {
              onCloseMenu();
              actions.request(action, selected);
            }}
          />
        </Menu.Dropdown>
      </Menu>
      <ConfirmActionDialog
        pending={actions.confirming}
        onCancel={actions.cancel}
        onConfirm={actions.confirm}
      />
    </>
  );
});
