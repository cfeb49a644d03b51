import { describe, expect, it } from 'vitest';
import { advise, guestOs } from '../../../main/services/domain-tuning/advisor';
import { parseHostTopology } from '../../../main/services/domain-tuning/host-topology';
import { applyTuningChange, readTuningState } from '../../../main/services/domain-tuning/transform';
import { DEFAULT_SETTINGS } from '../../../main/services/settings/settings-store';
import { capsFixture, domainFixture } from './helpers';

const labHost = parseHostTopology(capsFixture('lab-1node-2cpu.xml'));
const bigHost = parseHostTopology(capsFixture('crafted-2node-16cpu.xml'));
const lab = domainFixture('lab-off-1-inactive.xml');
const rich = domainFixture('tuning-rich.xml');

const thresholds = DEFAULT_SETTINGS.advisor;
const run = (xml: string, host = bigHost, otherRunningVcpus = 0, liveVcpus: number | null = null, otherRunningMemoryKiB = 0) =>
  advise({ inactiveXml: xml, state: readTuningState(xml), host, otherRunningVcpus, otherRunningMemoryKiB, liveVcpus, thresholds });
const rules = (findings: ReturnType<typeof advise>) => findings.map((f) => f.rule).sort();

describe('host topology', () => {
  it('reads cells, CPUs and page pools from capabilities', () => {
    expect(labHost).toMatchObject({ threads: 2, memoryKiB: 7956692, pageSizesKiB: [4, 2048, 1048576] });
    expect(labHost.cells[0]?.pages).toEqual([
      { sizeKiB: 4, total: 1989173, free: null },
      { sizeKiB: 2048, total: 0, free: null },
      { sizeKiB: 1048576, total: 0, free: null },
    ]);
    expect(bigHost.threads).toBe(16);
    expect(bigHost.cells[1]?.cpus.map((c) => c.id)).toEqual([4, 5, 6, 7, 12, 13, 14, 15]);
    expect(bigHost.cells[0]?.cpus[4]).toEqual({ id: 8, socket: 0, die: 0, core: 0, siblings: '0,8' });
  });
});

