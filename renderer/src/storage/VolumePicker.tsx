import { useEffect, useMemo, useState } from 'react';
import { Group, Select } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { StoragePoolSummary, StorageVolumeEntry } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';

export interface VolumePickerProps {
  hostId: string;
  label: string;
  /** The chosen volume's path (its key), or null. */
  value: string | null;
  onChange(path: string | null, volume: { pool: string; name: string } | null): void;
  /** iso: only names ending in .iso; disk: everything else; any: all. */
  kind?: 'iso' | 'disk' | 'any';
  clearable?: boolean;
  /** Pool to start in (default: the pool holding `value`, else the first running pool). */
  initialPool?: string;
}

/** How many options the volume list shows at once (search narrows a large pool). */
const SHOWN = 200;

/**
 * Picks a volume of a host (a pool, then one of its volumes, searchable): "wherever a disk or ISO is
 * chosen" — the new-VM wizard, clones, a linked volume's backing file. Works with pools of thousands of
 * volumes: only names are listed, and the options are the first matches of the search.
 */
export function VolumePicker({ hostId, label, value, onChange, kind = 'any', clearable, initialPool }: VolumePickerProps) {
  const { t } = useTranslation();
  const api = useApi();
  const [pools, setPools] = useState<StoragePoolSummary[]>([]);
  const [pool, setPool] = useState<string | null>(initialPool ?? null);
  const [volumes, setVolumes] = useState<StorageVolumeEntry[]>([]);
  const [search, setSearch] = useState('');

  useEffect(() => {
    let live = true;
    api.call('storage.pools', { hostId }).then(
      (list) => {
        if (!live) return;
        const running = list.filter((p) => p.state === 'running');
        setPools(running);
        setPool((current) => {
          if (current) return current;
          const holding = value ? running.find((p) => p.targetPath && value.startsWith(`${p.targetPath}/`)) : undefined;
          return holding?.name ?? running[0]?.name ?? null;
        });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, hostId, value]);

  useEffect(() => {
    let live = true;
    setVolumes([]);
    if (!pool) return;
    api.call('storage.volumes', { hostId, pool }).then(
      (list) => live && setVolumes(list.volumes),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, hostId, pool]);

  const options = useMemo(() => {
    const needle = search.toLowerCase();
    const fits = (v: StorageVolumeEntry) => {
      const iso = /\.iso$/i.test(v.name);
      if (kind === 'iso' && !iso) return false;
      if (kind === 'disk' && iso) return false;
      return needle === '' || v.name.toLowerCase().includes(needle);
    };
    const shown = volumes.filter(fits).slice(0, SHOWN).map((v) => ({ value: v.key, label: v.name }));
    if (value && !shown.some((o) => o.value === value)) shown.unshift({ value, label: value.split('/').pop() ?? value });
    return shown;
  }, [volumes, search, kind, value]);

  return (
    <Group gap="xs" grow align="flex-end" data-testid="volume-picker">
      <Select
        label={t('storage.picker.pool')}
        data={pools.map((p) => p.name)}
        value={pool}
        onChange={(next) => {
          setPool(next);
          setSearch('');
        }}
        allowDeselect={false}
      />
      <Select
        label={label}
        placeholder={t('storage.picker.search')}
        data={options}
        value={value}
        searchable
        searchValue={search}
        onSearchChange={setSearch}
        filter={({ options: all }) => all}
        clearable={clearable ?? false}
        nothingFoundMessage={t('storage.picker.none')}
        onChange={(path) => {
          const entry = volumes.find((v) => v.key === path);
          onChange(path, entry && pool ? { pool, name: entry.name } : null);
        }}
      />
    </Group>
  );
}
