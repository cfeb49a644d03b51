import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDomainDetails, sizeKiB, parseXmlDocument } from '../../../main/services/domains/domain-xml-parse';
import { PROJECT_ROOT } from '../../support/lab';

const fixture = (name: string) => readFileSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'domain-xml', name), 'utf8');

describe('parseDomainDetails', () => {
  it('reads a live lab guest as libvirt 9 wrote it', () => {
    const details = parseDomainDetails('h1', fixture('lab-vnc-live.xml'));
    expect(details).toMatchObject({
      hostId: 'h1',
      name: 'vd-vnc-1',
      uuid: 'e30c6b22-d71c-4d87-af7b-8d9b3524999f',
      virtType: 'qemu',
      arch: 'x86_64',
      vcpus: { current: 1, max: 1 },
      memoryKiB: { current: 163840, max: 163840 },
      balloonModel: 'none',
      guestAgentChannel: false,
    });
    expect(details.disks).toEqual([
      {
        device: 'disk',
        target: 'vda',
        bus: 'virtio',
        source: '/var/lib/virtdeck-lab/disks/vd-vnc-1.qcow2',
        sourceType: 'file',
        format: 'qcow2',
        cache: null,
        io: null,
        readonly: false,
      },
    ]);
    expect(details.graphics).toEqual([
      { type: 'vnc', listen: { type: 'address', address: '127.0.0.1', port: 5900, tlsPort: null }, autoport: true, hasPassword: false },
    ]);
    expect(details.consoles.map((c) => [c.kind, c.type, c.targetType, c.port, c.alias])).toEqual([
      ['serial', 'pty', 'isa-serial', 0, 'serial0'],
      ['console', 'pty', 'serial', 0, 'serial0'],
    ]);
  });

  it('an inactive definition has no port yet (autoport)', () => {
    const details = parseDomainDetails('h1', fixture('lab-spice-inactive.xml'));
    expect(details.graphics[0]).toMatchObject({ type: 'spice', autoport: true, listen: { type: 'address', port: null } });
  });

  it('reads a rich workstation guest: units, disks of every source type, NICs, sockets, agent, TPM', () => {
    const details = parseDomainDetails('h2', fixture('workstation-rich.xml'));
    expect(details.vcpus).toEqual({ current: 4, max: 8 });
    expect(details.memoryKiB).toEqual({ current: 6291456, max: 8 * 1024 * 1024 });
    expect(details.firmware).toBe('efi');
    expect(details.cpuMode).toBe('host-passthrough');
    expect(details.disks.map((d) => [d.target, d.device, d.sourceType, d.source, d.format, d.cache, d.io, d.readonly])).toEqual([
      ['vda', 'disk', 'file', '/var/lib/libvirt/images/build-01.qcow2', 'qcow2', 'none', 'native', false],
      ['vdb', 'disk', 'block', '/dev/vg0/build-01-scratch', 'raw', 'writeback', null, false],
      ['sda', 'disk', 'volume', 'default/build-01-cache.qcow2', 'qcow2', null, null, false],
      ['sdb', 'cdrom', 'file', '/var/lib/libvirt/images/debian-12.iso', 'raw', null, null, true],
    ]);
    expect(details.interfaces).toEqual([
      { type: 'network', mac: '52:54:00:6b:3c:58', source: 'default', model: 'virtio', target: null },
      { type: 'bridge', mac: '52:54:00:aa:bb:cc', source: 'br0', model: 'e1000e', target: null },
    ]);
    expect(details.graphics).toEqual([
      { type: 'spice', listen: { type: 'address', address: '127.0.0.1', port: null, tlsPort: null }, autoport: true, hasPassword: true },
      { type: 'vnc', listen: { type: 'socket', path: '/run/libvirt/qemu/build-01.vnc' }, autoport: false, hasPassword: false },
    ]);
    expect(details.guestAgentChannel).toBe(true);
    expect(details.tpm).toBe(true);
    expect(details.balloonModel).toBe('virtio');
  });

  it('never carries a graphics password', () => {
    expect(JSON.stringify(parseDomainDetails('h2', fixture('workstation-rich.xml')))).not.toContain('s3cret');
  });

  it('refuses malformed XML and other root elements with a clear error', () => {
    expect(() => parseDomainDetails('h', '<domain><name>x</domain>')).toThrow(/not well-formed XML/);
    expect(() => parseDomainDetails('h', '<network><name>default</name></network>')).toThrow(/Expected <domain>, found <network>/);
    expect(() => parseXmlDocument('', 'The XML')).toThrow(/not well-formed/);
  });

  it('converts every libvirt size unit to KiB', () => {
    const kib = (xml: string) => sizeKiB(parseXmlDocument(xml, 'x'));
    expect(kib("<memory unit='KiB'>1024</memory>")).toBe(1024);
    expect(kib('<memory>2048</memory>')).toBe(2048);
    expect(kib("<memory unit='M'>1</memory>")).toBe(1024);
    expect(kib("<memory unit='GiB'>2</memory>")).toBe(2 * 1024 * 1024);
    expect(kib("<memory unit='MB'>1</memory>")).toBe(977);
    expect(kib("<memory unit='bytes'>4096</memory>")).toBe(4);
    expect(() => kib("<memory unit='parsecs'>1</memory>")).toThrow(/Unknown memory unit/);
  });
});
