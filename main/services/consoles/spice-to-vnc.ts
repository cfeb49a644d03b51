/**
 * "Switch this guest's graphics from SPICE to VNC": a change of the persistent definition that keeps
 * everything else. The new definition is offered as a diff; applying it goes through the one domain XML
 * store (conflict check + VALIDATE) and takes effect at the guest's next boot.
 */
import { createHash } from 'node:crypto';
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import { createTwoFilesPatch } from 'diff';
import type { SpiceToVncPlan } from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { ApiFailure } from '../api-failure';
import { attr, child, children, parseXmlDocument } from '../domains/domain-xml-parse';
import { defineDomainXml, readPersistent } from '../domain-xml/domain-xml-store';

/** QEMU's VNC password (DES VncAuth) uses the first 8 characters only. */
const VNC_PASSWORD_MAX = 8;

export interface SpiceToVncResult {
  /** The new persistent definition. */
  xml: string;
  /** The old definition, serialised the same way, so a line diff shows only what changed. */
  original: string;
  /** What changed, one short English line per change (for logs and tests; the UI shows the diff). */
  changes: string[];
  /** Notes for the user, e.g. that a long SPICE password is cut to VNC's 8 characters. */
  warnings: string[];
}

/** Removes an element and the whitespace-only text before it, so the document keeps its indentation. */
function removeWithIndent(element: Element): void {
  const parent = element.parentNode;
  if (!parent) return;
  const before = element.previousSibling;
  if (before && before.nodeType === before.TEXT_NODE && /^\s*$/.test(before.nodeValue ?? '')) {
    parent.removeChild(before);
  }
  parent.removeChild(element);
}

/** Whether a character device (channel, redirdev, smartcard…) is carried by SPICE (spicevmc / spiceport). */
function isSpiceCarried(device: Element): boolean {
  const type = attr(device, 'type');
  if (type === 'spicevmc' || type === 'spiceport') return true;
  // <smartcard mode='passthrough' type='spicevmc'> and friends put the type on the element itself; some
  // devices name the carrier on a <source> child instead.
  return children(device, 'source').some((source) => {
    const sourceType = attr(source, 'type');
    return sourceType === 'spicevmc' || sourceType === 'spiceport';
  });
}

/**
 * The definition with its SPICE graphics replaced by a VNC listener on 127.0.0.1 (autoport), and the
 * devices that exist only through SPICE removed, because libvirt refuses them without SPICE graphics:
 * `<audio type='spice'>` becomes `<audio type='none'>` (same id, so sound devices keep their backend),
 * and spicevmc/spiceport channels, USB redirection and smartcard passthrough are dropped. A SPICE password
 * is kept (VNC uses only its first 8 characters). Anything else, including unknown elements, namespaced
 * metadata and comments, is left as it is.
 */
