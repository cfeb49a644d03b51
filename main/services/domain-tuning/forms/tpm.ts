/** TPM form: add, change or remove an emulated TPM. */
import type { TuningChange } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, ensureChild, first, insertChild, removeElement, setAttribute, type XmlDoc } from '../xml-edit';

export type TpmChange = Extract<TuningChange, { form: 'tpm' }>;

export function readTpm(doc: XmlDoc): TpmChange {
  const tpm = first(first(doc.root, 'devices'), 'tpm');
  if (!tpm) return { form: 'tpm', tpm: null };
  const backend = first(tpm, 'backend');
  return {
    form: 'tpm',
    tpm: {
      model: (attribute(tpm, 'model') ?? 'tpm-tis') as 'tpm-tis' | 'tpm-crb',
      version: (attribute(backend, 'version') ?? (attribute(backend, 'type') === 'emulator' ? '2.0' : '1.2')) as '1.2' | '2.0',
    },
  };
}

export function applyTpm(doc: XmlDoc, change: TpmChange): void {
  const devices = ensureChild(doc.root, 'devices');
  const existing = first(devices, 'tpm');
  if (!change.tpm) {
    if (existing) removeElement(existing);
    return;
  }
  if (change.tpm.model === 'tpm-crb' && change.tpm.version === '1.2') throw new ApiFailure('invalid-request', 'A CRB TPM needs TPM 2.0', { field: 'tpm' });
  const tpm = existing ?? insertChild(devices, doc.document.createElement('tpm'), { after: ['input', 'graphics', 'sound', 'audio', 'video', 'hostdev', 'redirdev', 'smartcard', 'serial', 'parallel', 'console', 'channel', 'interface', 'disk', 'controller', 'filesystem', 'emulator'], before: ['memballoon', 'rng', 'panic'] });
  setAttribute(tpm, 'model', change.tpm.model);
  const backend = first(tpm, 'backend') ?? insertChild(tpm, doc.document.createElement('backend'), { before: ['alias', 'address'] });
  if (attribute(backend, 'type') !== 'emulator') {
    for (const child of Array.from({ length: backend.childNodes.length }, (_, i) => backend.childNodes.item(i))) if (child) backend.removeChild(child);
  }
  setAttribute(backend, 'type', 'emulator');
  setAttribute(backend, 'version', change.tpm.version);
}
