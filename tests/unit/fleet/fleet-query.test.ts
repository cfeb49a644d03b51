import { describe, expect, it } from 'vitest';
import type { FleetDomain, HostEntry } from '../../../preload/api-contract';
import { fleetDomain as domain } from '../../support/fleet-rows';
import {
  CollationRanks,
  EMPTY_FILTER,
  FleetFilterCache,
  FleetSorter,
  domainKey,
  fleetItems,
  filterDomains,
  groupItems,
  keepUnchangedRows,
  narrows,
  nextSelection,
  sortDomains,
  type FleetFilter,
  type FleetSortKey,
} from '../../../renderer/src/fleet/fleet-query';

function host(id: string, name: string, tags: string[] = []): HostEntry {
  return {
    id,
    displayName: name,
    ssh: { user: 'root', host: `${id}.example`, port: 22 },
    libvirtUri: 'qemu:///system',
    transport: 'auto',
    tags,
  };
}


const hosts = new Map([
  ['h1', host('h1', 'alpha', ['prod'])],
  ['h2', host('h2', 'beta', ['lab'])],
]);
const domains = [
  domain('h1', 'web-10', { vcpus: 4, cpuPercent: 50, addresses: ['10.0.0.5'] }),
  domain('h1', 'web-9', { state: 'shutoff' }),
  domain('h2', 'db-1', { state: 'paused', memoryKiB: 8192 }),
  domain('h2', 'web-2', { state: 'crashed' }),
];

