/** Memory form: current/max memory, balloon model and stats period, hugepages and memory backing. */
import type { BalloonModel, TuningChange } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, elementKiB, elements, ensureChild, first, insertChild, removeElement, removeIfEmpty, setAttribute, setKiB, sizeInKiB, type XmlDoc } from '../xml-edit';
import { after } from './cpu';

export type MemoryChange = Extract<TuningChange, { form: 'memory' }>;

const MAX_KIB = 64 * 1024 ** 3; // 64 TiB

export function readMemory(doc: XmlDoc): MemoryChange {
  const root = doc.root;
  const maxKiB = elementKiB(first(root, 'memory')) ?? 0;
  const currentKiB = elementKiB(first(root, 'currentMemory')) ?? maxKiB;
  const balloon = first(first(root, 'devices'), 'memballoon');
  const backing = first(root, 'memoryBacking');
  const hugepages = first(backing, 'hugepages');
  const page = first(hugepages, 'page');
  const period = attribute(first(balloon, 'stats'), 'period');
  return {
    form: 'memory',
    currentKiB,
    maxKiB,
    // No <memballoon> at all: libvirt adds a virtio one for QEMU guests.
    balloonModel: (attribute(balloon, 'model') ?? (balloon ? 'none' : 'virtio')) as BalloonModel,
    statsPeriod: period === null ? null : Number(period),
    hugepages: hugepages ? { sizeKiB: page ? sizeInKiB(attribute(page, 'size'), attribute(page, 'unit')) : null } : null,
    locked: !!first(backing, 'locked'),
    nosharepages: !!first(backing, 'nosharepages'),
    source: (attribute(first(backing, 'source'), 'type') as MemoryChange['source']) ?? null,
    access: (attribute(first(backing, 'access'), 'mode') as MemoryChange['access']) ?? null,
  };
}

export function applyMemory(doc: XmlDoc, change: MemoryChange): void {
  const { currentKiB, maxKiB } = change;
  if (!Number.isInteger(maxKiB) || maxKiB < 1024 || maxKiB > MAX_KIB) throw new ApiFailure('invalid-request', 'Maximum memory must be a whole number of KiB, at least 1 MiB', { field: 'maxKiB' });
  if (!Number.isInteger(currentKiB) || currentKiB < 1024 || currentKiB > maxKiB) {
    throw new ApiFailure('invalid-request', 'Current memory must be at least 1 MiB and not above the maximum', { field: 'currentKiB' });
  }
  if (change.statsPeriod !== null && (!Number.isInteger(change.statsPeriod) || change.statsPeriod < 0 || change.statsPeriod > 86_400)) {
    throw new ApiFailure('invalid-request', 'The balloon stats period must be 0–86400 seconds', { field: 'statsPeriod' });
  }
  if (change.statsPeriod !== null && change.balloonModel === 'none') {
    throw new ApiFailure('invalid-request', 'Balloon statistics need a balloon device (model is none)', { field: 'statsPeriod' });
  }
  const pageKiB = change.hugepages?.sizeKiB ?? null;
  if (pageKiB !== null && (!Number.isInteger(pageKiB) || pageKiB < 4 || maxKiB % pageKiB !== 0)) {
    throw new ApiFailure('invalid-request', `Memory (${maxKiB} KiB) must be a whole number of ${pageKiB} KiB hugepages`, { field: 'hugepages' });
  }
  const root = doc.root;
  setKiB(ensureChild(root, 'memory', after('memory')), maxKiB);
  setKiB(ensureChild(root, 'currentMemory', after('currentMemory')), currentKiB);

  // Balloon
  const devices = ensureChild(root, 'devices');
  let balloon = first(devices, 'memballoon');
  if (!balloon) balloon = insertChild(devices, doc.document.createElement('memballoon'), { before: ['rng', 'panic', 'shmem', 'memory', 'iommu', 'vsock', 'crypto', 'pstore'] });
  setAttribute(balloon, 'model', change.balloonModel);
  const stats = first(balloon, 'stats');
  if (change.statsPeriod === null) {
    if (stats) removeElement(stats);
  } else {
    setAttribute(stats ?? insertChild(balloon, doc.document.createElement('stats'), { before: ['alias', 'address'] }), 'period', change.statsPeriod);
  }
  if (change.balloonModel === 'none') for (const extra of elements(balloon).filter((e) => e.tagName !== 'alias')) removeElement(extra);

  // Memory backing
  const backing = ensureChild(root, 'memoryBacking', after('memoryBacking'));
  const hugepages = first(backing, 'hugepages');
  if (!change.hugepages) {
    if (hugepages) removeElement(hugepages);
  } else {
    const huge = hugepages ?? insertChild(backing, doc.document.createElement('hugepages'), { before: ['nosharepages', 'locked', 'source', 'access', 'allocation', 'discard'] });
    const pages = elements(huge, 'page');
    if (pageKiB === null) {
      for (const page of pages) removeElement(page);
    } else {
      const page = pages[0] ?? insertChild(huge, doc.document.createElement('page'));
      for (const extra of pages.slice(1)) if (attribute(extra, 'nodeset') === null) removeElement(extra);
      if (sizeInKiB(attribute(page, 'size'), attribute(page, 'unit')) !== pageKiB) {
        setAttribute(page, 'size', pageKiB);
        setAttribute(page, 'unit', 'KiB');
      }
    }
  }
  const flag = (name: string, on: boolean, placeAfter: string[]) => {
    const existing = first(backing, name);
    if (on && !existing) insertChild(backing, doc.document.createElement(name), { after: placeAfter });
    if (!on && existing) removeElement(existing);
  };
  flag('nosharepages', change.nosharepages, ['hugepages']);
  flag('locked', change.locked, ['hugepages', 'nosharepages']);
  const typed = (name: string, key: string, value: string | null, placeAfter: string[]) => {
    const existing = first(backing, name);
    if (value === null) {
      if (existing) removeElement(existing);
    } else {
      setAttribute(existing ?? insertChild(backing, doc.document.createElement(name), { after: placeAfter }), key, value);
    }
  };
  typed('source', 'type', change.source, ['hugepages', 'nosharepages', 'locked']);
  typed('access', 'mode', change.access, ['hugepages', 'nosharepages', 'locked', 'source']);
  removeIfEmpty(backing);
}
