/** Pinning form: <cputune> vcpupin, emulatorpin and iothreadpin. */
import type { TuningChange } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, docOf, elements, ensureChild, first, insertChild, parseCpuset, removeElement, removeIfEmpty, setAttribute, textOf, type XmlDoc } from '../xml-edit';
import { after } from './cpu';

export type PinningChange = Extract<TuningChange, { form: 'pinning' }>;

export function iothreadCount(doc: XmlDoc): number {
  const ids = elements(first(doc.root, 'iothreadids'), 'iothread').length;
  return Math.max(ids, Number(textOf(first(doc.root, 'iothreads')) ?? 0));
}

export function readPinning(doc: XmlDoc): PinningChange {
  const max = Number(textOf(first(doc.root, 'vcpu')) ?? '1');
  const cputune = first(doc.root, 'cputune');
  const pins = new Map(elements(cputune, 'vcpupin').map((pin) => [Number(attribute(pin, 'vcpu')), attribute(pin, 'cpuset')]));
  const ioPins = new Map(elements(cputune, 'iothreadpin').map((pin) => [Number(attribute(pin, 'iothread')), attribute(pin, 'cpuset')]));
  const iothreads = iothreadCount(doc);
  return {
    form: 'pinning',
    vcpus: Array.from({ length: max }, (_, vcpu) => ({ vcpu, cpuset: pins.get(vcpu) ?? null })),
    emulator: attribute(first(cputune, 'emulatorpin'), 'cpuset'),
    iothreads: Array.from({ length: iothreads }, (_, i) => ({ iothread: i + 1, cpuset: ioPins.get(i + 1) ?? null })),
  };
}

/** Applies the pins; `hostCpus` (the host's CPU numbers) rejects pins to CPUs the host does not have. */
export function applyPinning(doc: XmlDoc, change: PinningChange, hostCpus: readonly number[] | null): void {
  const max = Number(textOf(first(doc.root, 'vcpu')) ?? '1');
  const check = (cpuset: string | null, what: string) => {
    if (cpuset === null) return;
    const cpus = parseCpuset(cpuset, what);
    const missing = hostCpus ? cpus.filter((cpu) => !hostCpus.includes(cpu)) : [];
    if (missing.length > 0) throw new ApiFailure('invalid-request', `The ${what} names host CPU ${missing.join(', ')}, which this host does not have`, { field: what });
  };
  for (const { vcpu, cpuset } of change.vcpus) {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= max) throw new ApiFailure('invalid-request', `vCPU ${vcpu} does not exist (the guest has ${max})`, { field: 'vcpus' });
    check(cpuset, `cpuset of vCPU ${vcpu}`);
  }
  check(change.emulator, 'emulator cpuset');
  const iothreads = iothreadCount(doc);
  for (const { iothread, cpuset } of change.iothreads) {
    if (!Number.isInteger(iothread) || iothread < 1 || iothread > iothreads) throw new ApiFailure('invalid-request', `IOThread ${iothread} does not exist`, { field: 'iothreads' });
    check(cpuset, `cpuset of IOThread ${iothread}`);
  }

  const cputune = ensureChild(doc.root, 'cputune', after('cputune'));
  const setPin = (name: string, key: string | null, id: number | null, cpuset: string | null, placeAfter: string[]) => {
    const existing = elements(cputune, name).find((pin) => key === null || Number(attribute(pin, key)) === id);
    if (cpuset === null) {
      if (existing) removeElement(existing);
      return;
    }
    if (existing) {
      setAttribute(existing, 'cpuset', cpuset);
      return;
    }
    const pin = docOf(cputune).createElement(name);
    if (key !== null && id !== null) pin.setAttribute(key, String(id));
    pin.setAttribute('cpuset', cpuset);
    // Keep pins ordered by id: after the last sibling of the same kind with a smaller id.
    const earlier = key === null ? [] : elements(cputune, name).filter((p) => Number(attribute(p, key)) < (id ?? 0));
    const anchor = earlier[earlier.length - 1];
    if (anchor) {
      const next = anchor.nextSibling;
      const indent = anchor.previousSibling?.nodeType === anchor.TEXT_NODE ? (anchor.previousSibling.nodeValue ?? '\n') : '\n';
      cputune.insertBefore(docOf(cputune).createTextNode(indent), next);
      cputune.insertBefore(pin, next);
    } else {
      insertChild(cputune, pin, { after: placeAfter, before: key === null ? undefined : [name] });
    }
  };
  for (const { vcpu, cpuset } of change.vcpus) setPin('vcpupin', 'vcpu', vcpu, cpuset, ['shares', 'period', 'quota', 'global_period', 'global_quota']);
  setPin('emulatorpin', null, null, change.emulator, ['vcpupin']);
  for (const { iothread, cpuset } of change.iothreads) setPin('iothreadpin', 'iothread', iothread, cpuset, ['vcpupin', 'emulatorpin']);
  removeIfEmpty(cputune);
}
