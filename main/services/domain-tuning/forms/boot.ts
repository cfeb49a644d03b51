/** Boot form: the order of <os><boot dev=…> entries. */
import type { BootDevice, TuningChange, TuningState } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, elements, ensureChild, first, insertChild, removeElement, type XmlDoc } from '../xml-edit';

export type BootChange = Extract<TuningChange, { form: 'boot' }>;
const DEVICES: BootDevice[] = ['hd', 'cdrom', 'network', 'fd'];

/** Whether any device carries its own <boot order=…> (then <os><boot> must not be used). */
function perDeviceBoot(doc: XmlDoc): boolean {
  return elements(first(doc.root, 'devices')).some((device) => first(device, 'boot') !== null);
}

export function readBoot(doc: XmlDoc): TuningState['boot'] {
  return {
    form: 'boot',
    order: elements(first(doc.root, 'os'), 'boot').map((boot) => attribute(boot, 'dev') as BootDevice),
    perDevice: perDeviceBoot(doc),
  };
}

export function applyBoot(doc: XmlDoc, change: BootChange): void {
  if (change.order.length === 0) throw new ApiFailure('invalid-request', 'Choose at least one boot device', { field: 'order' });
  if (new Set(change.order).size !== change.order.length || change.order.some((d) => !DEVICES.includes(d))) {
    throw new ApiFailure('invalid-request', 'Boot devices must be distinct: hd, cdrom, network or fd', { field: 'order' });
  }
  if (perDeviceBoot(doc)) throw new ApiFailure('invalid-request', 'This guest sets a boot order on its devices; change it in the XML editor', { field: 'order' });
  const os = ensureChild(doc.root, 'os');
  const existing = elements(os, 'boot');
  if (existing.map((b) => attribute(b, 'dev')).join() === change.order.join()) return;
  // Reuse the existing elements in place, then add or remove at the end of the run.
  change.order.forEach((dev, index) => {
    const element = existing[index];
    if (element) {
      element.setAttribute('dev', dev);
    } else {
      const boot = doc.document.createElement('boot');
      boot.setAttribute('dev', dev);
      insertChild(os, boot, { after: ['type', 'firmware', 'loader', 'nvram', 'kernel', 'initrd', 'cmdline', 'shim', 'dtb', 'acpi', 'boot'] });
    }
  });
  for (const extra of existing.slice(change.order.length)) removeElement(extra);
}