describe('fleet query', () => {
  it('searches name, host, address and uuid; every word must match', () => {
    const names = (search: string) => filterDomains(domains, hosts, { ...EMPTY_FILTER, search }).map((d) => d.name);
    expect(names('web')).toEqual(['web-10', 'web-9', 'web-2']);
    expect(names('WEB beta')).toEqual(['web-2']);
    expect(names('10.0.0.5')).toEqual(['web-10']);
    expect(names('h2-db')).toEqual(['db-1']);
    expect(names('nothing-like-this')).toEqual([]);
  });

  it('filters by state, host and tag together', () => {
    const names = (patch: Partial<typeof EMPTY_FILTER>) =>
      filterDomains(domains, hosts, { ...EMPTY_FILTER, ...patch }).map((d) => d.name);
    expect(names({ states: ['running', 'paused'] })).toEqual(['web-10', 'db-1']);
    expect(names({ hostIds: ['h2'] })).toEqual(['db-1', 'web-2']);
    expect(names({ tags: ['prod'] })).toEqual(['web-10', 'web-9']);
    expect(names({ tags: ['prod'], states: ['shutoff'] })).toEqual(['web-9']);
  });

  it('sorts naturally by name and by any column, both ways, with a stable tie-break', () => {
    const order = (key: Parameters<typeof sortDomains>[2]['key'], descending = false) =>
      sortDomains(domains, hosts, { key, descending }).map((d) => d.name);
    expect(order('name')).toEqual(['db-1', 'web-2', 'web-9', 'web-10']);
    expect(order('state')).toEqual(['web-2', 'web-10', 'db-1', 'web-9']);
    expect(order('cpu', true)[0]).toBe('web-10');
    expect(order('memory', true)[0]).toBe('db-1');
    expect(order('host')).toEqual(['web-9', 'web-10', 'db-1', 'web-2']);
  });

  it('groups under one header per host, in host name order', () => {
    const items = fleetItems(domains, hosts, EMPTY_FILTER, { key: 'name', descending: false }, true);
    expect(items.map((i) => (i.type === 'group' ? `# ${i.hostName} (${i.count})` : i.domain.name))).toEqual([
      '# alpha (2)',
      'web-9',
      'web-10',
      '# beta (2)',
      'db-1',
      'web-2',
    ]);
  });

  it('selects like a file manager across hosts', () => {
    const keys = domains.map(domainKey);
    const [a, b, c, d] = keys as [string, string, string, string];
    expect([...nextSelection(new Set(), keys, b, null, { toggle: false, range: false })]).toEqual([b]);
    expect([...nextSelection(new Set([b]), keys, d, b, { toggle: false, range: true })]).toEqual([b, c, d]);
    expect([...nextSelection(new Set([b, c]), keys, a, c, { toggle: true, range: true })].sort()).toEqual([a, b, c].sort());
    expect([...nextSelection(new Set([b, c]), keys, c, b, { toggle: true, range: false })]).toEqual([b]);
  });

  it('handles 10,000 rows across 100 hosts quickly', () => {
    const many: FleetDomain[] = [];
    const manyHosts = new Map<string, HostEntry>();
    for (let h = 0; h < 100; h++) {
      manyHosts.set(`h${h}`, host(`h${h}`, `host-${h}`));
      for (let v = 0; v < 100; v++) many.push(domain(`h${h}`, `vm-${v}`, { cpuPercent: (h * v) % 100 }));
    }
    const started = performance.now();
    const items = fleetItems(many, manyHosts, { ...EMPTY_FILTER, search: 'vm-1' }, { key: 'cpu', descending: true }, true);
    const elapsed = performance.now() - started;
    expect(items.filter((i) => i.type === 'domain')).toHaveLength(100 * 11);
    // Generous bound for a slow CI core; a keystroke must not stall the UI.
    expect(elapsed).toBeLessThan(500);
  });

  it('sorts with collation ranks exactly as comparing with the collator row by row', () => {
    // Names the numeric collator holds equal ("vm-01" and "vm-1"), case and accents, and several
    // hosts whose names sort differently from their ids.
    const collator = new Intl.Collator(undefined, { numeric: true });
    const names = ['vm-1', 'vm-01', 'VM-1', 'vm-10', 'vm-2', 'émile', 'emile', 'db', 'db-3', 'web-9', 'web-10'];
    const hostNames = new Map([
      ['h3', host('h3', 'node-10')],
      ['h1', host('h1', 'node-2')],
      ['h2', host('h2', 'Node-2')],
      ['h4', host('h4', 'node-2')],
    ]);
    const rows: FleetDomain[] = [];
    let i = 0;
    for (const hostId of ['h1', 'h2', 'h3', 'h4', 'gone']) {
      for (const name of names) {
        i++;
        rows.push(
          domain(hostId, name, {
            uuid: `u${i}`,
            state: (['running', 'shutoff', 'paused', 'crashed'] as const)[i % 4],
            vcpus: 1 + (i % 3),
            memoryKiB: 1024 * (1 + (i % 5)),
            cpuPercent: i % 4 === 0 ? null : (i * 7) % 13,
          }),
        );
      }
    }
    const averages = new Map(rows.filter((_, n) => n % 3 !== 0).map((row, n) => [domainKey(row), n % 6]));
    const STATE = { crashed: 0, running: 1, blocked: 2, paused: 3, pmsuspended: 4, shutdown: 5, shutoff: 6, nostate: 7 };
    const hostName = (id: string) => hostNames.get(id)?.displayName ?? id;
    const primary: Record<FleetSortKey, (a: FleetDomain, b: FleetDomain) => number> = {
      name: (a, b) => collator.compare(a.name, b.name),
      host: (a, b) => collator.compare(hostName(a.hostId), hostName(b.hostId)),
      state: (a, b) => STATE[a.state] - STATE[b.state],
      vcpus: (a, b) => a.vcpus - b.vcpus,
      memory: (a, b) => a.memoryKiB - b.memoryKiB,
      cpu: (a, b) => (a.cpuPercent ?? -1) - (b.cpuPercent ?? -1),
      average: (a, b) => (averages.get(domainKey(a)) ?? -1) - (averages.get(domainKey(b)) ?? -1),
    };
    const shuffled = [...rows].reverse();
    for (const key of Object.keys(primary) as FleetSortKey[]) {
      for (const descending of [false, true]) {
        const expected = [...shuffled].sort(
          (a, b) =>
            (descending ? -1 : 1) * primary[key](a, b) ||
            collator.compare(a.name, b.name) ||
            (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0),
        );
        expect(sortDomains(shuffled, hostNames, { key, descending }, averages), `${key} ${descending}`).toEqual(expected);
      }
    }
  });

  it('ranks strings in collator order, equal ones alike, and ranks again when a new string turns up', () => {
    const ranks = new CollationRanks();
    const first = ranks.of(['vm-10', 'vm-2', 'vm-02', 'a']);
    expect([...first.entries()].sort((a, b) => a[1] - b[1])).toEqual([
      ['a', 0],
      ['vm-2', 1],
      ['vm-02', 1],
      ['vm-10', 3],
    ]);
    expect(ranks.of(['vm-2', 'a'])).toBe(first);
    const second = ranks.of(['vm-2', 'vm-3', 'vm-10']);
    expect(second.get('vm-2')).toBeLessThan(second.get('vm-3') ?? -1);
    expect(second.get('vm-3')).toBeLessThan(second.get('vm-10') ?? -1);
    expect(second.has('a')).toBe(false);
  });

  it('knows when a search can only narrow the last one', () => {
    expect(narrows('', 'v')).toBe(true);
    expect(narrows('vd', 'vd-')).toBe(true);
    expect(narrows('scale-00', 'scale-00 vd')).toBe(true);
    expect(narrows('scale-00 vd', 'VD-OFF scale-001')).toBe(true);
    expect(narrows('off', 'vd-off')).toBe(true);
    expect(narrows('vd-', 'vd')).toBe(false);
    expect(narrows('a b', 'ab')).toBe(true);
    expect(narrows('ab', 'a b')).toBe(false);
    expect(narrows('x', '')).toBe(false);
  });

  it('filters through its cache exactly as filterDomains does while typing, deleting and changing filters', () => {
    const many: FleetDomain[] = [];
    const manyHosts = new Map<string, HostEntry>();
    for (let h = 0; h < 12; h++) {
      manyHosts.set(`h${h}`, host(`h${h}`, `scale-${String(h).padStart(3, '0')}`, h % 2 ? ['odd'] : []));
      for (let v = 0; v < 15; v++) {
        many.push(domain(`h${h}`, v < 12 ? `vd-test-scale-${String(v).padStart(3, '0')}` : `vd-off-${v}`, { state: v % 3 ? 'shutoff' : 'running' }));
      }
    }
    const sorted = sortDomains(many, manyHosts, { key: 'name', descending: false });
    const cache = new FleetFilterCache();
    const steps: FleetFilter[] = [];
    const typed = (text: string, patch: Partial<FleetFilter> = {}) => {
      for (let n = 1; n <= text.length; n++) steps.push({ ...EMPTY_FILTER, ...patch, search: text.slice(0, n) });
      for (let n = text.length - 1; n >= 0; n--) steps.push({ ...EMPTY_FILTER, ...patch, search: text.slice(0, n) });
    };
    typed('vd-test-scale-00');
    typed('scale-00 vd-off');
    typed('scale-001 vd', { states: ['running'] });
    typed('off', { tags: ['odd'] });
    steps.push({ ...EMPTY_FILTER, search: 'vd-off', hostIds: ['h1', 'h2'] }, { ...EMPTY_FILTER, search: 'vd-off-1', hostIds: ['h1'] });
    for (const step of steps) {
      const result = cache.filter(sorted, manyHosts, step);
      expect(result, JSON.stringify(step)).toEqual(filterDomains(sorted, manyHosts, step));
      expect(cache.filter(sorted, manyHosts, step)).toBe(result);
      for (const groupByHost of [false, true]) {
        expect(cache.items(sorted, manyHosts, step, groupByHost)).toEqual(groupItems(filterDomains(sorted, manyHosts, step), manyHosts, groupByHost));
      }
    }
    // New rows (a tick): filtered in full again, no result of the old rows remembered.
    const next = [...sorted.slice(1)];
    for (const search of ['vd', 'vd-off', 'vd', 'vd-test-scale-000', '']) {
      const step = { ...EMPTY_FILTER, search };
      expect(cache.filter(next, manyHosts, step)).toEqual(filterDomains(next, manyHosts, step));
      expect(cache.items(next, manyHosts, step, false)).toEqual(groupItems(filterDomains(next, manyHosts, step), manyHosts, false));
    }
  });

  it('sorting then filtering gives the same items as before (filter, then sort)', () => {
    for (const search of ['', 'web', 'beta', '10.0']) {
      for (const groupByHost of [false, true]) {
        const sort = { key: 'cpu' as const, descending: true };
        const filter = { ...EMPTY_FILTER, search };
        const before = groupItems(sortDomains(filterDomains(domains, hosts, filter), hosts, sort), hosts, groupByHost);
        expect(fleetItems(domains, hosts, filter, sort, groupByHost)).toEqual(before);
      }
    }
  });

  it('keeps the objects of rows that did not change across a tick', () => {
    const before = [
      domain('h1', 'a', { uuid: 'ua', cpuPercent: 5, addresses: ['10.0.0.1'] }),
      domain('h1', 'b', { uuid: 'ub', state: 'shutoff' }),
      domain('h1', 'c', { uuid: 'uc', addresses: ['10.0.0.3'] }),
    ];
    const after = [
      domain('h1', 'a', { uuid: 'ua', cpuPercent: 7, addresses: ['10.0.0.1'] }),
      domain('h1', 'b', { uuid: 'ub', state: 'shutoff' }),
      domain('h1', 'c', { uuid: 'uc', addresses: ['10.0.0.3', 'fe80::1'] }),
      domain('h1', 'd', { uuid: 'ud' }),
    ];
    const kept = keepUnchangedRows(before, after);
    expect(kept).toEqual(after);
    expect(kept[0]).toBe(after[0]);
    expect(kept[1]).toBe(before[1]);
    expect(kept[2]).toBe(after[2]);
    expect(kept[3]).toBe(after[3]);
    expect(keepUnchangedRows(undefined, after)).toEqual(after);
    // Renamed guest (same uuid): the new object.
    const renamed = keepUnchangedRows(before, [domain('h1', 'b2', { uuid: 'ub', state: 'shutoff' })]);
    expect(renamed[0]?.name).toBe('b2');
  });
  it('keeps the last order across a tick that changed no sort value, and sorts again when one changed', () => {
    const manyHosts = new Map<string, HostEntry>();
    const tick = (round: number): FleetDomain[] => {
      const rows: FleetDomain[] = [];
      for (let h = 0; h < 5; h++) {
        manyHosts.set(`h${h}`, host(`h${h}`, `host-${(h * 3) % 5}`));
        for (let v = 0; v < 40; v++) {
          rows.push(
            domain(`h${h}`, `vm-${(v * 7) % 40}`, {
              vcpus: 1 + (v % 4),
              memoryKiB: 1024 * (1 + (v % 3)),
              state: v % 5 === 0 ? 'shutoff' : 'running',
              cpuPercent: v % 5 === 0 ? null : (v * 13 + round * 17) % 100,
            }),
          );
        }
      }
      return rows;
    };
    for (const key of ['name', 'host', 'state', 'vcpus', 'memory', 'cpu'] as FleetSortKey[]) {
      for (const descending of [false, true]) {
        const sorter = new FleetSorter();
        const sort = { key, descending };
        for (let round = 0; round < 3; round++) {
          const rows = tick(round);
          expect(sorter.sort(rows, manyHosts, sort)).toEqual(sortDomains(rows, manyHosts, sort));
        }
        // Only the CPU figures changed: the other sorts kept their order (one full sort), CPU sorted each time.
        expect(sorter.fullSorts, `${key} ${descending}`).toBe(key === 'cpu' ? 3 : 1);
        const same = tick(3);
        expect(sorter.sort(same, manyHosts, sort)).toBe(sorter.sort(same, manyHosts, sort));
      }
    }
    // A row whose sort value changed, a row that went, a new row: sorted again, the same as sortDomains.
    const sorter = new FleetSorter();
    const sort = { key: 'vcpus' as const, descending: false };
    const rows = tick(0);
    sorter.sort(rows, manyHosts, sort);
    const changed = rows.map((row, i) => (i === 7 ? { ...row, vcpus: 9 } : row));
    expect(sorter.sort(changed, manyHosts, sort)).toEqual(sortDomains(changed, manyHosts, sort));
    expect(sorter.fullSorts).toBe(2);
    const fewer = changed.slice(1);
    expect(sorter.sort(fewer, manyHosts, sort)).toEqual(sortDomains(fewer, manyHosts, sort));
    const swapped = [...fewer.slice(1), domain('h9', 'new-vm', { vcpus: 2 })];
    expect(sorter.sort(swapped, manyHosts, sort)).toEqual(sortDomains(swapped, manyHosts, sort));
    expect(sorter.fullSorts).toBe(4);
    // Renamed (same key, new name): sorted again.
    const renamed = swapped.map((row, i) => (i === 0 ? { ...row, name: 'zzz' } : row));
    expect(sorter.sort(renamed, manyHosts, sort)).toEqual(sortDomains(renamed, manyHosts, sort));
    expect(sorter.fullSorts).toBe(5);
  });
});
