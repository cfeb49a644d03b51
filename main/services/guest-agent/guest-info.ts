/**
 * Reading the guest agent's answers: virDomainGetGuestInfo's typed parameters (user.*, os.*,
 * timezone.*, hostname, fs.*, if.*) and the agent channel's state in the live domain XML.
 */
import type { GuestAgentChannel, GuestAgentInfo } from '../../../preload/api-contract';
import { attr, child, children, parseXmlDocument } from '../domains/domain-xml-parse';

export type GuestInfoParams = ReadonlyArray<{ readonly field: string; readonly value: unknown }>;

export const AGENT_CHANNEL_NAME = 'org.qemu.guest_agent.0';

/** The agent's virtio-serial channel in a live domain XML: absent, or connected/disconnected as QEMU last saw it. */
export function agentChannel(xml: string): GuestAgentChannel {
  const devices = child(parseXmlDocument(xml, 'The domain XML'), 'devices');
  for (const channel of devices ? children(devices, 'channel') : []) {
    const target = child(channel, 'target');
    if (attr(target, 'type') === 'virtio' && attr(target, 'name') === AGENT_CHANNEL_NAME) {
      return attr(target, 'state') === 'connected' ? 'connected' : 'disconnected';
    }
  }
  return 'absent';
}

type Parsed = Pick<GuestAgentInfo, 'os' | 'hostname' | 'timezone' | 'users' | 'filesystems' | 'interfaces'>;

export function parseGuestInfo(params: GuestInfoParams): Parsed {
  const values = new Map<string, unknown>(params.map((p) => [p.field, p.value]));
  const str = (key: string): string | null => {
    const v = values.get(key);
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const num = (key: string): number | null => {
    const v = values.get(key);
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    return null;
  };
  const count = (key: string) => num(key) ?? 0;

  const hasOs = [...values.keys()].some((k) => k.startsWith('os.'));
  const os = hasOs
    ? {
        id: str('os.id'),
        name: str('os.name'),
        prettyName: str('os.pretty-name'),
        version: str('os.version') ?? str('os.version-id'),
        kernelRelease: str('os.kernel-release'),
        machine: str('os.machine'),
      }
    : null;
  const hasTz = values.has('timezone.name') || values.has('timezone.offset');
  const users: Parsed['users'] = [];
  for (let i = 0; i < count('user.count'); i++) {
    const name = str(`user.${i}.name`);
    if (name) users.push({ name, domain: str(`user.${i}.domain`), loginTime: num(`user.${i}.login-time`) });
  }
  const filesystems: Parsed['filesystems'] = [];
  for (let i = 0; i < count('fs.count'); i++) {
    const disks: string[] = [];
    for (let d = 0; d < count(`fs.${i}.disk.count`); d++) {
      const disk = str(`fs.${i}.disk.${d}.alias`) ?? str(`fs.${i}.disk.${d}.device`) ?? str(`fs.${i}.disk.${d}.serial`);
      if (disk) disks.push(disk);
    }
    filesystems.push({
      mountpoint: str(`fs.${i}.mountpoint`) ?? '',
      name: str(`fs.${i}.name`) ?? '',
      fstype: str(`fs.${i}.fstype`) ?? '',
      totalBytes: num(`fs.${i}.total-bytes`),
      usedBytes: num(`fs.${i}.used-bytes`),
      disks,
    });
  }
  const interfaces: Parsed['interfaces'] = [];
  for (let i = 0; i < count('if.count'); i++) {
    const addresses: Parsed['interfaces'][number]['addresses'] = [];
    for (let a = 0; a < count(`if.${i}.addr.count`); a++) {
      const addr = str(`if.${i}.addr.${a}.addr`);
      if (addr) addresses.push({ type: str(`if.${i}.addr.${a}.type`) === 'ipv6' ? 'ipv6' : 'ipv4', addr, prefix: num(`if.${i}.addr.${a}.prefix`) ?? 0 });
    }
    interfaces.push({ name: str(`if.${i}.name`) ?? '', hwaddr: str(`if.${i}.hwaddr`), addresses });
  }
  return {
    os,
    hostname: str('hostname'),
    timezone: hasTz ? { name: str('timezone.name'), offsetSec: num('timezone.offset') } : null,
    users,
    filesystems,
    interfaces,
  };
}
