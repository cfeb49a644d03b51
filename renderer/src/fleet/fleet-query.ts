import { sameFleetRow, type DomainState, type FleetDomain, type HostEntry } from '../../../preload/api-contract';

/** A row's identity across hosts. */
export function domainKey(domain: Pick<FleetDomain, 'hostId' | 'uuid'>): string {
  return `${domain.hostId}/${domain.uuid}`;
}

/**
 * A host's new rows, with every row that did not change replaced by its previous object: what is
 * cached per row object (search text, the rendered row) then survives the 2 s stats tick, which
 * changes only the running guests' CPU figures. A host lists its guests in the same order from one
 * tick to the next, so rows are matched by position first and by UUID only when that fails.
 */
export function keepUnchangedRows(previous: readonly FleetDomain[] | undefined, next: readonly FleetDomain[]): FleetDomain[] {
  if (!previous || previous.length === 0) return [...next];
  let byUuid: Map<string, FleetDomain> | null = null;
  const kept = new Array<FleetDomain>(next.length);
  for (let i = 0; i < next.length; i++) {
    const domain = next[i] as FleetDomain;
    let before = previous[i];
    if (!before || before.uuid !== domain.uuid) {
      byUuid ??= new Map(previous.map((row) => [row.uuid, row]));
      before = byUuid.get(domain.uuid);
    }
    kept[i] = before && sameFleetRow(before, domain) ? before : domain;
  }
  return kept;
}

export interface FleetFilter {
  /** Free text: matches name, host name, address or UUID prefix, case-insensitively. All words must match. */
  search: string;
  states: DomainState[];
  hostIds: string[];
  tags: string[];
}

export const EMPTY_FILTER: FleetFilter = { search: '', states: [], hostIds: [], tags: [] };

export type FleetSortKey = 'name' | 'host' | 'state' | 'vcpus' | 'memory' | 'cpu' | 'average';
export interface FleetSort {
  key: FleetSortKey;
  descending: boolean;
}

/** The order states sort in: what needs attention first. */
const STATE_ORDER: Record<DomainState, number> = {
  crashed: 0,
  running: 1,
  blocked: 2,
  paused: 3,
  pmsuspended: 4,
  shutdown: 5,
  shutoff: 6,
  nostate: 7,
};

/**
 * One collator for every comparison: `a.localeCompare(b, undefined, options)` builds a new collator per
 * call, which made sorting 10,000 rows take seconds.
 */
const collator = new Intl.Collator(undefined, { numeric: true });

/** Lower-cased search text per row object (rows are replaced, never mutated, when a host updates). */
const haystacks = new WeakMap<FleetDomain, { hostName: string; text: string }>();

function haystack(domain: FleetDomain, hostName: string): string {
  const cached = haystacks.get(domain);
  if (cached && cached.hostName === hostName) return cached.text;
  const text = [domain.name, hostName, domain.uuid, ...domain.addresses].join(' ').toLowerCase();
  haystacks.set(domain, { hostName, text });
  return text;
}

export type FleetItem =
  | { type: 'group'; hostId: string; hostName: string; count: number }
  | { type: 'domain'; domain: FleetDomain; hostName: string };

/** Each row list's search texts, in its order (see searchTexts). */
const textLists = new WeakMap<readonly FleetDomain[], { hosts: ReadonlyMap<string, HostEntry>; texts: string[] }>();

/**
 * The lower-cased search text of each row, in the rows' order: made once per row list (the sorted rows,
 * new per tick or sort; a row that did not change reuses its text), so that filtering on a keystroke
 * is a loop over strings.
 */
export function searchTexts(rows: readonly FleetDomain[], hosts: ReadonlyMap<string, HostEntry>): string[] {
  const cached = textLists.get(rows);
  if (cached && cached.hosts === hosts) return cached.texts;
  const texts = rows.map((domain) => haystack(domain, hosts.get(domain.hostId)?.displayName ?? ''));
  textLists.set(rows, { hosts, texts });
  return texts;
}

