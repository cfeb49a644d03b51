import { describe, expect, it } from 'vitest';
import type { TuningChange } from '../../../preload/api-contract';
import { applyTuningChange, readTuningState } from '../../../main/services/domain-tuning/transform';
import { parseHostTopology } from '../../../main/services/domain-tuning/host-topology';
import { capsFixture, changedLines, domainFixture, foreignLines } from './helpers';

const rich = domainFixture('tuning-rich.xml');
const lab = domainFixture('lab-off-1-inactive.xml');
const workstation = domainFixture('workstation-rich.xml');
const host2 = parseHostTopology(capsFixture('crafted-2node-16cpu.xml'));
const labHost = parseHostTopology(capsFixture('lab-1node-2cpu.xml'));

/** Applies a change and checks that exactly the expected lines changed and all foreign content stayed. */
function expectOnly(before: string, change: TuningChange, removed: string[], added: string[], host = host2) {
  const after = applyTuningChange(before, change, host);
  const lines = changedLines(before, after);
  expect(lines.removed).toEqual(removed);
  expect(lines.added).toEqual(added);
  for (const line of foreignLines(before)) expect(after).toContain(line);
  return after;
}

describe('CPU form', () => {
  it('changes vCPUs current/max on the lab guest and nothing else', () => {
    const state = readTuningState(lab).cpu;
    expect(state).toMatchObject({ vcpus: 1, maxVcpus: 1, mode: 'custom', model: 'qemu64' });
    expectOnly(lab, { ...state, vcpus: 2, maxVcpus: 4 }, ["<vcpu placement='static'>1</vcpu>"], ["<vcpu placement='static' current='2'>4</vcpu>"], labHost);
  });

  it('switches to host-passthrough with a topology; drops pins of removed vCPUs', () => {
    const state = readTuningState(rich).cpu;
    const after = applyTuningChange(rich, { ...state, maxVcpus: 2, vcpus: 2, mode: 'host-passthrough', model: null, topology: { sockets: 1, cores: 1, threads: 2 } });
    const { removed, added } = changedLines(rich, after);
    expect(removed).toEqual([
      "<vcpu placement='static'>4</vcpu>",
      "<vcpupin vcpu='2' cpuset='4'/>",
      "<vcpupin vcpu='3' cpuset='5'/>",
      "<cpu mode='custom' match='exact' check='partial'>",
      "<model fallback='allow'>Skylake-Server</model>",
      "<topology sockets='1' dies='1' cores='4' threads='1'/>",
    ]);
    expect(added).toEqual(["<vcpu placement='static'>2</vcpu>", "<cpu mode='host-passthrough' check='partial'>", "<topology sockets='1' dies='1' cores='1' threads='2'/>"]);
    for (const line of foreignLines(rich)) expect(after).toContain(line);
  });

  it('refuses a topology that does not match the vCPUs, and current above max', () => {
    const state = readTuningState(rich).cpu;
    expect(() => applyTuningChange(rich, { ...state, topology: { sockets: 2, cores: 4, threads: 1 } })).toThrow(/topology gives 8/);
    expect(() => applyTuningChange(rich, { ...state, vcpus: 5 })).toThrow(/vCPUs must be/);
    expect(() => applyTuningChange(rich, { ...state, mode: 'custom', model: '' })).toThrow(/model/);
  });
});

