/** Graphics form: type (VNC/SPICE) and where it listens. */
import type { TuningChange } from '../../../../preload/api-contract';
import { ApiFailure } from '../../api-failure';
import { attribute, elements, first, insertChild, removeElement, setAttribute, type XmlDoc } from '../xml-edit';

export type GraphicsChange = Extract<TuningChange, { form: 'graphics' }>;

export function readGraphics(doc: XmlDoc): GraphicsChange[] {
  return elements(first(doc.root, 'devices'), 'graphics').flatMap((graphics, index) => {
    const type = attribute(graphics, 'type');
    if (type !== 'vnc' && type !== 'spice') return [];
    const listen = first(graphics, 'listen');
    const listenType = attribute(listen, 'type') ?? (attribute(graphics, 'socket') ? 'socket' : 'address');
    const address = attribute(listen, 'address') ?? attribute(graphics, 'listen') ?? '127.0.0.1';
    return [
      {
        form: 'graphics' as const,
        index,
        type,
        listen: listenType === 'none' ? { type: 'none' as const } : listenType === 'socket' ? { type: 'socket' as const } : { type: 'address' as const, address },
      },
    ];
  });
}

const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+|[A-Za-z0-9.-]+)$/;

export function applyGraphics(doc: XmlDoc, change: GraphicsChange): void {
  const graphics = elements(first(doc.root, 'devices'), 'graphics')[change.index];
  if (!graphics) throw new ApiFailure('invalid-request', `The guest has no graphics device #${change.index}`, { field: 'index' });
  if (change.listen.type === 'address' && !ADDRESS.test(change.listen.address)) {
    throw new ApiFailure('invalid-request', `"${change.listen.address}" is not an address to listen on`, { field: 'listen' });
  }
  if (attribute(graphics, 'type') !== change.type) {
    setAttribute(graphics, 'type', change.type);
    // Ports and type-specific children of the old type do not carry over.
    for (const name of ['port', 'tlsPort', 'websocket', 'defaultMode', 'sharePolicy']) setAttribute(graphics, name, null);
    setAttribute(graphics, 'autoport', 'yes');
    for (const element of elements(graphics)) if (element.tagName !== 'listen') removeElement(element);
  }
  for (const extra of elements(graphics, 'listen').slice(1)) removeElement(extra);
  const listen = first(graphics, 'listen') ?? insertChild(graphics, doc.document.createElement('listen'), { before: elements(graphics).map((e) => e.tagName) });
  setAttribute(listen, 'type', change.listen.type);
  if (change.listen.type === 'address') {
    setAttribute(listen, 'address', change.listen.address);
    setAttribute(graphics, 'listen', change.listen.address);
    setAttribute(listen, 'socket', null);
    setAttribute(graphics, 'socket', null);
  } else {
    setAttribute(listen, 'address', null);
    setAttribute(graphics, 'listen', null);
    setAttribute(graphics, 'socket', null);
    if (change.listen.type === 'none' || !attribute(listen, 'socket')) setAttribute(listen, 'socket', null);
    for (const name of ['port', 'tlsPort', 'autoport', 'websocket']) setAttribute(graphics, name, null);
  }
}