/**
 * Builds the search text of every row (see searchTexts): called when the inventory or sort changes,
 * so a keystroke finds every row's text ready.
 */
export function prepareSearch(domains: readonly FleetDomain[], hosts: ReadonlyMap<string, HostEntry>): void {
  searchTexts(domains, hosts);
}

/** The words of a search, lower-cased: a row matches when its text contains every one. */
export function searchWords(search: string): string[] {
  return search.toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * True when every row that matches `next` also matches `previous` (each word of `previous` is part of
 * a word of `next`, as when typing on): `next` then only needs to look at `previous`'s matches.
 */
export function narrows(previous: string, next: string): boolean {
  const nextWords = searchWords(next);
  return searchWords(previous).every((word) => nextWords.some((longer) => longer.includes(word)));
}

/**
 * The positions (ascending) of the rows that pass `filter`, among all rows or only those at `within`.
 */
function filterPositions(
  rows: readonly FleetDomain[],
  hosts: ReadonlyMap<string, HostEntry>,
  filter: FleetFilter,
  within?: readonly number[],
): number[] {
  const texts = searchTexts(rows, hosts);
  const words = searchWords(filter.search);
  const states = new Set(filter.states);
  const hostIds = new Set(filter.hostIds);
  const tags = new Set(filter.tags);
  const byFields = states.size > 0 || hostIds.size > 0 || tags.size > 0;
  const passes = (i: number): boolean => {
    if (byFields) {
      const domain = rows[i] as FleetDomain;
      if (states.size > 0 && !states.has(domain.state)) return false;
      if (hostIds.size > 0 && !hostIds.has(domain.hostId)) return false;
      const host = hosts.get(domain.hostId);
      if (tags.size > 0 && !(host?.tags.some((tag) => tags.has(tag)) || (host?.group && tags.has(host.group)))) {
        return false;
      }
    }
    const text = texts[i] as string;
    for (const word of words) if (!text.includes(word)) return false;
    return true;
  };
  const result: number[] = [];
  if (within) {
    for (const i of within) if (passes(i)) result.push(i);
  } else if (!byFields && words.length === 0) {
    for (let i = 0; i < rows.length; i++) result.push(i);
  } else {
    for (let i = 0; i < rows.length; i++) if (passes(i)) result.push(i);
  }
  return result;
}

export function filterDomains(
  domains: readonly FleetDomain[],
  hosts: ReadonlyMap<string, HostEntry>,
  filter: FleetFilter,
): FleetDomain[] {
  return filterPositions(domains, hosts, filter).map((i) => domains[i] as FleetDomain);
}

const sameList = (a: readonly string[], b: readonly string[]) => a === b || (a.length === b.length && a.every((value, i) => value === b[i]));

/**
 * `filterDomains` that remembers its last call: the same rows and filter give the same array back, and
 * a search that narrows the last one (typing on) tests only the last result's rows, not every row again.
 */
export class FleetFilterCache {
  private last: {
    rows: readonly FleetDomain[];
    hosts: ReadonlyMap<string, HostEntry>;
    filter: FleetFilter;
    positions: number[];
    result: FleetDomain[];
  } | null = null;
  /**
   * The rows' positions per search, for the current rows and other filters: deleting what was typed
   * finds each shorter search's result again instead of testing every row. Cleared when the rows
   * (a tick, a sort) or the other filters change; at most SEARCHES_KEPT.
   */
  private searches = new Map<string, number[]>();

  filter(rows: readonly FleetDomain[], hosts: ReadonlyMap<string, HostEntry>, filter: FleetFilter): FleetDomain[] {
    const last = this.last;
    let positions: number[] | null = null;
    if (
      last &&
      last.rows === rows &&
      last.hosts === hosts &&
      sameList(last.filter.states, filter.states) &&
      sameList(last.filter.hostIds, filter.hostIds) &&
      sameList(last.filter.tags, filter.tags)
    ) {
      if (last.filter.search === filter.search) return last.result;
      positions = this.searches.get(filter.search) ?? null;
      // The last result already passed the state, host and tag filters.
      if (!positions && narrows(last.filter.search, filter.search)) {
        positions = filterPositions(rows, hosts, { ...EMPTY_FILTER, search: filter.search }, last.positions);
      }
    } else {
      this.searches.clear();
    }
    positions ??= filterPositions(rows, hosts, filter);
    if (this.searches.size >= SEARCHES_KEPT) this.searches.clear();
    this.searches.set(filter.search, positions);
    const result = positions.length === rows.length ? [...rows] : positions.map((i) => rows[i] as FleetDomain);
    this.last = { rows, hosts, filter, positions, result };
    return result;
  }

  /**
   * `groupItems(this.filter(…))`, with one item object per row of `rows` made once per row list (not
   * per keystroke) when not grouping.
   */
  items(rows: readonly FleetDomain[], hosts: ReadonlyMap<string, HostEntry>, filter: FleetFilter, groupByHost: boolean): FleetItem[] {
    const filtered = this.filter(rows, hosts, filter);
    if (groupByHost) return groupItems(filtered, hosts, true);
    const all = itemsOf(rows, hosts);
    const positions = (this.last as { positions: number[] }).positions;
    return positions.length === rows.length ? [...all] : positions.map((i) => all[i] as FleetItem);
  }
}

const SEARCHES_KEPT = 64;

/** Each row list's items (not grouped), in its order. */
const itemLists = new WeakMap<readonly FleetDomain[], { hosts: ReadonlyMap<string, HostEntry>; items: FleetItem[] }>();

function itemsOf(rows: readonly FleetDomain[], hosts: ReadonlyMap<string, HostEntry>): FleetItem[] {
  const cached = itemLists.get(rows);
  if (cached && cached.hosts === hosts) return cached.items;
  const items = groupItems(rows, hosts, false);
  itemLists.set(rows, { hosts, items });
  return items;
}

/**
 * Ranks that order strings as the collator does (equal strings under it share a rank), so that a sort
 * compares integers instead of calling the collator ~14 times per row (10,000 rows: ~150,000 collator
 * calls, tens of milliseconds, on every stats tick). Rebuilt only when a string it has not ranked yet
 * turns up (a new guest or host name), from the strings asked for then, so names that went away do
 * not pile up.
 */
export class CollationRanks {
  private ranks = new Map<string, number>();

  of(values: readonly string[]): ReadonlyMap<string, number> {
    let known = true;
    for (const value of values) {
      if (!this.ranks.has(value)) {
        known = false;
        break;
      }
    }
    if (known) return this.ranks;
    const distinct = [...new Set(values)].sort(collator.compare);
    const ranks = new Map<string, number>();
    let rank = 0;
    distinct.forEach((value, i) => {
      if (i > 0 && collator.compare(distinct[i - 1] as string, value) !== 0) rank = i;
      ranks.set(value, rank);
    });
    this.ranks = ranks;
    return ranks;
  }
}

const nameRanks = new CollationRanks();
const hostNameRanks = new CollationRanks();

/**
 * The rows in the order of `sort`, ties by name (collator order) and then host id. The same order as
 * comparing with the collator row by row (the test compares both), at integer-compare cost.
 */
export function sortDomains(
  domains: readonly FleetDomain[],
  hosts: ReadonlyMap<string, HostEntry>,
  sort: FleetSort,
  /** A metric's average over a range per domain key (the "average" sort). */
  averages?: ReadonlyMap<string, number>,
): FleetDomain[] {
  const hostName = (id: string) => hosts.get(id)?.displayName ?? id;
  const direction = sort.descending ? -1 : 1;
  const names = nameRanks.of(domains.map((domain) => domain.name));
  let primary: (domain: FleetDomain) => number;
  switch (sort.key) {
    case 'name':
      primary = (domain) => names.get(domain.name) ?? 0;
      break;
    case 'host': {
      const hostIds = [...new Set(domains.map((domain) => domain.hostId))];
      const ranks = hostNameRanks.of(hostIds.map(hostName));
      const byId = new Map(hostIds.map((id) => [id, ranks.get(hostName(id)) ?? 0]));
      primary = (domain) => byId.get(domain.hostId) ?? 0;
      break;
    }
    case 'state':
      primary = (domain) => STATE_ORDER[domain.state];
      break;
    case 'vcpus':
      primary = (domain) => domain.vcpus;
      break;
    case 'memory':
      primary = (domain) => domain.memoryKiB;
      break;
    case 'cpu':
      primary = (domain) => domain.cpuPercent ?? -1;
      break;
    case 'average':
      primary = (domain) => averages?.get(domainKey(domain)) ?? -1;
      break;
  }
  const rows = domains.map((domain) => ({ domain, key: primary(domain), name: names.get(domain.name) ?? 0 }));
  rows.sort(
    (a, b) =>
      direction * (a.key - b.key) ||
      a.name - b.name ||
      (a.domain.hostId < b.domain.hostId ? -1 : a.domain.hostId > b.domain.hostId ? 1 : 0),
  );
  return rows.map((row) => row.domain);
}

/** True when a sort by `key` orders `a` and `b` alike: same tie-breaks (name, host) and same sort value. */
function sameSortPlace(key: FleetSortKey, a: FleetDomain, b: FleetDomain): boolean {
  if (a === b) return true;
  if (a.name !== b.name || a.hostId !== b.hostId) return false;
  switch (key) {
    // The averages are a map of their own, compared by the caller.
    case 'name':
    case 'host':
    case 'average':
      return true;
    case 'state':
      return a.state === b.state;
    case 'vcpus':
      return a.vcpus === b.vcpus;
    case 'memory':
      return a.memoryKiB === b.memoryKiB;
    case 'cpu':
      return a.cpuPercent === b.cpuPercent;
  }
}

/**
 * `sortDomains` that remembers its last order: when a stats tick replaces rows but no row's sort value
 * changed (any sort but CPU: a tick changes CPU figures only) and no row came or went, the new rows take
 * their predecessors' places, in one pass, instead of sorting every row again. The result is the one
 * `sortDomains` gives (the order is total: value, name, host).
 */
export class FleetSorter {
  private last: {
    domains: readonly FleetDomain[];
    hosts: ReadonlyMap<string, HostEntry>;
    sort: FleetSort;
    averages: ReadonlyMap<string, number> | undefined;
    result: FleetDomain[];
    places: Places;
  } | null = null;

  /** How many calls sorted every row (for tests). */
  fullSorts = 0;

  sort(
    domains: readonly FleetDomain[],
    hosts: ReadonlyMap<string, HostEntry>,
    sort: FleetSort,
    averages?: ReadonlyMap<string, number>,
  ): FleetDomain[] {
    const last = this.last;
    if (last && last.hosts === hosts && last.sort.key === sort.key && last.sort.descending === sort.descending && last.averages === averages) {
      if (last.domains === domains) return last.result;
      const kept = keptOrder(last.result, last.places, domains, sort.key);
      if (kept) {
        this.last = { ...last, domains, result: kept };
        return kept;
      }
    }
    this.fullSorts++;
    const result = sortDomains(domains, hosts, sort, averages);
    this.last = { domains, hosts, sort, averages, result, places: { byRow: new Map(result.map((row, i) => [row, i])), byKey: null } };
    return result;
  }
}

/**
 * Each row's place in the kept order: by row object (most rows keep their object across a tick) and,
 * built when first needed, by domain key (for the rows a tick replaced). Places never change while the
 * order is kept.
 */
interface Places {
  byRow: Map<FleetDomain, number>;
  byKey: Map<string, number> | null;
}

function keptOrder(previous: readonly FleetDomain[], places: Places, domains: readonly FleetDomain[], key: FleetSortKey): FleetDomain[] | null {
  if (domains.length !== previous.length) return null;
  const next = new Array<FleetDomain>(previous.length);
  const replaced: number[] = [];
  for (const domain of domains) {
    let place = places.byRow.get(domain);
    if (place === undefined) {
      places.byKey ??= new Map(previous.map((row, i) => [domainKey(row), i]));
      place = places.byKey.get(domainKey(domain));
      if (place === undefined || !sameSortPlace(key, previous[place] as FleetDomain, domain)) return null;
      replaced.push(place);
    }
    if (next[place] !== undefined) return null;
    next[place] = domain;
  }
  for (const place of replaced) {
    places.byRow.delete(previous[place] as FleetDomain);
    places.byRow.set(next[place] as FleetDomain, place);
  }
  return next;
}

/** One item object per row object (and host name): a keystroke's list does not allocate 10,000 new ones. */
const domainItems = new WeakMap<FleetDomain, FleetItem & { type: 'domain' }>();

function domainItem(domain: FleetDomain, hostName: string): FleetItem {
  const cached = domainItems.get(domain);
  if (cached && cached.hostName === hostName) return cached;
  const item = { type: 'domain' as const, domain, hostName };
  domainItems.set(domain, item);
  return item;
}

/**
 * Rows (filtered, in order) as table items, under one header per host when grouping. Filtering keeps
 * the order, so the table sorts once per inventory or sort change and a keystroke only filters.
 */
export function groupItems(
  rows: readonly FleetDomain[],
  hosts: ReadonlyMap<string, HostEntry>,
  groupByHost: boolean,
): FleetItem[] {
  const hostName = (id: string) => hosts.get(id)?.displayName ?? id;
  if (!groupByHost) return rows.map((domain) => domainItem(domain, hostName(domain.hostId)));
  const byHost = new Map<string, FleetDomain[]>();
  for (const domain of rows) {
    const list = byHost.get(domain.hostId);
    if (list) list.push(domain);
    else byHost.set(domain.hostId, [domain]);
  }
  const hostOrder = [...byHost.keys()].sort((a, b) => collator.compare(hostName(a), hostName(b)));
  return hostOrder.flatMap((hostId) => {
    const list = byHost.get(hostId) ?? [];
    const name = hostName(hostId);
    return [
      { type: 'group' as const, hostId, hostName: name, count: list.length },
      ...list.map((domain) => ({ type: 'domain' as const, domain, hostName: name })),
    ];
  });
}

/** The visible list: filtered, sorted, and (optionally) grouped under one header per host. */
export function fleetItems(
  domains: readonly FleetDomain[],
  hosts: ReadonlyMap<string, HostEntry>,
  filter: FleetFilter,
  sort: FleetSort,
  groupByHost: boolean,
  averages?: ReadonlyMap<string, number>,
): FleetItem[] {
  return groupItems(filterDomains(sortDomains(domains, hosts, sort, averages), hosts, filter), hosts, groupByHost);
}

/**
 * Range selection like a file manager: click selects one, Ctrl/Cmd toggles, Shift extends from the
 * anchor over the visible order (across hosts).
 */
export function nextSelection(
  current: ReadonlySet<string>,
  visibleKeys: readonly string[],
  clicked: string,
  anchor: string | null,
  modifiers: { toggle: boolean; range: boolean },
): Set<string> {
  if (modifiers.range && anchor !== null) {
    const from = visibleKeys.indexOf(anchor);
    const to = visibleKeys.indexOf(clicked);
    if (from >= 0 && to >= 0) {
      const [start, end] = from <= to ? [from, to] : [to, from];
      const range = visibleKeys.slice(start, end + 1);
      return new Set(modifiers.toggle ? [...current, ...range] : range);
    }
  }
  if (modifiers.toggle) {
    const next = new Set(current);
    if (next.has(clicked)) next.delete(clicked);
    else next.add(clicked);
    return next;
  }
  return new Set([clicked]);
}
