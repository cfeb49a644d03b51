/** NICs form: model and multiqueue of one interface (by MAC). */
import type { TuningChange, TuningState } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, elements, first, insertChild, removeIfEmpty, setAttribute, type XmlDoc } from '../xml-edit';

export type NicChange = Extract<TuningChange, { form: 'nic' }>;

export const NIC_MODELS = ['virtio', 'virtio-transitional', 'virtio-non-transitional', 'e1000', 'e1000e', 'rtl8139', 'igb', 'vmxnet3', 'ne2k_pci', 'pcnet'];

export function readNics(doc: XmlDoc): TuningState['nics'] {
  return elements(first(doc.root, 'devices'), 'interface').flatMap((nic) => {
    const mac = attribute(first(nic, 'mac'), 'address');
    if (!mac) return [];
    const queues = attribute(first(nic, 'driver'), 'queues');
    const source = first(nic, 'source');
    return [
      {
        form: 'nic' as const,
        mac,
        model: attribute(first(nic, 'model'), 'type') ?? 'rtl8139',
        queues: queues === null ? null : Number(queues),
        source: attribute(source, 'network') ?? attribute(source, 'bridge') ?? attribute(source, 'dev'),
      },
    ];
  });
}

export function applyNic(doc: XmlDoc, change: NicChange): void {
  const nic = elements(first(doc.root, 'devices'), 'interface').find(
    (n) => attribute(first(n, 'mac'), 'address')?.toLowerCase() === change.mac.toLowerCase(),
  );
  if (!nic) throw new ApiFailure('invalid-request', `The guest has no interface with MAC ${change.mac}`, { field: 'mac' });
  if (!NIC_MODELS.includes(change.model)) throw new ApiFailure('invalid-request', `Unknown NIC model "${change.model}"`, { field: 'model' });
  if (change.queues !== null) {
    if (!change.model.startsWith('virtio')) throw new ApiFailure('invalid-request', 'Multiqueue needs a virtio NIC', { field: 'queues' });
    if (!Number.isInteger(change.queues) || change.queues < 1 || change.queues > 256) throw new ApiFailure('invalid-request', 'Queues must be 1–256', { field: 'queues' });
  }
  const model = first(nic, 'model') ?? insertChild(nic, doc.document.createElement('model'), { after: ['mac', 'source', 'target', 'guest'], before: ['driver', 'alias', 'address'] });
  setAttribute(model, 'type', change.model);
  let driver = first(nic, 'driver');
  if (change.queues !== null && !driver) driver = insertChild(nic, doc.document.createElement('driver'), { after: ['model'] });
  if (driver) {
    setAttribute(driver, 'queues', change.queues);
    if (!change.model.startsWith('virtio')) for (const name of ['name', 'txmode', 'ioeventfd', 'event_idx', 'rx_queue_size', 'tx_queue_size']) setAttribute(driver, name, null);
    removeIfEmpty(driver);
  }
}
