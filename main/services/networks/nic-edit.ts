/**
 * A guest NIC's port group and VLAN tags: an edit of the guest's persistent definition that changes only
 * that `<interface>`'s `<source portgroup>` and `<vlan>` and leaves every other byte as libvirt wrote it.
 * Shown as a diff first; defined with VALIDATE only if nobody changed the definition meanwhile. It
 * applies at the guest's next boot (libvirt checks at start that the connection type takes VLAN tags).
 */
import type { Element } from '@xmldom/xmldom';
import { createTwoFilesPatch } from 'diff';
import type { NetworkVlan } from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { ApiFailure } from '../api-failure';
import { definitionVersion, maskPasswords } from '../consoles/spice-to-vnc';
import { defineDomainXml, readPersistent } from '../domain-xml/domain-xml-store';
import { attribute, docOf, elements, first, insertChild, parseXml, removeElement, serializeXml, setAttribute } from '../domain-tuning/xml-edit';
import { checkMac } from './addresses';
import { vlanXml } from './network-builder';
import { parseVlan } from './network-xml';

export interface NicNetworkEdit {
  mac: string;
  portgroup: string | null;
  vlan: NetworkVlan | null;
}

/** The edited document; throws `not-found` when no NIC has that MAC. */
export function applyNicNetworkEdit(domainXml: string, edit: NicNetworkEdit): string {
  const mac = checkMac(edit.mac, 'mac');
  const doc = parseXml(domainXml);
  const devices = first(doc.root, 'devices');
  const nic = elements(devices, 'interface').find((i) => attribute(first(i, 'mac'), 'address')?.toLowerCase() === mac);
  if (!nic) throw new ApiFailure('not-found', `The guest has no NIC with MAC address ${mac}`, { field: 'mac' });
  const type = attribute(nic, 'type');
  if (edit.portgroup !== null && type !== 'network' && type !== 'bridge' && type !== 'direct')
    throw new ApiFailure('invalid-request', `A port group needs a NIC on a network, not type='${type}'`, { field: 'portgroup' });
  if (edit.portgroup !== null && !/^[A-Za-z0-9_.:-]{1,64}$/.test(edit.portgroup))
    throw new ApiFailure('invalid-request', `"${edit.portgroup}" is not a port group name`, { field: 'portgroup' });
  const source = first(nic, 'source');
  if (edit.portgroup !== null && !source) throw new ApiFailure('invalid-request', 'The NIC has no <source>', { field: 'portgroup' });
  if (source) setAttribute(source, 'portgroup', edit.portgroup && edit.portgroup.length > 0 ? edit.portgroup : null);

  const lines = vlanXml(edit.vlan, 'vlan');
  const existing = first(nic, 'vlan');
  if (existing) {
    // The same tags as before: leave the element (and its formatting) alone.
    if (lines.length > 0 && sameVlan(parseVlan(existing), edit.vlan)) return serializeXml(doc);
    removeElement(existing);
  }
  if (lines.length > 0) {
    const parsed = parseXml(lines.join('\n'), 'The VLAN');
    const imported = docOf(nic).importNode(parsed.root, true);
    // Re-indent the imported tags like the NIC's children.
    insertChild(nic, imported as Element, { after: ['source', 'mac'] });
    reindent(imported as Element);
  }
  return serializeXml(doc);
}

function sameVlan(a: NetworkVlan | null, b: NetworkVlan | null): boolean {
  if (!a || !b) return a === b;
  const key = (v: NetworkVlan) => JSON.stringify([v.trunk || v.tags.length > 1, v.tags.map((t) => [t.id, t.nativeMode])]);
  return key(a) === key(b);
}

/** Indents an inserted element's children one step deeper than the element. */
function reindent(element: Element): void {
  const before = element.previousSibling?.nodeValue ?? '';
  const indent = before.slice(before.lastIndexOf('\n') + 1);
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.TEXT_NODE && /^\s*$/.test(node.nodeValue ?? '')) {
      node.nodeValue = node.nextSibling ? `\n${indent}  ` : `\n${indent}`;
    }
  }
}

export interface NicEditPlan {
  version: string;
  diff: string;
}

export async function planNicNetworkEdit(libvirt: LibvirtClient, uuid: string, edit: NicNetworkEdit): Promise<NicEditPlan> {
  const current = await readPersistent(libvirt, uuid);
  const next = applyNicNetworkEdit(current, edit);
  const name = /<name>([^<]*)<\/name>/.exec(current)?.[1] ?? 'domain';
  return {
    version: definitionVersion(current),
    diff: maskPasswords(createTwoFilesPatch(`${name}.xml`, `${name}.xml`, current, next, 'now', 'next boot', { context: 3 })),
  };
}

/** Applies the edit to the definition the user saw (`version`); a changed definition is a `conflict`. */
export async function applyNicNetworkEditOnHost(libvirt: LibvirtClient, uuid: string, edit: NicNetworkEdit, version: string): Promise<void> {
  const current = await readPersistent(libvirt, uuid);
  if (definitionVersion(current) !== version)
    throw new ApiFailure('conflict', 'The guest was changed on the host since the change was shown; look at the new difference and apply again');
  const next = applyNicNetworkEdit(current, edit);
  if (next === current) return;
  await defineDomainXml(libvirt, { uuid, xml: next, basedOn: current });
}
