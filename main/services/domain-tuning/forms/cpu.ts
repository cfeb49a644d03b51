/** CPU form: vCPUs current/max, CPU mode and model, topology. */
import type { Element } from '@xmldom/xmldom';
import type { CpuMode, TuningChange } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, ensureChild, elements, first, removeElement, removeIfEmpty, setAttribute, setText, textOf, type XmlDoc } from '../xml-edit';

export type CpuChange = Extract<TuningChange, { form: 'cpu' }>;

/** Where top-level elements go in a libvirt <domain> (libvirt's own order). */
export const DOMAIN_ORDER = [
  'name', 'uuid', 'genid', 'title', 'description', 'metadata', 'maxMemory', 'memory', 'currentMemory', 'blkiotune',
  'memtune', 'memoryBacking', 'vcpu', 'vcpus', 'iothreads', 'iothreadids', 'cputune', 'numatune', 'resource', 'sysinfo',
  'bootloader', 'bootloader_args', 'os', 'idmap', 'features', 'cpu', 'clock',
];
export const after = (name: string) => ({ after: DOMAIN_ORDER.slice(0, DOMAIN_ORDER.indexOf(name)) });

const MAX_VCPUS = 4096;

export function readCpu(doc: XmlDoc): CpuChange {
  const vcpu = first(doc.root, 'vcpu');
  const max = Number(textOf(vcpu) ?? '1');
  const current = Number(attribute(vcpu, 'current') ?? max);
  const cpu = first(doc.root, 'cpu');
  const mode = (attribute(cpu, 'mode') ?? 'custom') as CpuMode;
  const topology = first(cpu, 'topology');
  return {
    form: 'cpu',
    vcpus: current,
    maxVcpus: max,
    mode,
    model: textOf(first(cpu, 'model')),
    topology: topology
      ? {
          sockets: Number(attribute(topology, 'sockets') ?? 1),
          cores: Number(attribute(topology, 'cores') ?? 1),
          threads: Number(attribute(topology, 'threads') ?? 1),
        }
      : null,
  };
}

export function applyCpu(doc: XmlDoc, change: CpuChange): void {
  const { vcpus, maxVcpus } = change;
  if (!Number.isInteger(maxVcpus) || maxVcpus < 1 || maxVcpus > MAX_VCPUS) {
    throw new ApiFailure('invalid-request', `Maximum vCPUs must be a whole number from 1 to ${MAX_VCPUS}`, { field: 'maxVcpus' });
  }
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > maxVcpus) {
    throw new ApiFailure('invalid-request', `vCPUs must be a whole number from 1 to the maximum (${maxVcpus})`, { field: 'vcpus' });
  }
  if (change.mode === 'custom' && !change.model?.trim()) {
    throw new ApiFailure('invalid-request', 'A custom CPU needs a model name', { field: 'model' });
  }
  const root = doc.root;
  const vcpu = ensureChild(root, 'vcpu', after('vcpu'));
  const oldMax = Number(textOf(vcpu) ?? '1');
  setText(vcpu, maxVcpus);
  setAttribute(vcpu, 'current', vcpus < maxVcpus ? vcpus : null);
  if (oldMax !== maxVcpus) {
    // Per-vCPU hot-plug settings and pins of vCPUs that no longer exist would make the definition invalid.
    const individual = first(root, 'vcpus');
    if (individual) removeElement(individual);
    const cputune = first(root, 'cputune');
    for (const pin of [...elements(cputune, 'vcpupin'), ...elements(cputune, 'vcpusched')]) {
      if (Number(attribute(pin, 'vcpu') ?? attribute(pin, 'vcpus') ?? 0) >= maxVcpus) removeElement(pin);
    }
    removeIfEmpty(cputune);
  }

  const cpu = ensureChild(root, 'cpu', after('cpu'));
  setAttribute(cpu, 'mode', change.mode);
  if (change.mode === 'custom') {
    if (!cpu.hasAttribute('match')) setAttribute(cpu, 'match', 'exact');
    const model = ensureChild(cpu, 'model', { before: ['vendor', 'topology', 'cache', 'feature', 'numa'] });
    setText(model, change.model?.trim() ?? '');
  } else {
    setAttribute(cpu, 'match', null);
    const model = first(cpu, 'model');
    if (model && change.mode === 'host-passthrough') removeElement(model);
  }
  applyTopology(cpu, change);
}

function applyTopology(cpu: Element, change: CpuChange): void {
  const existing = first(cpu, 'topology');
  if (!change.topology) {
    if (existing) removeElement(existing);
    return;
  }
  const { sockets, cores, threads } = change.topology;
  for (const [name, value] of Object.entries({ sockets, cores, threads })) {
    if (!Number.isInteger(value) || value < 1) throw new ApiFailure('invalid-request', `Topology ${name} must be a whole number ≥ 1`, { field: name });
  }
  const dies = Number(attribute(existing, 'dies') ?? 1);
  const clusters = Number(attribute(existing, 'clusters') ?? 1);
  const product = sockets * dies * clusters * cores * threads;
  if (product !== change.maxVcpus) {
    throw new ApiFailure(
      'invalid-request',
      `The topology gives ${product} vCPUs (sockets × cores × threads${dies > 1 ? ' × dies' : ''}) but the maximum is ${change.maxVcpus}; they must match`,
      { field: 'topology' },
    );
  }
  const topology = ensureChild(cpu, 'topology', { after: ['model', 'vendor'], before: ['cache', 'feature', 'numa'] });
  setAttribute(topology, 'sockets', sockets);
  setAttribute(topology, 'cores', cores);
  setAttribute(topology, 'threads', threads);
}
