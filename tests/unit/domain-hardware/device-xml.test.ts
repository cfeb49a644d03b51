/**
 * "Add hardware": every form's device element (form → XML per device type), its insertion into real
 * libvirt definitions keeping every unrelated byte, removal likewise, the device list, and the result
 * validated against libvirt's own RELAX NG schema (/usr/share/libvirt/schemas, libvirt 9.0 here).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HardwareDraft } from '../../../preload/api-contract';
import { freeTarget, listDevices, removeDevice, usedTargets } from '../../../main/services/domain-hardware/device-list';
import { buildDeviceXml, hasSharedMemory, insertDevice, withSharedMemory } from '../../../main/services/domain-hardware/device-xml';
import { liveBlock } from '../../../main/services/domain-hardware/hardware-service';
import { DomainSchema } from '../../../main/services/domain-xml/domain-schema';
import { compileDomainSchema, LIBVIRT_SCHEMA_DIR, readSchemaFiles } from '../../../main/services/domain-xml/host-schemas';
import { readTreeFromJSON } from '../../../main/services/domain-xml/salve';
import { ApiFailure } from '../../../main/services/api-failure';
import { maskPasswords } from '../../../main/services/consoles/spice-to-vnc';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/domain-xml/${name}`, import.meta.url), 'utf8');
const FIXTURES = ['lab-vnc-1-inactive.xml', 'lab-spice-inactive.xml', 'workstation-rich.xml', 'tuning-rich.xml'];
const HAVE_SCHEMAS = existsSync(join(LIBVIRT_SCHEMA_DIR, 'domain.rng'));

const disk: HardwareDraft = {
  kind: 'disk',
  source: { type: 'new', pool: 'vd-lab-pool', name: 'data.qcow2', format: 'qcow2', capacityBytes: 1024 ** 3 },
  bus: 'virtio',
  target: 'vdb',
  cache: 'none',
  io: 'native',
  discard: 'unmap',
  serial: 'DATA-1',
  readOnly: false,
  shareable: false,
  iothread: null,
};

/** One draft per form, and the exact element each builds. */
const CASES: Array<{ draft: HardwareDraft; xml: string; facts?: Record<string, string> }> = [
  {
    draft: disk,
    xml: [
      "<disk type='volume' device='disk'>",
      "  <driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap'/>",
      "  <source pool='vd-lab-pool' volume='data.qcow2'/>",
      "  <target dev='vdb' bus='virtio'/>",
      '  <serial>DATA-1</serial>',
      '</disk>',
    ].join('\n'),
  },
  {
    draft: { ...disk, source: { type: 'path', path: '/srv/images/shared.img' }, bus: 'scsi', target: 'sdb', cache: 'default', io: 'default', discard: 'default', serial: null, readOnly: true, shareable: true },
    facts: { format: 'raw' },
    xml: [
      "<disk type='file' device='disk'>",
      "  <driver name='qemu' type='raw'/>",
      "  <source file='/srv/images/shared.img'/>",
      "  <target dev='sdb' bus='scsi'/>",
      '  <readonly/>',
      '  <shareable/>',
      '</disk>',
    ].join('\n'),
  },
  {
    draft: { ...disk, source: { type: 'path', path: '/dev/vg0/data' }, target: 'vdc', cache: 'directsync', io: 'native', discard: 'default', serial: null },
    facts: { format: 'raw' },
    xml: "<disk type='block' device='disk'>\n  <driver name='qemu' type='raw' cache='directsync' io='native'/>\n  <source dev='/dev/vg0/data'/>\n  <target dev='vdc' bus='virtio'/>\n</disk>",
  },
  {
    draft: { kind: 'cdrom', bus: 'sata', target: 'sdc', media: { type: 'volume', pool: 'isos', volume: 'debian.iso' } },
    facts: { format: 'raw' },
    xml: "<disk type='volume' device='cdrom'>\n  <driver name='qemu' type='raw'/>\n  <source pool='isos' volume='debian.iso'/>\n  <target dev='sdc' bus='sata'/>\n  <readonly/>\n</disk>",
  },
  {
    draft: { kind: 'nic', source: { type: 'network', network: 'default', portgroup: null }, model: 'virtio', mac: '52:54:00:12:34:56', vlan: null, link: 'up' },
    xml: "<interface type='network'>\n  <mac address='52:54:00:12:34:56'/>\n  <source network='default'/>\n  <model type='virtio'/>\n</interface>",
  },
  {
    draft: { kind: 'nic', source: { type: 'bridge', bridge: 'br0' }, model: 'e1000e', mac: '52:54:00:12:34:57', vlan: 42, link: 'down' },
    xml: "<interface type='bridge'>\n  <mac address='52:54:00:12:34:57'/>\n  <source bridge='br0'/>\n  <vlan>\n    <tag id='42'/>\n  </vlan>\n  <model type='e1000e'/>\n  <link state='down'/>\n</interface>",
  },
  {
    draft: { kind: 'nic', source: { type: 'direct', dev: 'eno1', mode: 'bridge' }, model: 'virtio', mac: '52:54:00:12:34:58', vlan: null, link: 'up' },
    xml: "<interface type='direct'>\n  <mac address='52:54:00:12:34:58'/>\n  <source dev='eno1' mode='bridge'/>\n  <model type='virtio'/>\n</interface>",
  },
  {
    draft: { kind: 'graphics', type: 'spice', listen: '127.0.0.1', port: null, password: null },
    xml: "<graphics type='spice' port='-1' autoport='yes' listen='127.0.0.1'>\n  <listen type='address' address='127.0.0.1'/>\n</graphics>",
  },
  { draft: { kind: 'video', model: 'virtio', heads: 2 }, xml: "<video>\n  <model type='virtio' heads='2'/>\n</video>" },
  { draft: { kind: 'sound', model: 'ich9' }, xml: "<sound model='ich9'/>" },
  { draft: { kind: 'input', type: 'tablet', bus: 'usb' }, xml: "<input type='tablet' bus='usb'/>" },
  { draft: { kind: 'chr', target: { device: 'serial', targetType: 'isa-serial' } }, xml: "<serial type='pty'>\n  <target type='isa-serial'/>\n</serial>" },
  { draft: { kind: 'chr', target: { device: 'console', targetType: 'virtio' } }, xml: "<console type='pty'>\n  <target type='virtio'/>\n</console>" },
  {
    draft: { kind: 'chr', target: { device: 'channel', channel: 'guest-agent', name: null } },
    xml: "<channel type='unix'>\n  <target type='virtio' name='org.qemu.guest_agent.0'/>\n</channel>",
  },
  {
    draft: { kind: 'chr', target: { device: 'channel', channel: 'spice-vdagent', name: null } },
    xml: "<channel type='spicevmc'>\n  <target type='virtio' name='com.redhat.spice.0'/>\n</channel>",
  },
  {
    draft: { kind: 'rng', source: '/dev/urandom', rateBytes: 1024, periodMs: 1000 },
    xml: "<rng model='virtio'>\n  <rate bytes='1024' period='1000'/>\n  <backend model='random'>/dev/urandom</backend>\n</rng>",
  },
  { draft: { kind: 'watchdog', model: 'i6300esb', action: 'reset' }, xml: "<watchdog model='i6300esb' action='reset'/>" },
  { draft: { kind: 'tpm', model: 'tpm-crb', backend: 'emulator', version: '2.0', path: null }, xml: "<tpm model='tpm-crb'>\n  <backend type='emulator' version='2.0'/>\n</tpm>" },
  {
    draft: { kind: 'tpm', model: 'tpm-tis', backend: 'passthrough', version: '2.0', path: '/dev/tpm0' },
    xml: "<tpm model='tpm-tis'>\n  <backend type='passthrough'>\n    <device path='/dev/tpm0'/>\n  </backend>\n</tpm>",
  },
  { draft: { kind: 'usb-controller', model: 'qemu-xhci' }, xml: "<controller type='usb' model='qemu-xhci'/>" },
  {
    draft: { kind: 'filesystem', source: '/srv/share', tag: 'share' },
    xml: "<filesystem type='mount' accessmode='passthrough'>\n  <driver type='virtiofs'/>\n  <source dir='/srv/share'/>\n  <target dir='share'/>\n</filesystem>",
  },
  {
    draft: { kind: 'hostdev', device: { kind: 'pci', name: 'pci_0000_00_1f_3' } },
    facts: {
      hostdevXml: "<hostdev mode='subsystem' type='pci' managed='yes'>\n  <source>\n    <address domain='0x0000' bus='0x00' slot='0x1f' function='0x3'/>\n  </source>\n</hostdev>\n",
    },
    xml: "<hostdev mode='subsystem' type='pci' managed='yes'>\n  <source>\n    <address domain='0x0000' bus='0x00' slot='0x1f' function='0x3'/>\n  </source>\n</hostdev>",
  },
];

