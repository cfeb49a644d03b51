/**
 * When a change takes effect. Every change is written to the persistent definition (next boot); on a
 * running guest, the settings libvirt can change live are also applied now with the calls listed here.
 */
import type { HostTopology, TuningChange, TuningLiveCall, TuningPlan, TuningState } from '../../../preload/api-contract';
import { parseCpuset } from './xml-edit';

/** What the running guest has now (from its live XML). */
export interface LiveFacts {
  vcpus: number;
  maxVcpus: number;
  memoryKiB: number;
  maxMemoryKiB: number;
  balloonModel: string | null;
}

type Field = TuningPlan['fields'][number];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Settings (flattened keys) whose value differs between two versions of a form. */
function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(after).filter((key) => key !== 'form' && !same(before[key], after[key]));
}

function formBefore(state: TuningState, change: TuningChange): Record<string, unknown> | null {
  switch (change.form) {
    case 'disk':
      return state.disks.find((d) => d.target === change.target) ?? null;
    case 'nic':
      return state.nics.find((n) => n.mac.toLowerCase() === change.mac.toLowerCase()) ?? null;
    case 'graphics':
      return state.graphics.find((g) => g.index === change.index) ?? null;
    case 'boot':
      return state.boot;
    default:
      return state[change.form];
  }
}

function allCpus(host: HostTopology): number[] {
  return host.cells.flatMap((cell) => cell.cpus.map((cpu) => cpu.id)).sort((a, b) => a - b);
}

/**
 * The plan for `change` against the persistent state `before`. `live` is null for a guest that is off;
 * `livePins` the running guest's vCPU pins (cpusets, one per vCPU).
 */
export function planChange(
  change: TuningChange,
  before: TuningState,
  live: LiveFacts | null,
  host: HostTopology,
  livePins: readonly string[] = [],
): TuningPlan {
  const previous = formBefore(before, change) ?? {};
  const keys = changedKeys(previous, change as unknown as Record<string, unknown>);
  const fields: Field[] = [];
  const liveCalls: TuningLiveCall[] = [];
  const nextBoot = (field: string, reason: string | null = live ? 'not-live' : 'off') => fields.push({ field, when: 'next-boot', reason });

  if (change.form === 'pinning') {
    // Pins are compared per vCPU / IOThread against what the running guest has, so a pin that only
    // the persistent definition lacks is still applied live.
    const beforePins = before.pinning;
    const hostAll = allCpus(host);
    change.vcpus.forEach(({ vcpu, cpuset }) => {
      const persistentChanged = (beforePins.vcpus.find((v) => v.vcpu === vcpu)?.cpuset ?? null) !== cpuset;
      const wanted = cpuset === null ? hostAll : parseCpuset(cpuset);
      const liveNow = livePins[vcpu];
      const liveChanged = live !== null && vcpu < live.vcpus && (liveNow === undefined || !same(parseCpuset(liveNow), wanted));
      if (!persistentChanged && !liveChanged) return;
      if (live && vcpu < live.vcpus) {
        liveCalls.push({ call: 'pinVcpu', vcpu, cpus: wanted });
        fields.push({ field: `vcpupin`, when: 'both', reason: null });
      } else nextBoot('vcpupin', live ? 'vcpu-offline' : 'off');
    });
    if (beforePins.emulator !== change.emulator) {
      if (live) {
        liveCalls.push({ call: 'pinEmulator', cpus: change.emulator === null ? hostAll : parseCpuset(change.emulator) });
        fields.push({ field: 'emulatorpin', when: 'both', reason: null });
      } else nextBoot('emulatorpin');
    }
    change.iothreads.forEach(({ iothread, cpuset }) => {
      if ((beforePins.iothreads.find((t) => t.iothread === iothread)?.cpuset ?? null) === cpuset) return;
      if (live) {
        liveCalls.push({ call: 'pinIothread', iothread, cpus: cpuset === null ? hostAll : parseCpuset(cpuset) });
        fields.push({ field: 'iothreadpin', when: 'both', reason: null });
      } else nextBoot('iothreadpin');
    });
    return finish(dedupe(fields), liveCalls);
  }

  for (const key of keys) {
    const field = `${change.form}.${key}`;
    if (!live) {
      nextBoot(field, 'off');
      continue;
    }
    if (change.form === 'cpu' && key === 'vcpus') {
      if (change.vcpus > live.maxVcpus) nextBoot(field, 'above-live-max');
      else if (change.maxVcpus !== live.maxVcpus) nextBoot(field, 'max-changes');
      else {
        if (change.vcpus !== live.vcpus) liveCalls.push({ call: 'setVcpus', count: change.vcpus });
        fields.push({ field, when: 'both', reason: null });
      }
      continue;
    }
    if (change.form === 'memory' && key === 'currentKiB') {
      if (!live.balloonModel || live.balloonModel === 'none') nextBoot(field, 'no-balloon');
      else if (change.currentKiB > live.maxMemoryKiB) nextBoot(field, 'above-live-max');
      else {
        if (change.currentKiB !== live.memoryKiB) liveCalls.push({ call: 'setMemory', kib: change.currentKiB });
        fields.push({ field, when: 'both', reason: null });
      }
      continue;
    }
    nextBoot(field, 'not-live');
  }
  return finish(fields, liveCalls);
}

function dedupe(fields: Field[]): Field[] {
  const seen = new Map<string, Field>();
  for (const field of fields) {
    const key = `${field.field}/${field.when}`;
    if (!seen.has(key)) seen.set(key, field);
  }
  return [...seen.values()];
}

function finish(fields: Field[], liveCalls: TuningLiveCall[]): TuningPlan {
  const live = fields.filter((f) => f.when === 'both').length;
  const applies = fields.length === 0 ? 'nothing' : live === fields.length ? 'both' : live === 0 ? 'next-boot' : 'mixed';
  return { applies, fields, liveCalls };
}
