import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Group, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconChevronUp, IconSelector } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useTranslation } from 'react-i18next';
import type { StorageVolumeDetails, StorageVolumeEntry, VolumeUser } from '../../../preload/api-contract';
import { formatBytes } from '../format';
import classes from './VolumeTable.module.css';

const ROW_HEIGHT = 36;

export type VolumeSortKey = 'name' | 'format' | 'capacity' | 'allocation' | 'users';
export interface VolumeSort {
  key: VolumeSortKey;
  descending: boolean;
}

const COLUMNS: VolumeSortKey[] = ['name', 'format', 'capacity', 'allocation', 'users'];

export interface VolumeTableProps {
  label: string;
  volumes: StorageVolumeEntry[];
  details: ReadonlyMap<string, StorageVolumeDetails>;
  users: Record<string, VolumeUser[]>;
  /** Called with the names of the rows on screen (their details are fetched lazily). */
  onVisible(names: string[]): void;
  sort: VolumeSort;
  onSortChange(sort: VolumeSort): void;
  selected: string | null;
  onSelect(name: string): void;
  onOpen?(name: string): void;
}

/**
 * A pool's volumes as a virtualised ARIA grid: only the rows on screen exist in the DOM, and only
 * their details are asked for, so a pool of thousands of volumes stays responsive.
 */
export function VolumeTable(props: VolumeTableProps) {
  const { volumes, details, users, onVisible, sort, onSortChange, selected, onSelect } = props;
  const { t } = useTranslation();
  const scroller = useRef<HTMLDivElement>(null);
  const [focusIndex, setFocusIndex] = useState(0);
  const virtualizer = useVirtualizer({
    count: volumes.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const first = virtualItems[0]?.index ?? 0;
  const last = virtualItems[virtualItems.length - 1]?.index ?? -1;

  useEffect(() => {
    onVisible(volumes.slice(first, last + 1).map((v) => v.name));
  }, [first, last, volumes, onVisible]);

  const focusRow = (index: number) => {
    const clamped = Math.max(0, Math.min(volumes.length - 1, index));
    setFocusIndex(clamped);
    virtualizer.scrollToIndex(clamped, { align: 'auto' });
    const volume = volumes[clamped];
    if (volume) onSelect(volume.name);
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-index="${clamped}"]`)?.focus());
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    if (event.key in moves) {
      event.preventDefault();
      focusRow(focusIndex + (moves[event.key] ?? 0));
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      focusRow(event.key === 'Home' ? 0 : volumes.length - 1);
    } else if (event.key === 'Enter') {
      const volume = volumes[focusIndex];
      if (volume) props.onOpen?.(volume.name);
    }
  };

  const sortIcon = (key: VolumeSortKey) =>
    sort.key !== key ? <IconSelector size={14} aria-hidden /> : sort.descending ? <IconChevronDown size={14} aria-hidden /> : <IconChevronUp size={14} aria-hidden />;

  return (
    <div className={classes.grid} role="grid" aria-label={props.label} aria-rowcount={volumes.length + 1} data-testid="volume-grid" onKeyDown={onKeyDown}>
      <div className={`${classes.row} ${classes.header}`} role="row" aria-rowindex={1}>
        {COLUMNS.map((key) => (
          <div key={key} role="columnheader" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
            <UnstyledButton onClick={() => onSortChange({ key, descending: sort.key === key ? !sort.descending : false })}>
              <Group gap={4} wrap="nowrap">
                <Text size="sm" fw={600}>
                  {t(`storage.volumes.columns.${key}`)}
                </Text>
                {sortIcon(key)}
              </Group>
            </UnstyledButton>
          </div>
        ))}
      </div>
      <div ref={scroller} className={classes.body} role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualItems.map((virtual) => {
            const volume = volumes[virtual.index];
            if (!volume) return null;
            const info = details.get(volume.name);
            const usedBy = users[volume.name] ?? [];
            const isSelected = selected === volume.name;
            return (
              <div
                key={volume.name}
                data-index={virtual.index}
                data-testid="volume-row"
                className={`${classes.row} ${isSelected ? classes.selected : ''}`}
                style={{ transform: `translateY(${virtual.start}px)`, height: ROW_HEIGHT }}
                role="row"
                aria-rowindex={virtual.index + 2}
                aria-selected={isSelected}
                aria-label={volume.name}
                tabIndex={virtual.index === focusIndex ? 0 : -1}
                onClick={() => {
                  setFocusIndex(virtual.index);
                  onSelect(volume.name);
                }}
                onDoubleClick={() => props.onOpen?.(volume.name)}
              >
                <div role="gridcell">
                  <Text size="sm" fw={500} truncate title={info?.path ?? volume.key}>
                    {volume.name}
                  </Text>
                </div>
                <div role="gridcell">
                  <Text size="sm">{info ? (info.format ?? '–') : '…'}</Text>
                </div>
                <div role="gridcell">
                  <Text size="sm">{info ? formatBytes(info.capacityBytes) : '…'}</Text>
                </div>
                <div role="gridcell">
                  <Text size="sm">{info ? formatBytes(info.allocationBytes) : '…'}</Text>
                </div>
                <div role="gridcell">
                  <Text size="sm" c={usedBy.length > 0 ? undefined : 'dimmed'} truncate>
                    {usedBy.length > 0 ? usedBy.map((u) => u.name).join(', ') : t('storage.volumes.unused')}
                  </Text>
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