/** Only added lines; none removed or changed. */
function onlyAdded(before: string, after: string): string {
  const parts = diffLines(before, after);
  expect(parts.filter((p) => p.removed)).toEqual([]);
  return parts
    .filter((p) => p.added)
    .map((p) => p.value)
    .join('');
}

describe('form → device XML, per device type', () => {
  for (const { draft, xml, facts } of CASES) {
    it(`${draft.kind} ${JSON.stringify(draft).slice(0, 80)}`, () => {
      expect(buildDeviceXml(draft, facts)).toBe(`${xml}\n`);
    });
  }

  it('refuses bad input with the field it is about', () => {
    const refuse = (draft: HardwareDraft, field: string) => {
      try {
        buildDeviceXml(draft);
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(ApiFailure);
        expect((error as ApiFailure).field).toBe(field);
      }
    };
    refuse({ ...disk, io: 'native', cache: 'writeback' } as HardwareDraft, 'io');
    refuse({ ...disk, source: { type: 'path', path: 'relative.img' } } as HardwareDraft, 'path');
    refuse({ kind: 'nic', source: { type: 'bridge', bridge: 'br0' }, model: 'virtio', mac: '01:00:00:00:00:01', vlan: null, link: 'up' }, 'mac');
    refuse({ kind: 'nic', source: { type: 'bridge', bridge: 'a bridge' }, model: 'virtio', mac: '52:54:00:00:00:01', vlan: null, link: 'up' }, 'bridge');
    refuse({ kind: 'graphics', type: 'vnc', listen: '127.0.0.1', port: null, password: 'longer-than-8' }, 'password');
    refuse({ kind: 'filesystem', source: '/srv', tag: 'has space' }, 'tag');
    refuse({ kind: 'hostdev', device: { kind: 'pci', name: 'x' } }, 'device');
  });

  it('escapes what it writes (a serial with characters XML must quote cannot sneak in elements)', () => {
    expect(() => buildDeviceXml({ ...disk, serial: "a'/><evil" } as HardwareDraft)).toThrow(ApiFailure);
    const xml = buildDeviceXml({ ...disk, source: { type: 'path', path: "/srv/a'b&c<d.img" } } as HardwareDraft, { format: 'raw' });
    expect(xml).toContain("<source file='/srv/a&apos;b&amp;c&lt;d.img'/>");
  });
});

