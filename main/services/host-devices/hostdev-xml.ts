/**
 * The `<hostdev>` element that gives a host device to a guest (formatdomain "Host device assignment" of
 * libvirt 9.0). PCI and USB are `managed='yes'`: libvirt detaches the device from its host driver when
 * the guest starts (or at a live attach) and gives it back when the guest lets go.
 */
import { ApiFailure } from '../api-failure';

export type HostdevSource =
  | { type: 'pci'; address: string }
  | { type: 'usb'; vendorId: string; productId: string; bus: number; device: number }
  | { type: 'mdev'; uuid: string; model: 'vfio-pci' | 'vfio-ccw' | 'vfio-ap' };

const PCI = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function buildHostdevXml(source: HostdevSource): string {
  switch (source.type) {
    case 'pci': {
      const m = PCI.exec(source.address);
      if (!m) throw new ApiFailure('invalid-request', `"${source.address}" is not a PCI address (0000:03:00.0)`, { field: 'address' });
      const [, domain, bus, slot, fn] = m;
      return [
        "<hostdev mode='subsystem' type='pci' managed='yes'>",
        '  <source>',
        `    <address domain='0x${domain!.toLowerCase()}' bus='0x${bus!.toLowerCase()}' slot='0x${slot!.toLowerCase()}' function='0x${fn}'/>`,
        '  </source>',
        '</hostdev>',
        '',
      ].join('\n');
    }
    case 'usb': {
      const id = (value: string, field: string) => {
        const hex = value.replace(/^0x/i, '').toLowerCase();
        if (!/^[0-9a-f]{4}$/.test(hex)) throw new ApiFailure('invalid-request', `"${value}" is not a USB id (4 hex digits)`, { field });
        return hex;
      };
      const num = (value: number, field: string) => {
        if (!Number.isInteger(value) || value < 0 || value > 255) throw new ApiFailure('invalid-request', `${field} must be 0–255`, { field });
        return value;
      };
      // Vendor and product pick the device; bus and device keep two identical sticks apart.
      return [
        "<hostdev mode='subsystem' type='usb' managed='yes'>",
        '  <source>',
        `    <vendor id='0x${id(source.vendorId, 'vendorId')}'/>`,
        `    <product id='0x${id(source.productId, 'productId')}'/>`,
        `    <address bus='${num(source.bus, 'bus')}' device='${num(source.device, 'device')}'/>`,
        '  </source>',
        '</hostdev>',
        '',
      ].join('\n');
    }
    case 'mdev': {
      if (!UUID.test(source.uuid)) throw new ApiFailure('invalid-request', `"${source.uuid}" is not a UUID`, { field: 'uuid' });
      return [
        `<hostdev mode='subsystem' type='mdev' model='${source.model}'>`,
        '  <source>',
        `    <address uuid='${source.uuid.toLowerCase()}'/>`,
        '  </source>',
        '</hostdev>',
        '',
      ].join('\n');
    }
  }
}

/** The node device XML that creates a mediated device of `type` on `parent` (virNodeDeviceCreateXML). */
export function buildMdevXml(parent: string, type: string, uuid: string): string {
  if (!/^[A-Za-z0-9_]{1,128}$/.test(parent)) throw new ApiFailure('invalid-request', `"${parent}" is not a node device name`, { field: 'parent' });
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(type)) throw new ApiFailure('invalid-request', `"${type}" is not an mdev type id`, { field: 'type' });
  if (!UUID.test(uuid)) throw new ApiFailure('invalid-request', `"${uuid}" is not a UUID`, { field: 'uuid' });
  return [
    '<device>',
    `  <parent>${parent}</parent>`,
    "  <capability type='mdev'>",
    `    <type id='${type}'/>`,
    `    <uuid>${uuid.toLowerCase()}</uuid>`,
    '  </capability>',
    '</device>',
    '',
  ].join('\n');
}
