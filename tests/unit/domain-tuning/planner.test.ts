import { describe, expect, it } from 'vitest';
import { planChange, type LiveFacts } from '../../../main/services/domain-tuning/planner';
import { parseHostTopology } from '../../../main/services/domain-tuning/host-topology';
import { readTuningState } from '../../../main/services/domain-tuning/transform';
import { capsFixture, domainFixture } from './helpers';

const labHost = parseHostTopology(capsFixture('lab-1node-2cpu.xml'));
const state = readTuningState(domainFixture('lab-off-1-inactive.xml'));
const running: LiveFacts = { vcpus: 1, maxVcpus: 2, memoryKiB: 163840, maxMemoryKiB: 262144, balloonModel: 'virtio' };

describe('planner', () => {
  it('a guest that is off: everything at next boot, no live calls', () => {
    const plan = planChange({ ...state.cpu, vcpus: 2, maxVcpus: 2 }, state, null, labHost);
    expect(plan).toEqual({
      applies: 'next-boot',
      fields: [
        { field: 'cpu.vcpus', when: 'next-boot', reason: 'off' },
        { field: 'cpu.maxVcpus', when: 'next-boot', reason: 'off' },
      ],
      liveCalls: [],
    });
  });

  it('vCPU hot-plug within the live maximum is live and persistent', () => {
    const before = { ...state, cpu: { ...state.cpu, vcpus: 1, maxVcpus: 2 } };
    const plan = planChange({ ...before.cpu, vcpus: 2 }, before, running, labHost);
    expect(plan.applies).toBe('both');
    expect(plan.liveCalls).toEqual([{ call: 'setVcpus', count: 2 }]);
  });

  it('a new maximum, mode or topology waits for the next boot; mixed with a live change', () => {
    const before = { ...state, cpu: { ...state.cpu, vcpus: 1, maxVcpus: 2 } };
    const plan = planChange({ ...before.cpu, vcpus: 2, mode: 'host-model', model: null }, before, running, labHost);
    expect(plan.applies).toBe('mixed');
    expect(plan.fields).toContainEqual({ field: 'cpu.mode', when: 'next-boot', reason: 'not-live' });
    expect(planChange({ ...before.cpu, vcpus: 2, maxVcpus: 4 }, before, running, labHost).liveCalls).toEqual([]);
  });

  it('memory: balloon change live only with a balloon device', () => {
    const change = { ...state.memory, currentKiB: 131072 };
    expect(planChange(change, state, running, labHost).liveCalls).toEqual([{ call: 'setMemory', kib: 131072 }]);
    const noBalloon = planChange(change, state, { ...running, balloonModel: 'none' }, labHost);
    expect(noBalloon).toMatchObject({ applies: 'next-boot', liveCalls: [], fields: [{ field: 'memory.currentKiB', when: 'next-boot', reason: 'no-balloon' }] });
  });

  it('pinning is live (PIN_VCPU, emulator pin) and persistent; unpinning pins to every host CPU', () => {
    const plan = planChange({ form: 'pinning', vcpus: [{ vcpu: 0, cpuset: '1' }], emulator: '0', iothreads: [] }, state, running, labHost, ['0-1']);
    expect(plan.applies).toBe('both');
    expect(plan.liveCalls).toEqual([{ call: 'pinVcpu', vcpu: 0, cpus: [1] }, { call: 'pinEmulator', cpus: [0] }]);
    const pinned = { ...state, pinning: { ...state.pinning, vcpus: [{ vcpu: 0, cpuset: '1' }] } };
    expect(planChange({ ...pinned.pinning, vcpus: [{ vcpu: 0, cpuset: null }] }, pinned, running, labHost, ['1']).liveCalls).toEqual([
      { call: 'pinVcpu', vcpu: 0, cpus: [0, 1] },
    ]);
  });

  it('a change to nothing plans nothing; device changes are next boot', () => {
    expect(planChange(state.memory, state, running, labHost).applies).toBe('nothing');
    expect(planChange({ form: 'boot', order: ['cdrom'] }, state, running, labHost).applies).toBe('next-boot');
  });
});