describe('advisor', () => {
  it('vCPU overcommit: others + this guest above 0.8 × host threads', () => {
    // 2 threads → limit 1.6; 3 running guests with 1 vCPU each + this one = 4.
    const lab4 = run(lab, labHost, 3, null).find((f) => f.rule === 'vcpu-overcommit');
    expect(lab4).toMatchObject({ values: { total: 4, others: 3, mine: 1, threads: 2, limit: 1.6 }, fix: null });
    // 16 threads → limit 12.8; 8 others + 4 = 12: fine; 10 others + 4 = 14: fix proposes 12 - 10 = 2 vCPUs.
    expect(rules(run(rich, bigHost, 8))).not.toContain('vcpu-overcommit');
    const fix = run(rich, bigHost, 10).find((f) => f.rule === 'vcpu-overcommit')?.fix;
    expect(fix).toMatchObject({ form: 'cpu', vcpus: 2, maxVcpus: 4 });
  });

  it('memory: one guest alone above 0.7 × host RAM, with a fix that fits', () => {
    const big = applyTuningChange(lab, { ...readTuningState(lab).memory, maxKiB: 6 * 1024 * 1024, currentKiB: 6 * 1024 * 1024 });
    const finding = run(big, labHost).find((f) => f.rule === 'memory-overcommit');
    expect(finding?.values).toMatchObject({ totalMiB: 6144, othersMiB: 0, mineMiB: 6144, hostMiB: 7770, ratio: 0.7, limitMiB: 5439 });
    expect(finding?.fix).toMatchObject({ form: 'memory', maxKiB: 5439 * 1024, currentKiB: 5439 * 1024 });
    expect(rules(run(lab, labHost))).not.toContain('memory-overcommit');
  });

  it('memory counts the running guests plus this one, as the vCPU rule does', () => {
    // vd-off-1 may use 160 MiB; the host's limit is 5439 MiB. Others running 5000 MiB: fine (5160).
    expect(rules(run(lab, labHost, 0, null, 5000 * 1024))).not.toContain('memory-overcommit');
    // Others running 5400 MiB: 5560 > 5439. Shrinking this guest to 39 MiB is no fix (below 128 MiB).
    const crowded = run(lab, labHost, 0, null, 5400 * 1024).find((f) => f.rule === 'memory-overcommit');
    expect(crowded?.values).toMatchObject({ totalMiB: 5560, othersMiB: 5400, mineMiB: 160, limitMiB: 5439 });
    expect(crowded?.fix).toBeNull();
    // A 2 GiB guest beside 4 GiB of others: it fits at 1343 MiB, which the fix proposes.
    const big = applyTuningChange(lab, { ...readTuningState(lab).memory, maxKiB: 2048 * 1024, currentKiB: 1024 * 1024 });
    const fix = run(big, labHost, 0, null, 4096 * 1024).find((f) => f.rule === 'memory-overcommit')?.fix;
    expect(fix).toMatchObject({ form: 'memory', maxKiB: 1343 * 1024, currentKiB: 1024 * 1024 });
  });

  it('the thresholds are settings: a higher vCPU ratio or memory share silences the rules', () => {
    expect(rules(run(lab, labHost, 3, null))).toContain('vcpu-overcommit');
    const relaxed = advise({
      inactiveXml: lab,
      state: readTuningState(lab),
      host: labHost,
      otherRunningVcpus: 3,
      otherRunningMemoryKiB: 5400 * 1024,
      liveVcpus: null,
      thresholds: { vcpuPerThread: 2, memoryShare: 0.9 },
    });
    expect(rules(relaxed)).not.toContain('vcpu-overcommit');
    expect(rules(relaxed)).not.toContain('memory-overcommit');
  });

  it('vCPUs pinned across NUMA nodes: fix pins them all to the node holding most', () => {
    const finding = run(rich).find((f) => f.rule === 'pinning-across-numa');
    expect(finding?.values).toEqual({ nodes: '0, 1', node: 0 });
    expect(finding?.fix).toMatchObject({ form: 'pinning', vcpus: [0, 1, 2, 3].map((vcpu) => ({ vcpu, cpuset: '0-3,8-11' })) });
    // On a one-node host the same pins are fine.
    const onLab = applyTuningChange(lab, { form: 'pinning', vcpus: [{ vcpu: 0, cpuset: '0-1' }], emulator: null, iothreads: [] });
    expect(rules(run(onLab, labHost))).not.toContain('pinning-across-numa');
  });

  it('hugepages asked but no host pool (lab host: 0 × 2 MiB); a pool big enough is fine', () => {
    const finding = run(rich, labHost).find((f) => f.rule === 'hugepages-no-pool');
    expect(finding).toMatchObject({ values: { sizeKiB: 2048, needed: 2048, available: 0 }, fix: { form: 'memory', hugepages: null } });
    // 512 × 2 MiB on the crafted host: not enough for 4 GiB…
    expect(rules(run(rich, bigHost))).toContain('hugepages-no-pool');
    // …but enough for 1 GiB.
    const small = applyTuningChange(rich, { ...readTuningState(rich).memory, maxKiB: 1048576, currentKiB: 1048576 });
    expect(rules(run(small, bigHost))).not.toContain('hugepages-no-pool');
  });

  it('disk cache, raw/qcow2, virtio for a Linux guest (osinfo), emulated NIC, balloon', () => {
    const findings = run(rich);
    expect(findings.filter((f) => f.rule === 'disk-cache').map((f) => f.values.target)).toEqual(['sda']);
    expect(findings.filter((f) => f.rule === 'disk-format').map((f) => f.values.format)).toEqual(['qcow2', 'raw']);
    expect(findings.find((f) => f.rule === 'no-virtio-disk')).toMatchObject({ values: { target: 'sda', bus: 'sata', os: 'http://ubuntu.com/ubuntu/22.04' }, fix: { form: 'disk', bus: 'virtio' } });
    expect(findings.find((f) => f.rule === 'no-virtio-nic')?.fix).toEqual({ form: 'nic', mac: '52:54:00:12:34:56', model: 'virtio', queues: null });
    expect(findings.find((f) => f.rule === 'no-balloon')?.fix).toMatchObject({ form: 'memory', balloonModel: 'virtio', statsPeriod: 10 });
  });

  it('an unknown OS gets the emulated-NIC note instead of the virtio warning', () => {
    const windows = rich.replace('http://ubuntu.com/ubuntu/22.04', 'http://microsoft.com/win/10');
    expect(guestOs(windows)).toEqual({ linux: false, osinfo: 'http://microsoft.com/win/10' });
    expect(rules(run(windows))).toEqual(expect.arrayContaining(['emulated-nic']));
    expect(rules(run(windows))).not.toContain('no-virtio-nic');
    expect(rules(run(windows))).not.toContain('no-virtio-disk');
    // The lab guest boots a Linux kernel directly: Linux without osinfo.
    expect(guestOs(lab)).toEqual({ linux: true, osinfo: null });
  });

  it('every fix applies cleanly to the guest it is for', () => {
    for (const finding of run(rich, labHost, 10)) {
      if (finding.fix) expect(() => applyTuningChange(rich, finding.fix!, labHost)).not.toThrow();
    }
  });
});