export function spiceToVnc(xml: string): SpiceToVncResult {
  const root = parseXmlDocument(xml, 'The domain XML');
  if (root.localName !== 'domain') throw new ApiFailure('invalid-request', 'The document is not a <domain>');
  const document = root.ownerDocument;
  if (!document) throw new ApiFailure('internal', 'The parsed domain XML has no document');
  const serializer = new XMLSerializer();
  const original = serializer.serializeToString(document);
  const devices = child(root, 'devices');
  const spice = devices ? children(devices, 'graphics').filter((graphics) => attr(graphics, 'type') === 'spice') : [];
  if (!devices || spice.length === 0) {
    throw new ApiFailure('invalid-request', 'The guest has no SPICE graphics to switch');
  }
  const hasVnc = children(devices, 'graphics').some((graphics) => attr(graphics, 'type') === 'vnc');
  const changes: string[] = [];
  const warnings: string[] = [];

  spice.forEach((graphics, index) => {
    if (index > 0 || hasVnc) {
      // One VNC display is enough (and libvirt allows only one of each type).
      removeWithIndent(graphics);
      changes.push('removed <graphics type="spice">');
      return;
    }
    const vnc = document.createElement('graphics');
    vnc.setAttribute('type', 'vnc');
    vnc.setAttribute('port', '-1');
    vnc.setAttribute('autoport', 'yes');
    vnc.setAttribute('listen', '127.0.0.1');
    const password = attr(graphics, 'passwd');
    if (password !== null) {
      vnc.setAttribute('passwd', password);
      if (password.length > VNC_PASSWORD_MAX) {
        warnings.push(`VNC uses only the first ${VNC_PASSWORD_MAX} characters of the password`);
      }
    }
    for (const name of ['passwdValidTo', 'keymap']) {
      const value = attr(graphics, name);
      if (value !== null) vnc.setAttribute(name, value);
    }
    // Indentation of the new element's child, matching the document's own.
    const indent = (graphics.previousSibling?.nodeValue ?? '\n    ').replace(/^[^\n]*/, '');
    vnc.appendChild(document.createTextNode(`${indent}  `));
    const listen = document.createElement('listen');
    listen.setAttribute('type', 'address');
    listen.setAttribute('address', '127.0.0.1');
    vnc.appendChild(listen);
    vnc.appendChild(document.createTextNode(indent));
    devices.replaceChild(vnc, graphics);
    changes.push('replaced <graphics type="spice"> by <graphics type="vnc"> on 127.0.0.1 (autoport)');
  });

  for (const audio of children(devices, 'audio')) {
    if (attr(audio, 'type') !== 'spice') continue;
    const none = document.createElement('audio');
    for (const name of ['id', 'timerPeriod']) {
      const value = attr(audio, name);
      if (value !== null) none.setAttribute(name, value);
    }
    none.setAttribute('type', 'none');
    devices.replaceChild(none, audio);
    changes.push('audio backend "spice" → "none" (VNC carries no sound)');
  }

  for (const name of ['channel', 'redirdev', 'smartcard', 'serial', 'console', 'parallel']) {
    for (const device of children(devices, name)) {
      if (!isSpiceCarried(device)) continue;
      removeWithIndent(device);
      changes.push(`removed <${name} type="${attr(device, 'type') ?? ''}"> (exists only over SPICE)`);
    }
  }
  return { xml: serializer.serializeToString(document), original, changes, warnings };
}

/** Identifies a definition without sending it (it may hold passwords) to the renderer and back. */
export function definitionVersion(xml: string): string {
  return createHash('sha256').update(xml).digest('hex');
}

/** Shows password attributes as dots (the diff is displayed). */
export function maskPasswords(text: string): string {
  return text.replace(/\b(passwd)=(["'])[^"']*\2/g, '$1=$2••••••$2');
}

/** Reads the persistent definition and proposes the switch; changes nothing. */
export async function planSpiceToVnc(libvirt: LibvirtClient, uuid: string, name = 'domain'): Promise<SpiceToVncPlan> {
  const current = await readPersistent(libvirt, uuid);
  const result = spiceToVnc(current);
  const diff = createTwoFilesPatch(`${name}.xml`, `${name}.xml`, result.original, result.xml, 'now', 'next boot', {
    context: 3,
  });
  return { version: definitionVersion(current), diff: maskPasswords(diff), changes: result.changes, warnings: result.warnings };
}

/**
 * Applies the switch to the definition the user saw (its `version`): when the host's definition changed
 * since, nothing is written (`conflict`). Returns nothing secret.
 */
export async function applySpiceToVnc(libvirt: LibvirtClient, uuid: string, version: string): Promise<void> {
  const current = await readPersistent(libvirt, uuid);
  if (definitionVersion(current) !== version) {
    throw new ApiFailure('conflict', 'The domain was changed on the host since the switch was offered; look at the new difference and apply again');
  }
  const { xml } = spiceToVnc(current);
  await defineDomainXml(libvirt, { uuid, xml, basedOn: current });
}