describe('Pinning form', () => {
  it('pins a vCPU of the lab guest into a new <cputune>, indented like its siblings', () => {
    const pinning = readTuningState(lab).pinning;
    expect(pinning.vcpus).toEqual([{ vcpu: 0, cpuset: null }]);
    const after = applyTuningChange(lab, { ...pinning, vcpus: [{ vcpu: 0, cpuset: '1' }] }, labHost);
    expect(after).toContain("  <vcpu placement='static'>1</vcpu>\n  <cputune>\n    <vcpupin vcpu='0' cpuset='1'/>\n  </cputune>\n  <os>");
    expect(changedLines(lab, after).removed).toEqual([]);
  });

  it('changes pins in place, keeps the comment, adds iothread pins in order', () => {
    const pinning = readTuningState(rich).pinning;
    expect(pinning.iothreads).toHaveLength(2);
    expectOnly(
      rich,
      { ...pinning, vcpus: pinning.vcpus.map((v) => (v.vcpu === 2 ? { vcpu: 2, cpuset: '8' } : v)), iothreads: [{ iothread: 1, cpuset: '10-11' }, { iothread: 2, cpuset: null }] },
      ["<vcpupin vcpu='2' cpuset='4'/>"],
      ["<vcpupin vcpu='2' cpuset='8'/>", "<iothreadpin iothread='1' cpuset='10-11'/>"],
    );
  });

  it('refuses host CPUs the host lacks, unknown vCPUs and bad cpusets', () => {
    const pinning = readTuningState(lab).pinning;
    expect(() => applyTuningChange(lab, { ...pinning, vcpus: [{ vcpu: 0, cpuset: '7' }] }, labHost)).toThrow(/host CPU 7/);
    expect(() => applyTuningChange(lab, { ...pinning, vcpus: [{ vcpu: 3, cpuset: '0' }] }, labHost)).toThrow(/vCPU 3 does not exist/);
    expect(() => applyTuningChange(lab, { ...pinning, emulator: '1-' }, labHost)).toThrow(/emulator cpuset/);
  });

  it('removing every pin removes <cputune>', () => {
    const after = applyTuningChange(rich, { form: 'pinning', vcpus: [0, 1, 2, 3].map((vcpu) => ({ vcpu, cpuset: null })), emulator: null, iothreads: [] }, host2);
    // The comment inside <cputune> keeps it alive: foreign content is never dropped.
    expect(after).toContain('<!-- pins chosen by capacity planning, 2024-03 -->');
    expect(after).not.toContain('vcpupin');
  });
});

describe('Memory form', () => {
  it('changes memory of the lab guest and adds a virtio balloon with stats', () => {
    const memory = readTuningState(lab).memory;
    expect(memory).toMatchObject({ maxKiB: 163840, currentKiB: 163840, balloonModel: 'none', hugepages: null });
    expectOnly(
      lab,
      { ...memory, maxKiB: 262144, currentKiB: 196608, balloonModel: 'virtio', statsPeriod: 10 },
      ["<memory unit='KiB'>163840</memory>", "<currentMemory unit='KiB'>163840</currentMemory>", "<memballoon model='none'/>"],
      ["<memory unit='KiB'>262144</memory>", "<currentMemory unit='KiB'>196608</currentMemory>", "<memballoon model='virtio'>", "<stats period='10'/>", '</memballoon>'],
      labHost,
    );
  });

  it('reads and edits hugepages and backing, keeping the comment inside <memoryBacking>', () => {
    const memory = readTuningState(rich).memory;
    expect(memory).toMatchObject({ hugepages: { sizeKiB: 2048 }, locked: true, nosharepages: false });
    expectOnly(rich, { ...memory, hugepages: { sizeKiB: 1048576 }, nosharepages: true }, ["<page size='2048' unit='KiB'/>"], ["<page size='1048576' unit='KiB'/>", '<nosharepages/>']);
    const none = applyTuningChange(rich, { ...memory, hugepages: null, locked: false });
    expect(none).not.toContain('<hugepages>');
    expect(none).toContain('<!-- locked so the host never swaps the buffer pool -->');
  });

  it('keeps GiB units of untouched sizes and refuses bad values', () => {
    const memory = readTuningState(workstation).memory;
    expect(memory.maxKiB).toBe(8 * 1024 * 1024);
    const after = applyTuningChange(workstation, { ...memory, currentKiB: 4194304 });
    expect(after).toContain("<memory unit='GiB'>8</memory>");
    expect(() => applyTuningChange(lab, { ...readTuningState(lab).memory, currentKiB: 999999 })).toThrow(/not above the maximum/);
    expect(() => applyTuningChange(lab, { ...readTuningState(lab).memory, statsPeriod: 5 })).toThrow(/balloon device/);
    expect(() => applyTuningChange(rich, { ...memory, maxKiB: 4194305, currentKiB: 4194305, hugepages: { sizeKiB: 2048 } })).toThrow(/whole number of 2048/);
  });
});

