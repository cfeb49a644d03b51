import type { HostCheck } from '../../../preload/api-contract';

/**
 * Read-only checks of a virtualisation host, gathered by ONE shell script over the host's existing SSH
 * connection (one round trip), each section between markers so the output can be told apart. Nothing
 * here changes the host.
 */
const SECTIONS: Array<[id: string, command: string]> = [
  ['cpuflags', "grep -m1 -o -w -E 'vmx|svm' /proc/cpuinfo || true; grep -c ^processor /proc/cpuinfo"],
  ['kvm-modules', "grep -E '^(kvm|kvm_intel|kvm_amd) ' /proc/modules | cut -d' ' -f1 || true"],
  ['dev-kvm', 'if [ -e /dev/kvm ]; then ls -l /dev/kvm; if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo usable; else echo not-usable; fi; else echo missing; fi'],
  ['iommu', "n=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l); echo groups=$n; tr ' ' '\\n' < /proc/cmdline | grep -E 'iommu' || true"],
  ['hugepages', "for d in /sys/kernel/mm/hugepages/hugepages-*; do [ -d \"$d\" ] && echo \"${d##*/} total=$(cat $d/nr_hugepages) free=$(cat $d/free_hugepages)\"; done; true"],
  ['virt-host-validate', 'if command -v virt-host-validate >/dev/null 2>&1; then LC_ALL=C virt-host-validate qemu 2>&1; echo exit=$?; else echo not-installed; fi'],
];

const MARK = '@@virtdeck-check@@';

export function hostChecksScript(): string {
  return SECTIONS.map(([id, command]) => `echo '${MARK} ${id}'; { ${command}; } 2>&1`).join('\n');
}

function sections(output: string): Map<string, string> {
  const found = new Map<string, string>();
  let current: string | null = null;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      if (current) found.set(current, lines.join('\n').trim());
      current = line.slice(MARK.length + 1).trim();
      lines = [];
    } else if (current) lines.push(line);
  }
  if (current) found.set(current, lines.join('\n').trim());
  return found;
}

/** Turns the script's output into checks with status and evidence. */
export function parseHostChecks(output: string): HostCheck[] {
  const out = sections(output);
  const evidence = (id: string) => out.get(id) || '(no output)';
  const checks: HostCheck[] = [];

  const cpu = evidence('cpuflags');
  const flag = /\b(vmx|svm)\b/.exec(cpu)?.[1];
  checks.push(
    flag
      ? { id: 'cpu-virtualization', status: 'ok', variant: flag, values: {}, evidence: cpu }
      : { id: 'cpu-virtualization', status: 'fail', variant: 'none', values: {}, evidence: cpu },
  );

  const modules = (out.get('kvm-modules') ?? '').split('\n').filter((m) => /^kvm/.test(m));
  checks.push({
    id: 'kvm-modules',
    status: modules.includes('kvm') && modules.length > 1 ? 'ok' : modules.includes('kvm') ? 'warn' : 'fail',
    variant: modules.length > 0 ? 'loaded' : 'none',
    values: { modules: modules.join(', ') },
    evidence: out.get('kvm-modules') || '(none)',
  });

  const kvm = evidence('dev-kvm');
  const kvmVariant = /^missing$/m.test(kvm) ? 'missing' : /not-usable/.test(kvm) ? 'notUsable' : 'usable';
  checks.push({ id: 'dev-kvm', status: kvmVariant === 'usable' ? 'ok' : 'fail', variant: kvmVariant, values: {}, evidence: kvm });

  const iommu = evidence('iommu');
  const groups = Number(/groups=(\d+)/.exec(iommu)?.[1] ?? '0');
  checks.push({
    id: 'iommu',
    status: groups > 0 ? 'ok' : 'warn',
    variant: groups > 0 ? 'enabled' : 'disabled',
    values: { groups },
    evidence: iommu,
  });

  const pages = out.get('hugepages') ?? '';
  const pools = [...pages.matchAll(/hugepages-(\d+)kB total=(\d+) free=(\d+)/g)].map((m) => ({
    sizeKiB: Number(m[1]),
    total: Number(m[2]),
    free: Number(m[3]),
  }));
  const reserved = pools.filter((pool) => pool.total > 0);
  const size = (kib: number) => (kib >= 1048576 ? `${kib / 1048576} GiB` : `${kib / 1024} MiB`);
  checks.push({
    id: 'hugepages',
    status: reserved.length > 0 ? 'ok' : 'info',
    variant: reserved.length > 0 ? 'reserved' : 'none',
    values: { pools: reserved.map((p) => `${size(p.sizeKiB)}: ${p.free}/${p.total}`).join(', ') },
    evidence: pages || '(no hugepage sizes)',
  });

  const validate = evidence('virt-host-validate');
  if (validate === 'not-installed') {
    checks.push({ id: 'virt-host-validate', status: 'info', variant: 'notInstalled', values: {}, evidence: validate });
  } else {
    const fails = (validate.match(/: FAIL/g) ?? []).length;
    const warns = (validate.match(/: WARN/g) ?? []).length;
    checks.push({
      id: 'virt-host-validate',
      status: fails > 0 ? 'fail' : warns > 0 ? 'warn' : 'ok',
      variant: fails + warns > 0 ? 'problems' : 'passed',
      values: { fails, warns },
      evidence: validate,
    });
  }
  return checks;
}
