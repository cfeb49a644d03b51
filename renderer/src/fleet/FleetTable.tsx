import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { Checkbox, Group, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconChevronUp, IconSelector, IconServer2 } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { FleetDomain } from '../../../preload/api-contract';
import { DomainStateLabel } from './DomainStateBadge';
import { domainKey, nextSelection, type FleetItem, type FleetSort, type FleetSortKey } from './fleet-query';
import { formatMemory } from '../format';
import { Sparkline } from './Sparkline';
import classes from './FleetTable.module.css';

const ROW_HEIGHT = 40;
/**
 * Rows rendered beyond each edge of the view. Each scroll event renders the rows for the new position
 * before the frame is painted (the virtualiser's flushSync), so a few rows cover a wheel step; a jump
 * (scrollbar, Page Down, End) renders every row in view anew, and each overscan row adds to that frame.
 */
const OVERSCAN = 6;

interface Column {
  key: FleetSortKey | 'addresses';
  labelKey: 'name' | 'host' | 'state' | 'vcpus' | 'memory' | 'cpu' | 'addresses';
  sortable: boolean;
}

const COLUMNS: Column[] = [
  { key: 'name', labelKey: 'name', sortable: true },
  { key: 'host', labelKey: 'host', sortable: true },
  { key: 'state', labelKey: 'state', sortable: true },
  { key: 'vcpus', labelKey: 'vcpus', sortable: true },
  { key: 'memory', labelKey: 'memory', sortable: true },
  { key: 'cpu', labelKey: 'cpu', sortable: true },
  { key: 'addresses', labelKey: 'addresses', sortable: false },
];

export interface FleetTableProps {
  items: FleetItem[];
  sort: FleetSort;
  onSortChange(sort: FleetSort): void;
  selection: ReadonlySet<string>;
  onSelectionChange(selection: Set<string>): void;
  /** CPU % history per domain key, oldest first. */
  cpuHistory: ReadonlyMap<string, readonly number[]>;
  onOpen(domain: FleetDomain): void;
  onContextMenu(domain: FleetDomain, position: { x: number; y: number }): void;
  /** A metric's average over a range, shown as an extra sortable column (key 'average'). */
  average?: { label: string; values: ReadonlyMap<string, number>; format(value: number): string };
  /** A badge after a row's name (open alerts), by domain key. */
  rowBadge?(key: string): ReactNode;
  /** Called as the rows are scrolled (the fleet holds its updates back meanwhile). */
  onInteraction?(): void;
}

/**
 * The inventory across all hosts: an ARIA grid, virtualised so 10,000 rows stay smooth. Rows are named
 * by VM and host; arrow keys move, Space/Shift/Ctrl select, Enter opens, the context-menu key or right
 * click opens the actions menu.
 */
