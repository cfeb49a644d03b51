/** Disks form: bus, cache, io, discard, detect_zeroes and iothread of one disk (by target dev). */
import type { DiskBus, TuningChange, TuningState } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, elements, first, insertChild, removeElement, setAttribute, type XmlDoc } from '../xml-edit';
import { iothreadCount } from './pinning';

export type DiskChange = Extract<TuningChange, { form: 'disk' }>;

export function readDisks(doc: XmlDoc): TuningState['disks'] {
  return elements(first(doc.root, 'devices'), 'disk').flatMap((disk) => {
    const target = first(disk, 'target');
    const dev = attribute(target, 'dev');
    if (!dev) return [];
    const driver = first(disk, 'driver');
    const source = first(disk, 'source');
    const iothread = attribute(driver, 'iothread');
    return [
      {
        form: 'disk' as const,
        target: dev,
        bus: (attribute(target, 'bus') ?? 'virtio') as DiskBus,
        cache: (attribute(driver, 'cache') as DiskChange['cache']) ?? null,
        io: (attribute(driver, 'io') as DiskChange['io']) ?? null,
        discard: (attribute(driver, 'discard') as DiskChange['discard']) ?? null,
        detectZeroes: (attribute(driver, 'detect_zeroes') as DiskChange['detectZeroes']) ?? null,
        iothread: iothread === null ? null : Number(iothread),
        device: attribute(disk, 'device') ?? 'disk',
        sourceType: attribute(disk, 'type') ?? 'file',
        source: attribute(source, 'file') ?? attribute(source, 'dev') ?? attribute(source, 'volume') ?? attribute(source, 'name'),
        format: attribute(driver, 'type'),
      },
    ];
  });
}

const PREFIX: Record<DiskBus, string> = { virtio: 'vd', scsi: 'sd', sata: 'sd', usb: 'sd', ide: 'hd' };

export function applyDisk(doc: XmlDoc, change: DiskChange): void {
  const disks = elements(first(doc.root, 'devices'), 'disk');
  const disk = disks.find((d) => attribute(first(d, 'target'), 'dev') === change.target);
  if (!disk) throw new ApiFailure('invalid-request', `The guest has no disk with target ${change.target}`, { field: 'target' });
  if (change.io === 'native' && change.cache !== null && change.cache !== 'none' && change.cache !== 'directsync') {
    throw new ApiFailure('invalid-request', 'io=native needs cache none or directsync (O_DIRECT)', { field: 'io' });
  }
  if (change.iothread !== null) {
    if (change.bus !== 'virtio') throw new ApiFailure('invalid-request', 'An IOThread can serve only a virtio disk', { field: 'iothread' });
    if (!Number.isInteger(change.iothread) || change.iothread < 1 || change.iothread > iothreadCount(doc)) {
      throw new ApiFailure('invalid-request', `IOThread ${change.iothread} does not exist (the guest has ${iothreadCount(doc)})`, { field: 'iothread' });
    }
  }
  const target = first(disk, 'target') as NonNullable<ReturnType<typeof first>>;
  const oldBus = attribute(target, 'bus');
  if (oldBus !== change.bus) {
    setAttribute(target, 'bus', change.bus);
    // The old bus's address does not fit the new bus; libvirt assigns a new one.
    const address = first(disk, 'address');
    if (address) removeElement(address);
    const prefix = PREFIX[change.bus];
    if (!change.target.startsWith(prefix)) {
      const used = new Set(disks.map((d) => attribute(first(d, 'target'), 'dev')));
      const letters = 'abcdefghijklmnopqrstuvwxyz';
      const free = [...letters].map((l) => `${prefix}${l}`).find((name) => !used.has(name));
      if (!free) throw new ApiFailure('invalid-request', `No free ${prefix}X target name for the disk`, { field: 'bus' });
      setAttribute(target, 'dev', free);
    }
  }
  const driver = first(disk, 'driver') ?? insertChild(disk, doc.document.createElement('driver'), { before: ['source', 'target'] });
  if (!driver.hasAttribute('name')) setAttribute(driver, 'name', 'qemu');
  setAttribute(driver, 'cache', change.cache);
  setAttribute(driver, 'io', change.io);
  setAttribute(driver, 'discard', change.discard);
  setAttribute(driver, 'detect_zeroes', change.detectZeroes);
  setAttribute(driver, 'iothread', change.iothread);
}
