/**
 * libvirt's cpuset grammar ("0-3,^2,8": CPUs, ranges, exclusions), read the same way by the tuning forms
 * (to draw the pinning grid) and by main (which checks every cpuset again before anything is applied).
 */

/** Why a cpuset was not read; `item` is the comma-separated part at fault. */
export type CpusetProblem =
  | { kind: 'empty-item' }
  | { kind: 'syntax'; item: string }
  | { kind: 'backwards'; item: string }
  | { kind: 'too-large' }
  | { kind: 'selects-none' };

/** The widest range one item may span (libvirt's own bitmaps stop far below what a typo could ask for). */
const MAX_RANGE = 8192;

/** The sorted CPU numbers a cpuset selects, or why it selects none. */
export function readCpuset(cpuset: string): { cpus: number[] } | { problem: CpusetProblem } {
  const included = new Set<number>();
  const excluded = new Set<number>();
  const items = cpuset.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) return { problem: { kind: 'empty-item' } };
  for (const item of items) {
    const match = /^(\^)?(\d+)(?:-(\d+))?$/.exec(item);
    if (!match) return { problem: { kind: 'syntax', item } };
    const from = Number(match[2]);
    const to = match[3] === undefined ? from : Number(match[3]);
    if (to < from) return { problem: { kind: 'backwards', item } };
    if (to - from > MAX_RANGE) return { problem: { kind: 'too-large' } };
    for (let cpu = from; cpu <= to; cpu++) (match[1] ? excluded : included).add(cpu);
  }
  const cpus = [...included].filter((cpu) => !excluded.has(cpu)).sort((a, b) => a - b);
  return cpus.length === 0 ? { problem: { kind: 'selects-none' } } : { cpus };
}

/** CPU numbers in libvirt's compact cpuset form ("0-3,6"). */
export function formatCpuset(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