describe('inserting a device keeps every unrelated byte of real definitions', () => {
  for (const name of FIXTURES) {
    const before = fixture(name);
    for (const { draft, xml, facts } of CASES) {
      it(`${name}: ${draft.kind}`, () => {
        const device = buildDeviceXml(draft, facts);
        const after = insertDevice(before, device);
        const added = onlyAdded(before, after);
        // What was added is the element, indented like the other devices (4 spaces).
        expect(added).toBe(
          xml
            .split('\n')
            .map((line) => `    ${line}\n`)
            .join(''),
        );
        // and it sits among its kind: right after the last element of the same name, if there is one.
        expect(after.slice(after.indexOf('</devices>'))).toBe(before.slice(before.indexOf('</devices>')));
      });
    }
  }

  it('places a device after the last of its kind', () => {
    const before = fixture('lab-vnc-1-inactive.xml');
    const after = insertDevice(before, buildDeviceXml(CASES[0]!.draft));
    expect(after.indexOf("<target dev='vdb'")).toBeGreaterThan(after.indexOf("<target dev='vda'"));
    expect(after.indexOf("<target dev='vdb'")).toBeLessThan(after.indexOf('<controller'));
  });

  it('virtiofs: shared memfd memory backing is added (and only that), kept when it is there', () => {
    const lab = fixture('lab-vnc-1-inactive.xml');
    expect(hasSharedMemory(lab)).toBe(false);
    const shared = withSharedMemory(lab);
    expect(onlyAdded(lab, shared)).toBe("  <memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n  </memoryBacking>\n");
    expect(withSharedMemory(shared)).toBe(shared);
    const rich = fixture('workstation-rich.xml');
    const richShared = withSharedMemory(rich);
    expect(diffLines(rich, richShared).filter((p) => p.removed)).toEqual([]);
    expect(hasSharedMemory(richShared)).toBe(true);
  });

  it('removing a device removes its lines and nothing else', () => {
    for (const name of FIXTURES) {
      const before = fixture(name);
      const devices = listDevices(before, null);
      for (const device of devices) {
        const after = removeDevice(before, device.key);
        const parts = diffLines(before, after);
        expect(parts.filter((p) => p.added), `${name} ${device.key}`).toEqual([]);
        const removed = parts.filter((p) => p.removed).map((p) => p.value).join('');
        // Exactly the element's lines went (the diff may align equal lines of neighbours differently).
        const lines = (text: string) => maskPasswords(text).split('\n').map((l) => l.trim()).filter(Boolean).sort();
        expect(lines(removed), `${name} ${device.key}`).toEqual(lines(device.xml));
        expect(listDevices(after, null).map((d) => d.key)).not.toContain(device.key);
      }
    }
  });
});