describe('NUMA form', () => {
  it('sets numatune and guest cells, refusing nodes the host lacks and cells not adding up', () => {
    const numa = readTuningState(rich).numa;
    expect(numa).toEqual({ form: 'numa', numatune: null, cells: [] });
    const after = expectOnly(
      rich,
      { form: 'numa', numatune: { mode: 'strict', nodeset: '1' }, cells: [{ id: 0, cpus: '0-1', memoryKiB: 2097152 }, { id: 1, cpus: '2-3', memoryKiB: 2097152 }] },
      [],
      ['<numatune>', "<memory mode='strict' nodeset='1'/>", '</numatune>', '<numa>', "<cell id='0' cpus='0-1' memory='2097152' unit='KiB'/>", "<cell id='1' cpus='2-3' memory='2097152' unit='KiB'/>", '</numa>'],
    );
    expect(readTuningState(after).numa.cells).toHaveLength(2);
    expect(() => applyTuningChange(rich, { form: 'numa', numatune: { mode: 'strict', nodeset: '3' }, cells: [] }, host2)).toThrow(/node 3/);
    expect(() => applyTuningChange(rich, { form: 'numa', numatune: null, cells: [{ id: 0, cpus: '0-3', memoryKiB: 1024 * 1024 }] }, host2)).toThrow(/add up/);
  });
});

describe('Disk, NIC, boot, graphics and TPM forms', () => {
  it('disk: moves a SATA disk to virtio (new name, address dropped) with cache none', () => {
    const disk = readTuningState(rich).disks.find((d) => d.target === 'sda');
    expect(disk).toMatchObject({ bus: 'sata', cache: 'writeback', format: 'qcow2', sourceType: 'file' });
    expectOnly(
      rich,
      { form: 'disk', target: 'sda', bus: 'virtio', cache: 'none', io: 'native', discard: 'unmap', detectZeroes: 'unmap', iothread: 1 },
      ["<driver name='qemu' type='qcow2' cache='writeback'/>", "<target dev='sda' bus='sata'/>", "<address type='drive' controller='0' bus='0' target='0' unit='0'/>"],
      ["<driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap' detect_zeroes='unmap' iothread='1'/>", "<target dev='vda' bus='virtio'/>"],
    );
    expect(() => applyTuningChange(rich, { form: 'disk', target: 'vdz', bus: 'virtio', cache: null, io: null, discard: null, detectZeroes: null, iothread: null })).toThrow(/no disk/);
    expect(() => applyTuningChange(rich, { form: 'disk', target: 'vdb', bus: 'virtio', cache: 'writeback', io: 'native', discard: null, detectZeroes: null, iothread: null })).toThrow(/io=native/);
  });

  it('nic: model and queues, keeping the comment in the interface', () => {
    expectOnly(rich, { form: 'nic', mac: '52:54:00:12:34:56', model: 'virtio', queues: 2 }, ["<model type='rtl8139'/>"], ["<model type='virtio'/>", "<driver queues='2'/>"]);
    expect(() => applyTuningChange(rich, { form: 'nic', mac: '52:54:00:12:34:56', model: 'e1000', queues: 2 })).toThrow(/virtio/);
  });

  it('boot: reorders and adds devices; refuses per-device boot orders', () => {
    expectOnly(lab, { form: 'boot', order: ['cdrom', 'hd'] }, [], ["<boot dev='cdrom'/>"], labHost);
    expect(() => applyTuningChange(workstation, { form: 'boot', order: ['hd'] })).toThrow(/boot order on its devices/);
  });

  it('graphics: listen address and a switch to SPICE', () => {
    expectOnly(
      rich,
      { form: 'graphics', index: 0, type: 'vnc', listen: { type: 'address', address: '127.0.0.1' } },
      ["<graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'>", "<listen type='address' address='0.0.0.0'/>"],
      ["<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>", "<listen type='address' address='127.0.0.1'/>"],
    );
    const spice = applyTuningChange(lab, { form: 'graphics', index: 0, type: 'spice', listen: { type: 'address', address: '127.0.0.1' } });
    expect(spice).toContain("<graphics type='spice' autoport='yes' listen='127.0.0.1'>");
  });

  it('tpm: add, and remove', () => {
    const added = expectOnly(lab, { form: 'tpm', tpm: { model: 'tpm-crb', version: '2.0' } }, [], ["<tpm model='tpm-crb'>", "<backend type='emulator' version='2.0'/>", '</tpm>'], labHost);
    expect(added.indexOf('<tpm')).toBeLessThan(added.indexOf('<memballoon'));
    const removed = applyTuningChange(workstation, { form: 'tpm', tpm: null });
    expect(removed).not.toContain('<tpm');
    expect(removed).toContain('<qemu:arg value=\'-fw_cfg\'/>');
  });
});
