/** One entry point per change: read every form's values, or apply one change to a domain XML document. */
import type { HostTopology, TuningChange, TuningState } from '../../../preload/api-contract';
import { parseXml, serializeXml, type XmlDoc } from './xml-edit';
import { applyCpu, readCpu } from './forms/cpu';
import { applyPinning, iothreadCount, readPinning } from './forms/pinning';
import { applyMemory, readMemory } from './forms/memory';
import { applyNuma, readNuma } from './forms/numa';
import { applyDisk, readDisks } from './forms/disks';
import { applyNic, readNics } from './forms/nics';
import { applyBoot, readBoot } from './forms/boot';
import { applyGraphics, readGraphics } from './forms/graphics';
import { applyTpm, readTpm } from './forms/tpm';
import { ApiFailure } from '../api-failure';

export function readTuningState(xml: string): TuningState {
  const doc = parseXml(xml);
  if (doc.root.tagName !== 'domain') throw new ApiFailure('invalid-request', `Expected <domain>, found <${doc.root.tagName}>`);
  return {
    cpu: readCpu(doc),
    pinning: readPinning(doc),
    memory: readMemory(doc),
    numa: readNuma(doc),
    disks: readDisks(doc),
    nics: readNics(doc),
    boot: readBoot(doc),
    graphics: readGraphics(doc),
    tpm: readTpm(doc),
    iothreads: iothreadCount(doc),
  };
}

function applyTo(doc: XmlDoc, change: TuningChange, host: HostTopology | null): void {
  switch (change.form) {
    case 'cpu':
      return applyCpu(doc, change);
    case 'pinning':
      return applyPinning(doc, change, host ? host.cells.flatMap((c) => c.cpus.map((cpu) => cpu.id)) : null);
    case 'memory':
      return applyMemory(doc, change);
    case 'numa':
      return applyNuma(doc, change, host ? host.cells.map((c) => c.id) : null);
    case 'disk':
      return applyDisk(doc, change);
    case 'nic':
      return applyNic(doc, change);
    case 'boot':
      return applyBoot(doc, change);
    case 'graphics':
      return applyGraphics(doc, change);
    case 'tpm':
      return applyTpm(doc, change);
  }
}

/**
 * The domain XML with `change` applied and everything else as it was. `host` (when known) lets the
 * pinning and NUMA forms refuse CPUs and nodes the host does not have.
 */
export function applyTuningChange(xml: string, change: TuningChange, host: HostTopology | null = null): string {
  const doc = parseXml(xml);
  if (doc.root.tagName !== 'domain') throw new ApiFailure('invalid-request', `Expected <domain>, found <${doc.root.tagName}>`);
  applyTo(doc, change, host);
  return serializeXml(doc);
}
