/**
 * The device elements of "Add hardware", built with the XML DOM library the domain XML editor uses
 * (@xmldom/xmldom) and written in libvirt's style, and their insertion into a domain definition: only
 * <devices> gains the element (and, for virtiofs, <memoryBacking> its shared memfd), every other byte
 * stays as libvirt wrote it.
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { HardwareDraft } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { checkIfname, checkMac } from '../networks/addresses';
import {
  attribute,
  docOf,
  elements,
  ensureChild,
  first,
  insertChild,
  parseXml,
  serializeXml,
} from '../domain-tuning/xml-edit';

/** An element to build: name, attributes (null/undefined left out), text or children. */
export interface ElementSpec {
  name: string;
  attrs?: Record<string, string | number | null | undefined>;
  text?: string;
  children?: Array<ElementSpec | null | false | undefined>;
}

function fill(element: Element, spec: ElementSpec, depth: number): void {
  const document = docOf(element);
  for (const [name, value] of Object.entries(spec.attrs ?? {})) {
    if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  if (spec.text !== undefined) {
    element.appendChild(document.createTextNode(spec.text));
    return;
  }
  const kids = (spec.children ?? []).filter((kid): kid is ElementSpec => !!kid);
  if (kids.length === 0) return;
  const indent = '  '.repeat(depth + 1);
  for (const kid of kids) {
    element.appendChild(document.createTextNode(`\n${indent}`));
    const child = document.createElement(kid.name);
    element.appendChild(child);
    fill(child, kid, depth + 1);
  }
  element.appendChild(document.createTextNode(`\n${'  '.repeat(depth)}`));
}

/** The element as XML text in libvirt's style (single quotes, two-space indentation), ending in a newline. */
export function buildElement(spec: ElementSpec): string {
  const document = new DOMParser().parseFromString(`<${spec.name}/>`, 'text/xml');
  const root = document.documentElement;
  if (!root) throw new Error('no root element');
  fill(root, spec, 0);
  return serializeXml({ document, root, trailing: '\n' });
}

/** What the service found out for the draft (formats, the hostdev element…). */
export interface DeviceFacts {
  /** disk / cdrom: the image format (qcow2, raw…); null = let QEMU probe nothing: raw. */
  format?: string | null;
  /** hostdev: the <hostdev> element from the host-devices area's builder. */
  hostdevXml?: string;
}

const name = (value: string, field: string, pattern = /^[A-Za-z0-9_.:+@-]{1,255}$/) => {
  if (!pattern.test(value)) throw new ApiFailure('invalid-request', `"${value}" is not a valid ${field}`, { field });
  return value;
};

function absolute(path: string, field: string): string {
  if (!path.startsWith('/') || path.includes('\0') || path.length > 4096) {
    throw new ApiFailure('invalid-request', `"${path}" is not an absolute path on the host`, { field });
  }
  return path;
}

function diskSourceSpec(source: { type: 'volume'; pool: string; volume: string } | { type: 'path'; path: string }): { type: string; spec: ElementSpec } {
  if (source.type === 'volume') {
    return { type: 'volume', spec: { name: 'source', attrs: { pool: name(source.pool, 'pool'), volume: name(source.volume, 'volume') } } };
  }
  const path = absolute(source.path, 'path');
  if (path.startsWith('/dev/')) return { type: 'block', spec: { name: 'source', attrs: { dev: path } } };
  return { type: 'file', spec: { name: 'source', attrs: { file: path } } };
}

function format(value: string | null | undefined): string {
  const f = value ?? 'raw';
  if (!/^[a-z0-9]{1,16}$/.test(f)) throw new ApiFailure('invalid-request', `"${f}" is not an image format`, { field: 'format' });
  return f;
}

const orDefault = (value: string) => (value === 'default' ? null : value);

/** The device element a draft describes. Drafts must be resolved (target, MAC) first. */
export function buildDeviceXml(draft: HardwareDraft, facts: DeviceFacts = {}): string {
  switch (draft.kind) {
    case 'disk': {
      if (!draft.target) throw new ApiFailure('invalid-request', 'The disk needs a target device name', { field: 'target' });
      if (draft.io === 'native' && draft.cache !== 'none' && draft.cache !== 'directsync') {
        throw new ApiFailure('invalid-request', "io='native' needs cache 'none' or 'directsync'", { field: 'io' });
      }
      if (draft.serial !== null && !/^[A-Za-z0-9_ .+-]{1,20}$/.test(draft.serial)) {
        throw new ApiFailure('invalid-request', 'A disk serial is 1–20 letters, digits, space, _ . + -', { field: 'serial' });
      }
      if (draft.iothread !== null && (!Number.isInteger(draft.iothread) || draft.iothread < 1)) {
        throw new ApiFailure('invalid-request', 'The I/O thread is a number from 1', { field: 'iothread' });
      }
      const source =
        draft.source.type === 'new' ? diskSourceSpec({ type: 'volume', pool: draft.source.pool, volume: draft.source.name }) : diskSourceSpec(draft.source);
      return buildElement({
        name: 'disk',
        attrs: { type: source.type, device: 'disk' },
        children: [
          {
            name: 'driver',
            attrs: {
              name: 'qemu',
              type: format(draft.source.type === 'new' ? draft.source.format : facts.format),
              cache: orDefault(draft.cache),
              io: orDefault(draft.io),
              discard: orDefault(draft.discard),
              iothread: draft.iothread,
            },
          },
          source.spec,
          { name: 'target', attrs: { dev: name(draft.target, 'target', /^[a-z]{2,3}[a-z]{1,3}$/), bus: draft.bus } },
          draft.readOnly && { name: 'readonly' },
          draft.shareable && { name: 'shareable' },
          draft.serial !== null && { name: 'serial', text: draft.serial },
        ],
      });
    }
    case 'cdrom': {
      if (!draft.target) throw new ApiFailure('invalid-request', 'The CD-ROM needs a target device name', { field: 'target' });
      const source = draft.media ? diskSourceSpec(draft.media) : null;
      return buildElement({
        name: 'disk',
        attrs: { type: source?.type ?? 'file', device: 'cdrom' },
        children: [
          { name: 'driver', attrs: { name: 'qemu', type: format(facts.format ?? 'raw') } },
          source?.spec,
          { name: 'target', attrs: { dev: name(draft.target, 'target', /^[a-z]{2,3}[a-z]{1,3}$/), bus: draft.bus } },
          { name: 'readonly' },
        ],
      });
    }
    case 'nic': {
      if (!draft.mac) throw new ApiFailure('invalid-request', 'The NIC needs a MAC address', { field: 'mac' });
      if (draft.vlan !== null && (!Number.isInteger(draft.vlan) || draft.vlan < 0 || draft.vlan > 4095)) {
        throw new ApiFailure('invalid-request', 'A VLAN tag is 0–4095', { field: 'vlan' });
      }
      const source = draft.source;
      const sourceSpec: ElementSpec =
        source.type === 'network'
          ? { name: 'source', attrs: { network: name(source.network, 'network'), portgroup: source.portgroup === null ? null : name(source.portgroup, 'portgroup') } }
          : source.type === 'bridge'
            ? { name: 'source', attrs: { bridge: checkIfname(source.bridge, 'bridge') } }
            : { name: 'source', attrs: { dev: checkIfname(source.dev, 'dev'), mode: source.mode } };
      return buildElement({
        name: 'interface',
        attrs: { type: source.type },
        children: [
          { name: 'mac', attrs: { address: checkMac(draft.mac, 'mac') } },
          sourceSpec,
          draft.vlan !== null && { name: 'vlan', children: [{ name: 'tag', attrs: { id: draft.vlan } }] },
          { name: 'model', attrs: { type: draft.model } },
          draft.link === 'down' && { name: 'link', attrs: { state: 'down' } },
        ],
      });
    }
    case 'graphics': {
      const listen = draft.listen.trim();
      if (!/^[0-9A-Fa-f.:]{2,45}$/.test(listen)) throw new ApiFailure('invalid-request', `"${draft.listen}" is not a listen address`, { field: 'listen' });
      if (draft.port !== null && (!Number.isInteger(draft.port) || draft.port < 5900 || draft.port > 65535)) {
        throw new ApiFailure('invalid-request', 'The port is 5900–65535 (or automatic)', { field: 'port' });
      }
      if (draft.password !== null && (draft.password.length === 0 || draft.password.length > (draft.type === 'vnc' ? 8 : 60))) {
        throw new ApiFailure('invalid-request', draft.type === 'vnc' ? 'A VNC password is 1–8 characters' : 'A SPICE password is 1–60 characters', { field: 'password' });
      }
      return buildElement({
        name: 'graphics',
        attrs: {
          type: draft.type,
          port: draft.port ?? -1,
          autoport: draft.port === null ? 'yes' : 'no',
          listen,
          passwd: draft.password,
        },
        children: [{ name: 'listen', attrs: { type: 'address', address: listen } }],
      });
    }
    case 'video': {
      if (!Number.isInteger(draft.heads) || draft.heads < 1 || draft.heads > 16) throw new ApiFailure('invalid-request', 'Heads are 1–16', { field: 'heads' });
      return buildElement({ name: 'video', children: [{ name: 'model', attrs: { type: draft.model, heads: draft.heads } }] });
    }
    case 'sound':
      return buildElement({ name: 'sound', attrs: { model: draft.model } });
    case 'input':
      if (draft.type === 'tablet' && draft.bus === 'ps2') throw new ApiFailure('invalid-request', 'A tablet is a USB or virtio device', { field: 'bus' });
      return buildElement({ name: 'input', attrs: { type: draft.type, bus: draft.bus } });
    case 'chr': {
      const target = draft.target;
      if (target.device === 'serial') return buildElement({ name: 'serial', attrs: { type: 'pty' }, children: [{ name: 'target', attrs: { type: target.targetType } }] });
      if (target.device === 'console') return buildElement({ name: 'console', attrs: { type: 'pty' }, children: [{ name: 'target', attrs: { type: target.targetType } }] });
      if (target.channel === 'guest-agent') {
        return buildElement({ name: 'channel', attrs: { type: 'unix' }, children: [{ name: 'target', attrs: { type: 'virtio', name: 'org.qemu.guest_agent.0' } }] });
      }
      if (target.channel === 'spice-vdagent') {
        return buildElement({ name: 'channel', attrs: { type: 'spicevmc' }, children: [{ name: 'target', attrs: { type: 'virtio', name: 'com.redhat.spice.0' } }] });
      }
      const channelName = name(target.name ?? '', 'name', /^[A-Za-z0-9_.-]{1,128}$/);
      return buildElement({ name: 'channel', attrs: { type: 'pty' }, children: [{ name: 'target', attrs: { type: 'virtio', name: channelName } }] });
    }
    case 'rng': {
      const rate = draft.rateBytes !== null;
      if (rate && (!Number.isInteger(draft.rateBytes) || (draft.rateBytes as number) < 1)) throw new ApiFailure('invalid-request', 'The rate is a positive number of bytes', { field: 'rateBytes' });
      if (draft.periodMs !== null && (!Number.isInteger(draft.periodMs) || draft.periodMs < 1)) throw new ApiFailure('invalid-request', 'The period is a positive number of milliseconds', { field: 'periodMs' });
      return buildElement({
        name: 'rng',
        attrs: { model: 'virtio' },
        children: [
          rate && { name: 'rate', attrs: { bytes: draft.rateBytes, period: draft.periodMs } },
          { name: 'backend', attrs: { model: 'random' }, text: draft.source },
        ],
      });
    }
    case 'watchdog':
      return buildElement({ name: 'watchdog', attrs: { model: draft.model, action: draft.action } });
    case 'tpm': {
      if (draft.backend === 'emulator') {
        return buildElement({ name: 'tpm', attrs: { model: draft.model }, children: [{ name: 'backend', attrs: { type: 'emulator', version: draft.version } }] });
      }
      const path = absolute(draft.path ?? '/dev/tpm0', 'path');
      return buildElement({
        name: 'tpm',
        attrs: { model: draft.model },
        children: [{ name: 'backend', attrs: { type: 'passthrough' }, children: [{ name: 'device', attrs: { path } }] }],
      });
    }
    case 'usb-controller':
      return buildElement({ name: 'controller', attrs: { type: 'usb', model: draft.model } });
    case 'filesystem':
      return buildElement({
        name: 'filesystem',
        attrs: { type: 'mount', accessmode: 'passthrough' },
        children: [
          { name: 'driver', attrs: { type: 'virtiofs' } },
          { name: 'source', attrs: { dir: absolute(draft.source, 'source') } },
          { name: 'target', attrs: { dir: name(draft.tag, 'tag', /^[A-Za-z0-9_.-]{1,36}$/) } },
        ],
      });
    case 'hostdev': {
      if (!facts.hostdevXml) throw new ApiFailure('invalid-request', 'Pick a host device', { field: 'device' });
      return facts.hostdevXml;
    }
  }
}

/** libvirt's order of device elements (how it writes a definition). */
const DEVICE_ORDER = [
  'emulator', 'disk', 'controller', 'lease', 'filesystem', 'interface', 'smartcard', 'serial', 'parallel', 'console', 'channel',
  'input', 'tpm', 'graphics', 'sound', 'audio', 'video', 'hostdev', 'redirdev', 'redirfilter', 'hub', 'watchdog', 'memballoon',
  'rng', 'panic', 'shmem', 'memory', 'iommu', 'vsock', 'crypto',
];

/** Sets the whitespace inside an inserted element so it is indented one step deeper than the element. */
function reindent(element: Element): void {
  const before = element.previousSibling?.nodeValue ?? '';
  const base = before.includes('\n') ? before.slice(before.lastIndexOf('\n') + 1) : '';
  const walk = (node: Element, depth: number) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === child.TEXT_NODE && /^\s*$/.test(child.nodeValue ?? '') && (child.nodeValue ?? '').includes('\n')) {
        child.nodeValue = `\n${base}${'  '.repeat(child.nextSibling ? depth + 1 : depth)}`;
      } else if (child.nodeType === child.ELEMENT_NODE) {
        walk(child as Element, depth + 1);
      }
    }
  };
  walk(element, 0);
}