export const FleetTable = memo(function FleetTable(props: FleetTableProps) {
  const { items, sort, onSortChange, selection, onSelectionChange, cpuHistory, onOpen, onContextMenu, average, rowBadge, onInteraction } = props;
  const rowClass = average ? `${classes.row} ${classes.withAverage}` : classes.row;
  const { t } = useTranslation();
  const scroller = useRef<HTMLDivElement>(null);
  const [focusIndex, setFocusIndex] = useState(0);
  const [anchor, setAnchor] = useState<string | null>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
  });

  // The visible rows' keys, built when first needed (selecting), not on every filtered list.
  const keysOf = useMemo(() => {
    let keys: string[] | null = null;
    return () => (keys ??= items.flatMap((item) => (item.type === 'domain' ? [domainKey(item.domain)] : [])));
  }, [items]);
  const { allSelected, someSelected } = useMemo(() => {
    if (selection.size === 0) return { allSelected: false, someSelected: false };
    const keys = keysOf();
    const all = keys.length > 0 && keys.every((key) => selection.has(key));
    return { allSelected: all, someSelected: !all && keys.some((key) => selection.has(key)) };
  }, [keysOf, selection]);

  const focusRow = useCallback(
    (index: number) => {
      const clamped = Math.max(0, Math.min(items.length - 1, index));
      setFocusIndex(clamped);
      virtualizer.scrollToIndex(clamped, { align: 'auto' });
      requestAnimationFrame(() => {
        scroller.current?.querySelector<HTMLElement>(`[data-index="${clamped}"]`)?.focus();
      });
    },
    [items.length, virtualizer],
  );

  const select = (key: string, modifiers: { toggle: boolean; range: boolean }) => {
    onSelectionChange(nextSelection(selection, keysOf(), key, anchor, modifiers));
    if (!modifiers.range) setAnchor(key);
  };

  const onRowClick = (event: MouseEvent, key: string, index: number) => {
    setFocusIndex(index);
    select(key, { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey });
  };

  // The rows get one handler object for the table's life, which calls the latest handlers: a memoised
  // row need not render again because the table's closures are new.
  const latest = useRef({ onRowClick, select, onOpen, onContextMenu });
  useLayoutEffect(() => {
    latest.current = { onRowClick, select, onOpen, onContextMenu };
  });
  const rowHandlers = useMemo<RowHandlers>(
    () => ({
      click: (event, key, index) => latest.current.onRowClick(event, key, index),
      open: (domain) => latest.current.onOpen(domain),
      contextMenu: (event, domain, key, selected) => {
        if (!selected) latest.current.select(key, { toggle: false, range: false });
        latest.current.onContextMenu(domain, { x: event.clientX, y: event.clientY });
      },
      toggle: (key) => latest.current.select(key, { toggle: true, range: false }),
    }),
    [],
  );

  const latestSelectAll = useRef(() => {});
  useLayoutEffect(() => {
    latestSelectAll.current = () => onSelectionChange(allSelected ? new Set() : new Set(keysOf()));
  });
  const selectAll = useCallback(() => latestSelectAll.current(), []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const item = items[focusIndex];
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        event.preventDefault();
        const next = focusIndex + (event.key === 'ArrowDown' ? 1 : -1);
        focusRow(next);
        const target = items[Math.max(0, Math.min(items.length - 1, next))];
        if (event.shiftKey && target?.type === 'domain') select(domainKey(target.domain), { toggle: false, range: true });
        return;
      }
      case 'Home':
      case 'End':
        event.preventDefault();
        focusRow(event.key === 'Home' ? 0 : items.length - 1);
        return;
      case 'PageDown':
      case 'PageUp':
        event.preventDefault();
        focusRow(focusIndex + (event.key === 'PageDown' ? 10 : -10));
        return;
      case ' ':
        if (item?.type !== 'domain') return;
        event.preventDefault();
        select(domainKey(item.domain), { toggle: true, range: event.shiftKey });
        return;
      case 'Enter':
        if (item?.type === 'domain') onOpen(item.domain);
        return;
      case 'a':
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          onSelectionChange(new Set(keysOf()));
        }
        return;
      case 'Escape':
        onSelectionChange(new Set());
        return;
      case 'ContextMenu':
        if (item?.type !== 'domain') return;
        event.preventDefault();
        {
          const rect = (event.target as HTMLElement).getBoundingClientRect();
          onContextMenu(item.domain, { x: rect.left + 40, y: rect.bottom });
        }
        return;
    }
  };

  // Rows are keyed by their slot on screen, not by guest: the index modulo the most rows the table
  // renders at once (those in view and the overscan at both ends). A keystroke that changes the rows at
  // the top updates the row elements that are there instead of removing them and creating new ones, a
  // scroll by one row moves only one slot's row, and a jump to a far position reuses every row element
  // (with a larger modulus, a jump removed and created about a third of them).
  const virtualItems = virtualizer.getVirtualItems();
  const inView = Math.ceil((virtualizer.scrollRect?.height ?? 0) / ROW_HEIGHT) + 1;
  const slots = Math.max(virtualItems.length, inView + 2 * OVERSCAN);

  return (
    <div
      className={classes.grid}
      role="grid"
      aria-label={t('fleet.title')}
      aria-rowcount={items.length + 1}
      aria-multiselectable
      onKeyDown={onKeyDown}
    >
      <FleetHeader
        className={rowClass}
        sort={sort}
        onSortChange={onSortChange}
        allSelected={allSelected}
        someSelected={someSelected}
        onSelectAll={selectAll}
        averageLabel={average?.label}
      />
      <div ref={scroller} className={classes.body} role="rowgroup" onScroll={onInteraction}>
        <div className={classes.rows} style={{ height: virtualizer.getTotalSize() }}>
          {virtualItems.map((virtual) => {
            const item = items[virtual.index];
            if (!item) return null;
            const style = { transform: `translateY(${virtual.start}px)`, height: ROW_HEIGHT };
            const tabIndex = virtual.index === focusIndex ? 0 : -1;
            if (item.type === 'group') {
              return (
                <div
                  key={virtual.index % slots}
                  data-index={virtual.index}
                  className={`${rowClass} ${classes.group}`}
                  style={style}
                  role="row"
                  aria-rowindex={virtual.index + 2}
                  tabIndex={tabIndex}
                  onClick={() => setFocusIndex(virtual.index)}
                >
                  <div role="gridcell" className={`${classes.groupCell} ${classes.inline}`}>
                    <IconServer2 size={16} aria-hidden />
                    <span className={`${classes.cellText} ${classes.groupTitle}`}>{item.hostName}</span>
                    <span className={`${classes.groupCount} ${classes.dimmed}`}>{t('fleet.groupCount', { count: item.count })}</span>
                  </div>
                </div>
              );
            }
            const key = domainKey(item.domain);
            return (
              <FleetRow
                key={virtual.index % slots}
                rowKey={key}
                domain={item.domain}
                hostName={item.hostName}
                index={virtual.index}
                start={virtual.start}
                className={rowClass}
                focused={virtual.index === focusIndex}
                selected={selection.has(key)}
                history={cpuHistory.get(key) ?? NO_HISTORY}
                average={average}
                rowBadge={rowBadge}
                handlers={rowHandlers}
                t={t}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
});

const NO_HISTORY: readonly number[] = [];

interface RowHandlers {
  click(event: MouseEvent, key: string, index: number): void;
  open(domain: FleetDomain): void;
  contextMenu(event: MouseEvent, domain: FleetDomain, key: string, selected: boolean): void;
  toggle(key: string): void;
}

/**
 * One guest's row. Memoised: a row renders again only when what it shows changes (its guest's row
 * object, which the fleet keeps while unchanged, selection, focus, position, sparkline), not for every
 * keystroke, tick or selection elsewhere in the table.
 */
const FleetRow = memo(function FleetRow({
  rowKey: key,
  domain,
  hostName,
  index,
  start,
  className,
  focused,
  selected,
  history,
  average,
  rowBadge,
  handlers,
  t,
}: {
  rowKey: string;
  domain: FleetDomain;
  hostName: string;
  index: number;
  start: number;
  className: string | undefined;
  focused: boolean;
  selected: boolean;
  history: readonly number[];
  average: FleetTableProps['average'];
  rowBadge: FleetTableProps['rowBadge'];
  handlers: RowHandlers;
  /** The table's: a row has no useTranslation of its own (a hook and an effect per row coming into view). */
  t: TFunction;
}) {
  return (
    <div
      data-index={index}
      data-testid="fleet-row"
      className={`${className ?? ''} ${selected ? classes.selected : ''}`}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      aria-label={t('fleet.rowLabel', { name: domain.name, host: hostName })}
      tabIndex={focused ? 0 : -1}
      onClick={(event) => handlers.click(event, key, index)}
      onDoubleClick={() => handlers.open(domain)}
      onContextMenu={(event) => {
        event.preventDefault();
        handlers.contextMenu(event, domain, key, selected);
      }}
    >
      <div className={classes.check} role="gridcell">
        <input
          type="checkbox"
          className={classes.rowCheckbox}
          tabIndex={-1}
          aria-label={t('fleet.selectRow', { name: domain.name })}
          checked={selected}
          onClick={(event) => event.stopPropagation()}
          onChange={() => handlers.toggle(key)}
        />
      </div>
      <div className={`${classes.name} ${classes.inline}`} role="gridcell">
        <span className={`${classes.cellText} ${classes.nameText}`}>{domain.name}</span>
        {rowBadge?.(key)}
      </div>
      {/* Text cells are the text's element (no span inside): fewer elements per row that scrolls into view. */}
      <div className={`${classes.host} ${classes.cellText} ${classes.dimmed}`} role="gridcell">
        {hostName}
      </div>
      <div className={classes.state} role="gridcell" data-testid="fleet-state">
        <DomainStateLabel state={domain.state} t={t} />
      </div>
      <div className={`${classes.vcpus} ${classes.cellText}`} role="gridcell">
        {domain.vcpus}
      </div>
      <div className={`${classes.memory} ${classes.cellText}`} role="gridcell">
        {formatMemory(domain.memoryKiB)}
      </div>
      <div className={`${classes.cpu} ${classes.inline}`} role="gridcell">
        <span className={`${classes.cellText} ${classes.cpuValue}`}>
          {domain.cpuPercent === null ? '–' : `${domain.cpuPercent.toFixed(0)}%`}
        </span>
        {domain.state === 'running' && history.length > 1 && (
          <Sparkline values={history} label={t('fleet.cpuHistory', { name: domain.name })} />
        )}
      </div>
      <div className={`${classes.addresses} ${classes.cellText} ${classes.mono}`} role="gridcell">
        {domain.addresses.join(', ')}
      </div>
      {average && (
        <div className={`${classes.average} ${classes.cellText} ${classes.right}`} role="gridcell" data-testid="fleet-average">
          {average.values.has(key) ? average.format(average.values.get(key) ?? 0) : '–'}
        </div>
      )}
    </div>
  );
});

/**
 * The header row: memoised, so that a keystroke or tick (new rows, same sort and selection) does not
 * render its Mantine buttons again.
 */
const FleetHeader = memo(function FleetHeader({
  className,
  sort,
  onSortChange,
  allSelected,
  someSelected,
  onSelectAll,
  averageLabel,
}: {
  className: string | undefined;
  sort: FleetSort;
  onSortChange(sort: FleetSort): void;
  allSelected: boolean;
  someSelected: boolean;
  onSelectAll(): void;
  averageLabel: string | undefined;
}) {
  const { t } = useTranslation();
  const sortIcon = (key: Column['key']) => {
    if (sort.key !== key) return <IconSelector size={14} aria-hidden />;
    return sort.descending ? <IconChevronDown size={14} aria-hidden /> : <IconChevronUp size={14} aria-hidden />;
  };
  const ariaSort = (key: Column['key']) =>
    sort.key === key ? (sort.descending ? 'descending' : 'ascending') : ('none' as const);
  return (
    <div className={`${className ?? ''} ${classes.header}`} role="row" aria-rowindex={1}>
      <div className={classes.check} role="columnheader">
        <Checkbox
          size="xs"
          aria-label={t('fleet.selectAll')}
          checked={allSelected}
          indeterminate={someSelected}
          onChange={onSelectAll}
        />
      </div>
      {COLUMNS.map((column) => (
        <div
          key={column.key}
          className={classes[column.key]}
          role="columnheader"
          aria-sort={column.sortable ? ariaSort(column.key) : undefined}
        >
          {column.sortable ? (
            <UnstyledButton
              className={classes.sortButton}
              onClick={() =>
                onSortChange({
                  key: column.key as FleetSortKey,
                  descending: sort.key === column.key ? !sort.descending : false,
                })
              }
            >
              <Group gap={4} wrap="nowrap">
                <Text size="sm" fw={600}>
                  {t(`fleet.columns.${column.labelKey}`)}
                </Text>
                {sortIcon(column.key)}
              </Group>
            </UnstyledButton>
          ) : (
            <Text size="sm" fw={600}>
              {t(`fleet.columns.${column.labelKey}`)}
            </Text>
          )}
        </div>
      ))}
      {averageLabel !== undefined && (
        <div className={classes.average} role="columnheader" aria-sort={ariaSort('average')}>
          <UnstyledButton className={classes.sortButton} onClick={() => onSortChange({ key: 'average', descending: sort.key === 'average' ? !sort.descending : true })}>
            <Group gap={4} wrap="nowrap">
              <Text size="sm" fw={600} truncate>
                {averageLabel}
              </Text>
              {sortIcon('average')}
            </Group>
          </UnstyledButton>
        </div>
      )}
    </div>
  );
});
