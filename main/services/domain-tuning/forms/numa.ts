/** NUMA form: <numatune> memory mode and nodeset, guest NUMA cells (<cpu><numa><cell>). */
import type { NumaMode, TuningChange } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, elementKiB, elements, ensureChild, first, insertChild, parseCpuset, removeElement, removeIfEmpty, setAttribute, sizeInKiB, textOf, type XmlDoc } from '../xml-edit';
import { after } from './cpu';

export type NumaChange = Extract<TuningChange, { form: 'numa' }>;

export function readNuma(doc: XmlDoc): NumaChange {
  const memory = first(first(doc.root, 'numatune'), 'memory');
  const mode = (attribute(memory, 'mode') ?? 'strict') as NumaMode;
  const nodeset = attribute(memory, 'nodeset');
  return {
    form: 'numa',
    numatune: memory && nodeset ? { mode, nodeset } : null,
    cells: elements(first(first(doc.root, 'cpu'), 'numa'), 'cell').map((cell, index) => ({
      id: Number(attribute(cell, 'id') ?? index),
      cpus: attribute(cell, 'cpus') ?? '',
      memoryKiB: sizeInKiB(attribute(cell, 'memory'), attribute(cell, 'unit')) ?? 0,
    })),
  };
}

/** `hostNodes`: the host's NUMA node ids; a nodeset naming others is refused. */
export function applyNuma(doc: XmlDoc, change: NumaChange, hostNodes: readonly number[] | null): void {
  const root = doc.root;
  const maxVcpus = Number(textOf(first(root, 'vcpu')) ?? '1');
  if (change.numatune) {
    const nodes = parseCpuset(change.numatune.nodeset, 'nodeset');
    const missing = hostNodes ? nodes.filter((node) => !hostNodes.includes(node)) : [];
    if (missing.length > 0) throw new ApiFailure('invalid-request', `The nodeset names NUMA node ${missing.join(', ')}, which this host does not have`, { field: 'nodeset' });
  }
  const seen = new Set<number>();
  let total = 0;
  for (const cell of change.cells) {
    if (!Number.isInteger(cell.id) || cell.id < 0 || seen.has(cell.id)) throw new ApiFailure('invalid-request', `Guest NUMA cell ids must be distinct whole numbers (${cell.id})`, { field: 'cells' });
    seen.add(cell.id);
    const cpus = parseCpuset(cell.cpus, `vCPUs of cell ${cell.id}`);
    if (cpus.some((cpu) => cpu >= maxVcpus)) throw new ApiFailure('invalid-request', `Cell ${cell.id} names vCPUs beyond the guest's ${maxVcpus}`, { field: 'cells' });
    if (!Number.isInteger(cell.memoryKiB) || cell.memoryKiB < 1024) throw new ApiFailure('invalid-request', `Cell ${cell.id} needs at least 1 MiB of memory`, { field: 'cells' });
    total += cell.memoryKiB;
  }
  const maxKiB = elementKiB(first(root, 'memory'));
  if (change.cells.length > 0 && maxKiB !== null && total !== maxKiB) {
    throw new ApiFailure('invalid-request', `The guest NUMA cells add up to ${total} KiB but the guest has ${maxKiB} KiB; they must match`, { field: 'cells' });
  }

  const existingTune = first(root, 'numatune');
  if (change.numatune) {
    const tune = existingTune ?? ensureChild(root, 'numatune', after('numatune'));
    const memory = ensureChild(tune, 'memory', { before: ['memnode'] });
    setAttribute(memory, 'mode', change.numatune.mode);
    setAttribute(memory, 'placement', null);
    setAttribute(memory, 'nodeset', change.numatune.nodeset);
  } else if (existingTune) {
    const memory = first(existingTune, 'memory');
    if (memory) removeElement(memory);
    removeIfEmpty(existingTune);
  }

  const cpu = first(root, 'cpu');
  const numa = first(cpu, 'numa');
  if (change.cells.length === 0) {
    if (numa) removeElement(numa);
    return;
  }
  const cpuElement = cpu ?? ensureChild(root, 'cpu', after('cpu'));
  const numaElement = numa ?? insertChild(cpuElement, doc.document.createElement('numa'));
  const cells = elements(numaElement, 'cell');
  for (const cell of cells) if (!change.cells.some((c) => c.id === Number(attribute(cell, 'id')))) removeElement(cell);
  for (const wanted of change.cells) {
    const cell = elements(numaElement, 'cell').find((c) => Number(attribute(c, 'id')) === wanted.id) ?? insertChild(numaElement, doc.document.createElement('cell'));
    setAttribute(cell, 'id', wanted.id);
    setAttribute(cell, 'cpus', wanted.cpus);
    if (sizeInKiB(attribute(cell, 'memory'), attribute(cell, 'unit')) !== wanted.memoryKiB) {
      setAttribute(cell, 'memory', wanted.memoryKiB);
      setAttribute(cell, 'unit', 'KiB');
    }
  }
}