/** Parses one device element (what the builders make). */
export function parseDevice(deviceXml: string): Element {
  const parsed = parseXml(deviceXml, 'The device XML');
  return parsed.root;
}

/** The definition with the device appended among its kind (libvirt's device order), nothing else changed. */
export function insertDevice(domainXml: string, deviceXml: string): string {
  const doc = parseXml(domainXml);
  const devices = first(doc.root, 'devices');
  if (!devices) throw new ApiFailure('invalid-request', 'The definition has no <devices>');
  const device = docOf(devices).importNode(parseDevice(deviceXml), true) as Element;
  const tag = device.tagName;
  const at = DEVICE_ORDER.indexOf(tag);
  const later = at < 0 ? [] : DEVICE_ORDER.slice(at + 1);
  const sameOrEarlier = at < 0 ? [tag] : DEVICE_ORDER.slice(0, at + 1);
  if (elements(devices).some((kid) => kid.tagName === tag)) insertChild(devices, device, { after: [tag] });
  else if (elements(devices).some((kid) => later.includes(kid.tagName))) insertChild(devices, device, { before: later });
  else insertChild(devices, device, { after: sameOrEarlier });
  reindent(device);
  return serializeXml(doc);
}

/** Whether a definition's memory is shared memfd-backed (what virtiofs needs). */
export function hasSharedMemory(domainXml: string): boolean {
  const doc = parseXml(domainXml);
  const backing = first(doc.root, 'memoryBacking');
  const access = attribute(first(backing, 'access'), 'mode') === 'shared';
  const numaShared = elements(first(first(doc.root, 'cpu'), 'numa'), 'cell').some((cell) => attribute(cell, 'memAccess') === 'shared');
  return access || numaShared;
}

/**
 * Sets <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking> (what virtiofs needs),
 * keeping whatever else memoryBacking holds; unchanged when the memory is shared already.
 */
export function withSharedMemory(domainXml: string): string {
  if (hasSharedMemory(domainXml)) return domainXml;
  const doc = parseXml(domainXml);
  const backing = ensureChild(doc.root, 'memoryBacking', { after: ['maxMemory', 'memory', 'currentMemory'], before: ['vcpu'] });
  if (!first(backing, 'source')) {
    const source = doc.document.createElement('source');
    source.setAttribute('type', 'memfd');
    insertChild(backing, source, { before: ['access', 'allocation', 'discard'] });
  }
  const access = ensureChild(backing, 'access', { after: ['source', 'locked', 'nosharepages', 'hugepages'] });
  access.setAttribute('mode', 'shared');
  return serializeXml(doc);
}
