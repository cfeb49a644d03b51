/**
 * Snapshot XML (libvirt's <domainsnapshot>) read into what the Snapshots tab shows, the facts of a
 * domain XML the rules need (disks and their chains, firmware, guest agent channel), the XML a create
 * form sends, and a description changed for a redefine. Parsed with @xmldom/xmldom through the same
 * careful editor the tuning forms use, so a redefined snapshot keeps everything else byte for byte.
 */
import type { Element } from '@xmldom/xmldom';
import type { SnapshotDisk, SnapshotLocation, SnapshotState } from '../../../preload/api-contract';
import { attribute, elements, first, insertChild, parseXml, removeElement, serializeXml, setText, textOf } from '../domain-tuning/xml-edit';

const STATES: readonly SnapshotState[] = ['running', 'paused', 'shutoff', 'shutdown', 'crashed', 'disk-snapshot', 'pmsuspended', 'blocked', 'nostate'];
const LOCATIONS: readonly SnapshotLocation[] = ['internal', 'external', 'no', 'manual'];

/** One disk of a domain XML, as the snapshot rules need it. */
export interface DomainDiskFacts {
  target: string;
  device: string;
  /** <disk type>: file, block, network, volume… */
  type: string;
  /** <driver type>: qcow2, raw… (null = not given). */
  format: string | null;
  /** The top image (file, dev or network name); null = empty drive. */
  source: string | null;
  readonly: boolean;
  /** Sources of the whole chain, top first (the live XML lists <backingStore>s). */
  chain: string[];
  /** The disk's own <snapshot> attribute (e.g. 'no' excludes it). */
  snapshotDefault: string | null;
}

export interface DomainFacts {
  name: string;
  disks: DomainDiskFacts[];
  /** <loader type='pflash'> (libvirt's "old-style UEFI"). */
  pflash: boolean;
  /** <nvram format>, when given. */
  nvramFormat: string | null;
  /** The guest agent channel (org.qemu.guest_agent.0): absent, or its state in the live XML. */
  agentChannel: 'none' | 'connected' | 'disconnected' | 'unknown';
}

function sourceOf(disk: Element): string | null {
  const source = first(disk, 'source');
  if (!source) return null;
  return attribute(source, 'file') ?? attribute(source, 'dev') ?? attribute(source, 'name') ?? attribute(source, 'volume');
}

function chainOf(disk: Element): string[] {
  const chain: string[] = [];
  const top = sourceOf(disk);
  if (top) chain.push(top);
  let backing = first(disk, 'backingStore');
  while (backing) {
    const next = sourceOf(backing);
    if (next) chain.push(next);
    backing = first(backing, 'backingStore');
  }
  return chain;
}

export function readDomainFacts(xml: string): DomainFacts {
  const doc = parseXml(xml);
  const devices = first(doc.root, 'devices');
  const disks = elements(devices, 'disk').map((disk): DomainDiskFacts => ({
    target: attribute(first(disk, 'target'), 'dev') ?? '?',
    device: attribute(disk, 'device') ?? 'disk',
    type: attribute(disk, 'type') ?? 'file',
    format: attribute(first(disk, 'driver'), 'type'),
    source: sourceOf(disk),
    readonly: first(disk, 'readonly') !== null,
    chain: chainOf(disk),
    snapshotDefault: attribute(disk, 'snapshot'),
  }));
  const os = first(doc.root, 'os');
  const loader = first(os, 'loader');
  const agent = elements(devices, 'channel').find((channel) => attribute(first(channel, 'target'), 'name') === 'org.qemu.guest_agent.0');
  const agentState = agent ? attribute(first(agent, 'target'), 'state') : null;
  return {
    name: textOf(first(doc.root, 'name')) ?? '',
    disks,
    pflash: attribute(loader, 'type') === 'pflash',
    nvramFormat: attribute(first(os, 'nvram'), 'format'),
    agentChannel: !agent ? 'none' : agentState === 'connected' ? 'connected' : agentState === 'disconnected' ? 'disconnected' : 'unknown',
  };
}

/** The disks a snapshot covers by default: writable, non-empty, not excluded (libvirt's defaults). */
export function snapshotDisks(facts: DomainFacts): DomainDiskFacts[] {
  return facts.disks.filter((disk) => disk.source !== null && !disk.readonly && disk.device !== 'cdrom' && disk.device !== 'floppy' && disk.snapshotDefault !== 'no');
}

/** What a snapshot's XML says. */
export interface ParsedSnapshot {
  name: string;
  parent: string | null;
  createdAt: number | null;
  state: SnapshotState;
  description: string;
  memory: SnapshotLocation;
  memoryFile: string | null;
  disks: SnapshotDisk[];
  external: boolean;
  /** The domain definition saved with it (libvirt needs it to revert). */
  hasDomain: boolean;
  /** Disk sources of that saved definition, by target. */
  domainDisks: Map<string, string | null>;
  domainPflash: boolean;
}

function location(value: string | null, fallback: SnapshotLocation): SnapshotLocation {
  return value && (LOCATIONS as readonly string[]).includes(value) ? (value as SnapshotLocation) : fallback;
}