describe('the device list', () => {
  it('lists the lab guest like a sidebar, merging definition and running guest', () => {
    const devices = listDevices(fixture('lab-vnc-1-inactive.xml'), fixture('lab-vnc-live.xml'));
    const byCategory = (c: string) => devices.filter((d) => d.category === c);
    expect(byCategory('disk').map((d) => [d.name, d.inConfig, d.inLive, d.guestMustCooperate, d.liveRemoval])).toEqual([['vda', true, true, true, null]]);
    expect(byCategory('graphics')[0]).toMatchObject({ name: 'VNC', liveRemoval: 'notHotUnpluggable' });
    expect(byCategory('video')[0]).toMatchObject({ name: 'vga', liveRemoval: 'notHotUnpluggable' });
    expect(byCategory('input').map((d) => d.liveRemoval)).toEqual(['busNotHotUnpluggable', 'busNotHotUnpluggable']);
    expect(byCategory('serial')).toHaveLength(1);
    expect(byCategory('controller').length).toBeGreaterThan(0);
    expect(devices.some((d) => d.tag === 'emulator')).toBe(false);
  });

  it('a device only in the running guest is listed as live only', () => {
    const live = insertDevice(fixture('lab-vnc-live.xml'), buildDeviceXml(CASES[0]!.draft));
    const devices = listDevices(fixture('lab-vnc-1-inactive.xml'), live);
    expect(devices.find((d) => d.name === 'vdb')).toMatchObject({ inConfig: false, inLive: true });
  });

  it('free target names skip those in use', () => {
    const used = usedTargets(fixture('lab-vnc-1-inactive.xml'));
    expect(freeTarget('virtio', used)).toBe('vdb');
    expect(freeTarget('sata', used)).toBe('sda');
    expect(freeTarget('virtio', new Set(Array.from({ length: 26 }, (_, i) => `vd${String.fromCharCode(97 + i)}`)))).toBe('vdaa');
  });

  it('says what libvirt cannot hot-plug into a running guest', () => {
    const live = fixture('lab-vnc-live.xml');
    expect(liveBlock(disk, live)).toBeNull();
    expect(liveBlock({ ...disk, bus: 'sata' } as HardwareDraft, live)).toEqual({ key: 'busNextBoot', values: { bus: 'sata' } });
    expect(liveBlock({ kind: 'video', model: 'virtio', heads: 1 }, live)?.key).toBe('kindNextBoot');
    expect(liveBlock({ kind: 'usb-controller', model: 'qemu-xhci' }, live)?.key).toBe('controllerNextBoot');
    expect(liveBlock({ kind: 'filesystem', source: '/srv', tag: 't' }, live)?.key).toBe('sharedMemoryNextBoot');
    expect(liveBlock({ kind: 'filesystem', source: '/srv', tag: 't' }, withSharedMemory(live))).toBeNull();
  });
});

describe.skipIf(!HAVE_SCHEMAS)("every form's result validates against libvirt's RELAX NG schema", () => {
  let schema: DomainSchema;
  beforeAll(async () => {
    schema = new DomainSchema(readTreeFromJSON(await compileDomainSchema(await readSchemaFiles(null))), 'test');
  }, 60_000);

  for (const { draft, facts } of CASES) {
    it(draft.kind === 'chr' ? `chr ${draft.target.device}` : draft.kind, () => {
      for (const name of FIXTURES) {
        let base = fixture(name);
        if (draft.kind === 'filesystem') base = withSharedMemory(base);
        expect(schema.validate(insertDevice(base, buildDeviceXml(draft, facts))), name).toEqual([]);
      }
    });
  }

  it('a broken device is caught', () => {
    const bad = insertDevice(fixture('lab-vnc-1-inactive.xml'), "<sound model='nonsense'/>\n");
    expect(schema.validate(bad).length).toBeGreaterThan(0);
  });
});
