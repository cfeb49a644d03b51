/**
 * libvirt's node device XML (virNodeDeviceGetXMLDesc, formatnode of libvirt 9.0) for the devices a
 * guest can be given: PCI (class, ids, driver, IOMMU group, SR-IOV functions, mdev types), USB devices
 * and mediated devices.
 */
import type { Element } from '@xmldom/xmldom';
import type { MdevTypeInfo } from '../../../preload/api-contract';
import { attr, child, children, parseXmlDocument, text } from '../domains/domain-xml-parse';
import { pciAddressOf } from '../networks/guest-index';

export interface NodeDevicePci {
  kind: 'pci';
  name: string;
  path: string | null;
  parent: string | null;
  driver: string | null;
  address: string;
  classCode: string | null;
  vendorId: string;
  vendorName: string | null;
  productId: string;
  productName: string | null;
  iommuGroup: number | null;
  iommuGroupAddresses: string[];
  /** virt_functions: maxCount (0 when libvirt gives none) and the VFs that exist now. */
  virtFunctions: { maxCount: number; addresses: string[] } | null;
  physFunction: string | null;
  mdevTypes: MdevTypeInfo[];
}

export interface NodeDeviceUsb {
  kind: 'usb';
  name: string;
  path: string | null;
  parent: string | null;
  driver: string | null;
  bus: number;
  device: number;
  vendorId: string;
  vendorName: string | null;
  productId: string;
  productName: string | null;
}

export interface NodeDeviceMdev {
  kind: 'mdev';
  name: string;
  path: string | null;
  parent: string | null;
  type: string;
  uuid: string;
  iommuGroup: number | null;
}

export type NodeDeviceInfo = NodeDevicePci | NodeDeviceUsb | NodeDeviceMdev;

const hexId = (value: string | null, width = 4): string => {
  if (!value) return '0'.repeat(width);
  const n = parseInt(value.replace(/^0x/i, ''), 16);
  return Number.isFinite(n) ? n.toString(16).padStart(width, '0') : value;
};

const int = (value: string | null): number | null => {
  if (value === null) return null;
  const n = value.startsWith('0x') ? parseInt(value.slice(2), 16) : Number(value);
  return Number.isFinite(n) ? n : null;
};

function mdevTypes(cap: Element | null): MdevTypeInfo[] {
  if (!cap) return [];
  return children(cap, 'type').map((type) => ({
    id: attr(type, 'id') ?? '',
    name: text(child(type, 'name')),
    deviceApi: text(child(type, 'deviceAPI')),
    availableInstances: int(text(child(type, 'availableInstances'))) ?? 0,
  }));
}

/** Parses one device; null for kinds VirtDeck does not pass through (net, storage, scsi…). */
export function parseNodeDevice(xml: string): NodeDeviceInfo | null {
  const device = parseXmlDocument(xml, 'The node device XML');
  const name = text(child(device, 'name')) ?? '';
  const path = text(child(device, 'path'));
  const parent = text(child(device, 'parent'));
  const driver = text(child(child(device, 'driver'), 'name'));
  for (const cap of children(device, 'capability')) {
    const type = attr(cap, 'type');
    if (type === 'pci') {
      const domain = int(text(child(cap, 'domain'))) ?? 0;
      const bus = int(text(child(cap, 'bus'))) ?? 0;
      const slot = int(text(child(cap, 'slot'))) ?? 0;
      const fn = int(text(child(cap, 'function'))) ?? 0;
      const address = `${domain.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}:${slot.toString(16).padStart(2, '0')}.${fn.toString(16)}`;
      const group = child(cap, 'iommuGroup');
      const subcaps = children(cap, 'capability');
      const sub = (kind: string) => subcaps.find((c) => attr(c, 'type') === kind) ?? null;
      const vfs = sub('virt_functions');
      const classText = text(child(cap, 'class'));
      return {
        kind: 'pci',
        name,
        path,
        parent,
        driver,
        address,
        classCode: classText ? `0x${hexId(classText, 6)}` : null,
        vendorId: hexId(attr(child(cap, 'vendor'), 'id')),
        vendorName: text(child(cap, 'vendor')),
        productId: hexId(attr(child(cap, 'product'), 'id')),
        productName: text(child(cap, 'product')),
        iommuGroup: group ? int(attr(group, 'number')) : null,
        iommuGroupAddresses: group ? children(group, 'address').map(pciAddressOf).filter((a): a is string => a !== null) : [],
        virtFunctions: vfs
          ? {
              maxCount: int(attr(vfs, 'maxCount')) ?? 0,
              addresses: children(vfs, 'address').map(pciAddressOf).filter((a): a is string => a !== null),
            }
          : null,
        physFunction: pciAddressOf(child(sub('phys_function'), 'address')),
        mdevTypes: mdevTypes(sub('mdev_types')),
      };
    }
    if (type === 'usb_device') {
      return {
        kind: 'usb',
        name,
        path,
        parent,
        driver,
        bus: int(text(child(cap, 'bus'))) ?? 0,
        device: int(text(child(cap, 'device'))) ?? 0,
        vendorId: hexId(attr(child(cap, 'vendor'), 'id')),
        vendorName: text(child(cap, 'vendor')),
        productId: hexId(attr(child(cap, 'product'), 'id')),
        productName: text(child(cap, 'product')),
      };
    }
    if (type === 'mdev') {
      const uuid = text(child(cap, 'uuid')) ?? name.replace(/^mdev_/, '').replace(/_/g, '-').slice(0, 36);
      const group = child(cap, 'iommuGroup');
      return {
        kind: 'mdev',
        name,
        path,
        parent,
        type: attr(child(cap, 'type'), 'id') ?? '',
        uuid: uuid.toLowerCase(),
        iommuGroup: group ? int(attr(group, 'number')) : null,
      };
    }
  }
  return null;
}