export function parseSnapshotXml(xml: string): ParsedSnapshot {
  const doc = parseXml(xml, 'The snapshot XML');
  const root = doc.root;
  const stateText = textOf(first(root, 'state')) ?? 'nostate';
  const state = (STATES as readonly string[]).includes(stateText) ? (stateText as SnapshotState) : 'nostate';
  const memoryElement = first(root, 'memory');
  const memory = location(attribute(memoryElement, 'snapshot'), state === 'running' || state === 'paused' ? 'internal' : 'no');
  const disks = elements(first(root, 'disks'), 'disk').map((disk): SnapshotDisk => {
    const snapshot = location(attribute(disk, 'snapshot'), 'internal');
    return { target: attribute(disk, 'name') ?? '?', snapshot, file: snapshot === 'external' ? sourceOf(disk) : null };
  });
  const domain = first(root, 'domain');
  const domainDisks = new Map<string, string | null>();
  for (const disk of elements(first(domain, 'devices'), 'disk')) {
    const target = attribute(first(disk, 'target'), 'dev');
    if (target) domainDisks.set(target, sourceOf(disk));
  }
  const created = Number(textOf(first(root, 'creationTime')));
  return {
    name: textOf(first(root, 'name')) ?? '',
    parent: textOf(first(first(root, 'parent'), 'name')),
    createdAt: Number.isFinite(created) && created > 0 ? created : null,
    state,
    description: textOf(first(root, 'description')) ?? '',
    memory,
    memoryFile: attribute(memoryElement, 'file'),
    disks,
    external: memory === 'external' || disks.some((disk) => disk.snapshot === 'external'),
    hasDomain: domain !== null,
    domainDisks,
    domainPflash: attribute(first(first(domain, 'os'), 'loader'), 'type') === 'pflash',
  };
}

const escapeText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (value: string) => escapeText(value).replace(/'/g, '&apos;');

/** The file an external snapshot of `source` gets: beside it, `<stem>.<snapshot>.qcow2`. */
export function overlayPath(source: string, snapshot: string): string {
  const slash = source.lastIndexOf('/');
  const dir = source.slice(0, slash + 1);
  const base = source.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return `${dir}${stem}.${snapshot}.qcow2`;
}

/** The file an external snapshot's memory goes to: beside the first disk, `<domain>.<snapshot>.mem`. */
export function memoryPath(facts: DomainFacts, snapshot: string): string | null {
  const disk = snapshotDisks(facts).find((d) => d.type === 'file' && d.source?.startsWith('/'));
  if (!disk?.source) return null;
  return `${disk.source.slice(0, disk.source.lastIndexOf('/') + 1)}${facts.name}.${snapshot}.mem`;
}

export interface SnapshotPlan {
  name: string;
  description: string;
  kind: 'internal' | 'external';
  /** Memory: internal (with the disks), external (to a file) or none. */
  memory: 'internal' | 'external' | 'no';
  memoryFile: string | null;
  disks: Array<{ target: string; snapshot: 'internal' | 'external' | 'no'; file: string | null }>;
}

/** The <domainsnapshot> a plan sends (disks listed explicitly, so what is shown is what libvirt does). */
export function buildSnapshotXml(plan: SnapshotPlan): string {
  const lines = ['<domainsnapshot>', `  <name>${escapeText(plan.name)}</name>`];
  if (plan.description) lines.push(`  <description>${escapeText(plan.description)}</description>`);
  if (plan.memory === 'external' && plan.memoryFile) {
    lines.push(`  <memory snapshot='external' file='${escapeAttribute(plan.memoryFile)}'/>`);
  } else {
    lines.push(`  <memory snapshot='${plan.memory === 'external' ? 'no' : plan.memory}'/>`);
  }
  if (plan.disks.length > 0) {
    lines.push('  <disks>');
    for (const disk of plan.disks) {
      if (disk.snapshot === 'external' && disk.file) {
        lines.push(`    <disk name='${escapeAttribute(disk.target)}' snapshot='external'>`);
        lines.push("      <driver type='qcow2'/>");
        lines.push(`      <source file='${escapeAttribute(disk.file)}'/>`);
        lines.push('    </disk>');
      } else {
        lines.push(`    <disk name='${escapeAttribute(disk.target)}' snapshot='${disk.snapshot}'/>`);
      }
    }
    lines.push('  </disks>');
  }
  lines.push('</domainsnapshot>');
  return `${lines.join('\n')}\n`;
}

/** The snapshot XML with a new description (removed when empty), everything else untouched. */
export function withDescription(xml: string, description: string): string {
  const doc = parseXml(xml, 'The snapshot XML');
  const existing = first(doc.root, 'description');
  if (!description) {
    if (existing) removeElement(existing);
  } else if (existing) {
    setText(existing, description);
  } else {
    const element = doc.document.createElement('description');
    element.appendChild(doc.document.createTextNode(description));
    insertChild(doc.root, element, { after: ['name'] });
  }
  return serializeXml(doc);
}
