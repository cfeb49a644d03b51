import { describe, expect, it } from 'vitest';
import { parseFreezeStatus } from '../../../main/services/guest-agent/guest-agent-service';
import { parseGuestInfo } from '../../../main/services/guest-agent/guest-info';

describe('guest agent answers', () => {
  it('guest-fsfreeze-status replies as qemu-ga sends them', () => {
    expect(parseFreezeStatus('{"return":"frozen"}')).toBe('frozen');
    expect(parseFreezeStatus('{"return":"thawed"}')).toBe('thawed');
    expect(parseFreezeStatus('{"return":"unknown"}')).toBeNull();
    expect(parseFreezeStatus('{"error":{"class":"GenericError","desc":"x"}}')).toBeNull();
    expect(parseFreezeStatus('not json')).toBeNull();
  });

  it('virDomainGetGuestInfo fields as libvirt 9.0 returned them for the lab agent guest (virsh guestinfo vd-agent-1)', () => {
    const fields: Array<[string, unknown]> = [
      ['user.count', 1],
      ['user.0.name', 'root'],
      ['user.0.login-time', 1796588310000n],
      ['os.id', 'virtdeck-lab'],
      ['os.name', 'VirtDeck lab guest'],
      ['os.pretty-name', 'VirtDeck lab guest (BusyBox v1.35.0, qemu-ga 1:7.2+dfsg-7+deb12u18+b3)'],
      ['os.version', '1 (busybox)'],
      ['os.version-id', '1'],
      ['os.machine', 'x86_64'],
      ['os.kernel-release', '6.1.0-57-cloud-amd64'],
      ['timezone.name', 'UTC'],
      ['timezone.offset', 0],
      ['hostname', 'vd-agent-1'],
      ['fs.count', 1],
      ['fs.0.name', 'vda'],
      ['fs.0.mountpoint', '/data'],
      ['fs.0.fstype', 'ext4'],
      ['fs.0.total-bytes', 52685824n],
      ['fs.0.used-bytes', 14336n],
      ['fs.0.disk.count', 1],
      ['fs.0.disk.0.alias', 'vda'],
      ['fs.0.disk.0.device', '/dev/vda'],
      ['disk.count', 1],
      ['disk.0.name', '/dev/vda'],
      ['if.count', 1],
      ['if.0.name', 'lo'],
      ['if.0.hwaddr', '00:00:00:00:00:00'],
      ['if.0.addr.count', 2],
      ['if.0.addr.0.type', 'ipv4'],
      ['if.0.addr.0.addr', '127.0.0.1'],
      ['if.0.addr.0.prefix', 8],
      ['if.0.addr.1.type', 'ipv6'],
      ['if.0.addr.1.addr', '::1'],
      ['if.0.addr.1.prefix', 128],
    ];
    const parsed = parseGuestInfo(fields.map(([field, value]) => ({ field, value })));
    expect(parsed.os).toEqual({
      id: 'virtdeck-lab',
      name: 'VirtDeck lab guest',
      prettyName: 'VirtDeck lab guest (BusyBox v1.35.0, qemu-ga 1:7.2+dfsg-7+deb12u18+b3)',
      version: '1 (busybox)',
      kernelRelease: '6.1.0-57-cloud-amd64',
      machine: 'x86_64',
    });
    expect(parsed.hostname).toBe('vd-agent-1');
    expect(parsed.timezone).toEqual({ name: 'UTC', offsetSec: 0 });
    expect(parsed.users).toEqual([{ name: 'root', domain: null, loginTime: 1796588310000 }]);
    expect(parsed.filesystems).toEqual([{ mountpoint: '/data', name: 'vda', fstype: 'ext4', totalBytes: 52685824, usedBytes: 14336, disks: ['vda'] }]);
    expect(parsed.interfaces).toEqual([
      {
        name: 'lo',
        hwaddr: '00:00:00:00:00:00',
        addresses: [
          { type: 'ipv4', addr: '127.0.0.1', prefix: 8 },
          { type: 'ipv6', addr: '::1', prefix: 128 },
        ],
      },
    ]);
  });

  it('a frozen agent: libvirt returns no fields at all', () => {
    expect(parseGuestInfo([])).toEqual({ os: null, hostname: null, timezone: null, users: [], filesystems: [], interfaces: [] });
  });
});
