/** The host's NUMA cells, CPUs (socket/die/core/siblings) and page pools, from its capabilities XML. */
import type { HostTopology } from '../../../preload/api-contract';
import { attribute, elements, first, parseXml, sizeInKiB } from './xml-edit';

export function parseHostTopology(capabilitiesXml: string): HostTopology {
  const doc = parseXml(capabilitiesXml, 'The host capabilities');
  const host = first(doc.root, 'host');
  const cpu = first(host, 'cpu');
  const pageSizesKiB = elements(cpu, 'pages')
    .map((page) => sizeInKiB(attribute(page, 'size'), attribute(page, 'unit')) ?? 0)
    .filter((size) => size > 0);
  const cells = elements(first(first(host, 'topology'), 'cells'), 'cell').map((cell) => {
    const pages = new Map<number, number>();
    for (const page of elements(cell, 'pages')) {
      const size = sizeInKiB(attribute(page, 'size'), attribute(page, 'unit')) ?? 0;
      // Some libvirt versions list each size twice; the counts are the same.
      if (size > 0) pages.set(size, Number(page.textContent?.trim() || 0));
    }
    return {
      id: Number(attribute(cell, 'id') ?? 0),
      memoryKiB: sizeInKiB(first(cell, 'memory')?.textContent ?? null, attribute(first(cell, 'memory'), 'unit')) ?? 0,
      cpus: elements(first(cell, 'cpus'), 'cpu').map((c) => ({
        id: Number(attribute(c, 'id')),
        socket: Number(attribute(c, 'socket_id') ?? 0),
        die: Number(attribute(c, 'die_id') ?? 0),
        core: Number(attribute(c, 'core_id') ?? attribute(c, 'id')),
        siblings: attribute(c, 'siblings') ?? attribute(c, 'id') ?? '',
      })),
      pages: [...pages].map(([sizeKiB, total]) => ({ sizeKiB, total, free: null as number | null })),
    };
  });
  const threads = cells.reduce((sum, cell) => sum + cell.cpus.length, 0);
  const memoryKiB = cells.reduce((sum, cell) => sum + cell.memoryKiB, 0);
  return { cells, threads, memoryKiB, pageSizesKiB: pageSizesKiB.length > 0 ? pageSizesKiB : [4] };
}

/** The NUMA node of each host CPU. */
export function cpuNodes(host: HostTopology): Map<number, number> {
  return new Map(host.cells.flatMap((cell) => cell.cpus.map((cpu) => [cpu.id, cell.id] as const)));
}

/** Free (or, when unknown, total) pages of a size on the whole host. */
export function hostPages(host: HostTopology, sizeKiB: number): { total: number; free: number | null } {
  let total = 0;
  let free: number | null = 0;
  for (const cell of host.cells) {
    const pool = cell.pages.find((p) => p.sizeKiB === sizeKiB);
    if (!pool) continue;
    total += pool.total;
    if (pool.free === null) free = null;
    else if (free !== null) free += pool.free;
  }
  return { total, free };
}

/** The hugepage size libvirt uses when <hugepages/> names none: the smallest above the normal page. */
export function defaultHugepageKiB(host: HostTopology): number | null {
  const sizes = [...host.pageSizesKiB].sort((a, b) => a - b);
  return sizes[1] ?? null;
}
