import { DOMParser, type Element } from '@xmldom/xmldom';
import type { DomainDetails, GraphicsListen } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';

/** Bytes per unit, as libvirt's domain XML allows them (default KiB). */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1e3,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses libvirt XML strictly: malformed input is an error with its position, never a partial result. */
export function parseXmlDocument(xml: string, what: string): Element {
  const problems: string[] = [];
  let root: Element | null = null;
  try {
    const document = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') problems.push(message);
      },
    }).parseFromString(xml, 'text/xml');
    root = document.documentElement;
  } catch (error) {
    // xmldom throws on fatal errors (after reporting them through onError).
    if (problems.length === 0) problems.push(error instanceof Error ? error.message : String(error));
  }
  if (problems.length > 0 || !root) {
    throw new ApiFailure('invalid-request', `${what} is not well-formed XML: ${problems[0] ?? 'no root element'}`);
  }
  return root;
}

export function children(parent: Element, name: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE && (node as Element).tagName === name) found.push(node as Element);
  }
  return found;
}

export function child(parent: Element | null | undefined, name: string): Element | null {
  return parent ? (children(parent, name)[0] ?? null) : null;
}

export function attr(element: Element | null | undefined, name: string): string | null {
  return element?.hasAttribute(name) ? element.getAttribute(name) : null;
}

export function text(element: Element | null | undefined): string | null {
  const value = element?.textContent?.trim();
  return value ? value : null;
}

function integer(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** A libvirt size element (`<memory unit='GiB'>8</memory>`) in KiB. */
export function sizeKiB(element: Element | null): number | null {
  const amount = integer(text(element));
  if (amount === null) return null;
  const unit = (attr(element, 'unit') ?? 'KiB').toLowerCase();
  const bytes = UNIT_BYTES[unit];
  if (bytes === undefined) throw new ApiFailure('invalid-request', `Unknown memory unit "${unit}"`);
  return Math.round((amount * bytes) / 1024);
}

function diskSource(disk: Element): string | null {
  const source = child(disk, 'source');
  if (!source) return null;
  const pool = attr(source, 'pool');
  const volume = attr(source, 'volume');
  if (pool && volume) return `${pool}/${volume}`;
  const network = attr(source, 'name');
  const protocol = attr(source, 'protocol');
  if (network && protocol) return `${protocol}:${network}`;
  return attr(source, 'file') ?? attr(source, 'dev') ?? attr(source, 'dir') ?? network;
}

function graphicsListen(graphics: Element): GraphicsListen {
  const listen = child(graphics, 'listen');
  const listenType = attr(listen, 'type');
  const socket = attr(listen, 'socket') ?? attr(graphics, 'socket');
  if (listenType === 'socket' || (listenType === null && socket)) return socket ? { type: 'socket', path: socket } : { type: 'none' };
  if (listenType === 'none') return { type: 'none' };
  const port = integer(attr(graphics, 'port'));
  const tlsPort = integer(attr(graphics, 'tlsPort'));
  return {
    type: 'address',
    address: attr(listen, 'address') ?? attr(graphics, 'listen') ?? '127.0.0.1',
    // -1 (autoport not yet assigned, inactive XML) is "no port".
    port: port !== null && port > 0 ? port : null,
    tlsPort: tlsPort !== null && tlsPort > 0 ? tlsPort : null,
  };
}

/** What the VM page shows, from a domain's XML. Secrets (graphics passwords) become flags. */
export function parseDomainDetails(hostId: string, xml: string): DomainDetails {
  const domain = parseXmlDocument(xml, 'The domain XML');
  if (domain.tagName !== 'domain') throw new ApiFailure('invalid-request', `Expected <domain>, found <${domain.tagName}>`);
  const os = child(domain, 'os');
  const osType = child(os, 'type');
  const vcpu = child(domain, 'vcpu');
  const maxVcpus = integer(text(vcpu)) ?? 1;
  const devices = child(domain, 'devices');
  const list = (name: string) => (devices ? children(devices, name) : []);
  const maxMemory = sizeKiB(child(domain, 'memory')) ?? 0;

  return {
    hostId,
    uuid: text(child(domain, 'uuid')) ?? '',
    name: text(child(domain, 'name')) ?? '',
    title: text(child(domain, 'title')),
    description: text(child(domain, 'description')),
    virtType: attr(domain, 'type') ?? 'unknown',
    arch: attr(osType, 'arch'),
    machine: attr(osType, 'machine'),
    firmware: attr(os, 'firmware') ?? (child(os, 'loader') ? 'custom' : null),
    cpuMode: attr(child(domain, 'cpu'), 'mode'),
    vcpus: { current: integer(attr(vcpu, 'current')) ?? maxVcpus, max: maxVcpus },
    memoryKiB: { current: sizeKiB(child(domain, 'currentMemory')) ?? maxMemory, max: maxMemory },
    disks: list('disk').map((disk) => {
      const driver = child(disk, 'driver');
      const target = child(disk, 'target');
      return {
        device: attr(disk, 'device') ?? 'disk',
        target: attr(target, 'dev') ?? '',
        bus: attr(target, 'bus'),
        source: diskSource(disk),
        sourceType: attr(disk, 'type') ?? 'file',
        format: attr(driver, 'type'),
        cache: attr(driver, 'cache'),
        io: attr(driver, 'io'),
        readonly: child(disk, 'readonly') !== null,
      };
    }),
    interfaces: list('interface').map((nic) => {
      const source = child(nic, 'source');
      return {
        type: attr(nic, 'type') ?? 'unknown',
        mac: attr(child(nic, 'mac'), 'address'),
        source: attr(source, 'network') ?? attr(source, 'bridge') ?? attr(source, 'dev') ?? null,
        model: attr(child(nic, 'model'), 'type'),
        target: attr(child(nic, 'target'), 'dev'),
      };
    }),
    graphics: list('graphics').map((graphics) => ({
      type: attr(graphics, 'type') ?? 'unknown',
      listen: graphicsListen(graphics),
      autoport: attr(graphics, 'autoport') === 'yes',
      hasPassword: graphics.hasAttribute('passwd'),
    })),
    consoles: [...list('serial').map((e) => ['serial', e] as const), ...list('console').map((e) => ['console', e] as const)].map(
      ([kind, element]) => {
        const target = child(element, 'target');
        return {
          kind,
          type: attr(element, 'type') ?? 'pty',
          targetType: attr(target, 'type'),
          port: integer(attr(target, 'port')),
          alias: attr(child(element, 'alias'), 'name'),
        };
      },
    ),
    guestAgentChannel: list('channel').some(
      (channel) => attr(child(channel, 'target'), 'name') === 'org.qemu.guest_agent.0',
    ),
    balloonModel: attr(list('memballoon')[0], 'model'),
    tpm: list('tpm').length > 0,
  };
}
