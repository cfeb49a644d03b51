/** libvirt cpusets ("0-3,^2,8") in the forms; the host checks them again before anything is applied. */
export function parseCpuset(cpuset: string): number[] | null {
  const included = new Set<number>();
  const excluded = new Set<number>();
  for (const raw of cpuset.split(',')) {
    const match = /^(\^)?(\d+)(?:-(\d+))?$/.exec(raw.trim());
    if (!match) return null;
    const from = Number(match[2]);
    const to = match[3] === undefined ? from : Number(match[3]);
    if (to < from || to - from > 8192) return null;
    for (let cpu = from; cpu <= to; cpu++) (match[1] ? excluded : included).add(cpu);
  }
  return [...included].filter((cpu) => !excluded.has(cpu)).sort((a, b) => a - b);
}

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
