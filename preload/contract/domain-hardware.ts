/**
 * The VM page's Hardware section: the guest's devices (like virt-manager's sidebar), "Add hardware" with a
 * form per device type, hot-plug and hot-unplug. Every form builds a device element, shown as XML and as
 * a diff of the definition before it is applied: now (live), at the next boot (config) or both.
 */

import type { DomainRef } from './domains';
import type { HostDeviceSelector } from './host-devices';
import type { AssertNever } from './channel-names';

export type HardwareCategory =
  | 'disk'
  | 'cdrom'
  | 'floppy'
  | 'nic'
  | 'graphics'
  | 'video'
  | 'sound'
  | 'input'
  | 'serial'
  | 'console'
  | 'channel'
  | 'rng'
  | 'watchdog'
  | 'tpm'
  | 'controller'
  | 'filesystem'
  | 'hostdev'
  | 'other';

/** One device of the guest, from the persistent definition and/or the running guest. */
export interface HardwareDevice {
  /** Stable within one state: names the device for removal. */
  key: string;
  category: HardwareCategory;
  /** The element name (disk, interface, …). */
  tag: string;
  /** What names it: target dev, MAC, type, port… */
  name: string;
  /** Read-only facts, e.g. ["virtio", "qcow2", "/var/lib/…/a.qcow2"]. */
  summary: string[];
  /** In the persistent definition (next boot) and/or the running guest. */
  inConfig: boolean;
  inLive: boolean;
  /** The element as the definition (or, when only live, the running guest) has it. */
  xml: string;
  /** Removing it from the running guest needs the guest to let go (ACPI/PCIe unplug of a PCI device). */
  guestMustCooperate: boolean;
  /** Why it cannot be removed from the running guest (null when it can, or the guest is not running). */
  liveRemoval: string | null;
}

export interface HardwareState {
  hostId: string;
  uuid: string;
  name: string;
  running: boolean;
  persistent: boolean;
  devices: HardwareDevice[];
  /** The persistent XML read (apply refuses when it changed meanwhile); null for a transient guest. */
  basedOn: string | null;
  /** The running guest already has shared memory (virtiofs can be hot-plugged). */
  liveSharedMemory: boolean;
}

export type HwDiskBus = 'virtio' | 'scsi' | 'sata' | 'usb' | 'ide';
export type HwDiskCache = 'default' | 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe';
export type HwDiskIo = 'default' | 'native' | 'threads' | 'io_uring';

export type DiskSource =
  /** A new volume created in a pool (through the storage area) before the disk is attached. */
  | { type: 'new'; pool: string; name: string; format: 'qcow2' | 'raw'; capacityBytes: number }
  | { type: 'volume'; pool: string; volume: string }
  | { type: 'path'; path: string };

export type NicSource =
  | { type: 'network'; network: string; portgroup: string | null }
  | { type: 'bridge'; bridge: string }
  | { type: 'direct'; dev: string; mode: 'vepa' | 'bridge' | 'private' | 'passthrough' };

export type ChrTarget =
  | { device: 'serial'; targetType: 'isa-serial' | 'usb-serial' | 'pci-serial' }
  | { device: 'console'; targetType: 'serial' | 'virtio' }
  | { device: 'channel'; channel: 'guest-agent' | 'spice-vdagent' | 'custom'; name: string | null };

export type HardwareDraft =
  | {
      kind: 'disk';
      source: DiskSource;
      bus: HwDiskBus;
      /** Target dev; null = the first free one for the bus. */
      target: string | null;
      cache: HwDiskCache;
      io: HwDiskIo;
      discard: 'default' | 'unmap' | 'ignore';
      serial: string | null;
      readOnly: boolean;
      shareable: boolean;
      iothread: number | null;
    }
  | { kind: 'cdrom'; bus: 'sata' | 'ide' | 'scsi' | 'usb'; media: null | { type: 'volume'; pool: string; volume: string } | { type: 'path'; path: string }; target: string | null }
  | {
      kind: 'nic';
      source: NicSource;
      model: 'virtio' | 'e1000e' | 'e1000' | 'rtl8139';
      /** null = a new one (52:54:00:…), fixed at preview. */
      mac: string | null;
      vlan: number | null;
      link: 'up' | 'down';
    }
  | { kind: 'graphics'; type: 'vnc' | 'spice'; listen: string; port: number | null; password: string | null }
  | { kind: 'video'; model: 'virtio' | 'qxl' | 'vga' | 'bochs' | 'cirrus' | 'ramfb'; heads: number }
  | { kind: 'sound'; model: 'ich9' | 'ich6' | 'ac97' | 'es1370' | 'sb16' | 'usb' }
  | { kind: 'input'; type: 'tablet' | 'mouse' | 'keyboard'; bus: 'usb' | 'virtio' | 'ps2' }
  | { kind: 'chr'; target: ChrTarget }
  | { kind: 'rng'; source: '/dev/urandom' | '/dev/random' | '/dev/hwrng'; rateBytes: number | null; periodMs: number | null }
  | { kind: 'watchdog'; model: 'i6300esb' | 'ib700' | 'itco'; action: 'reset' | 'shutdown' | 'poweroff' | 'pause' | 'none' | 'dump' | 'inject-nmi' }
  | { kind: 'tpm'; model: 'tpm-crb' | 'tpm-tis'; backend: 'emulator' | 'passthrough'; version: '2.0' | '1.2'; path: string | null }
  | { kind: 'usb-controller'; model: 'qemu-xhci' | 'nec-xhci' | 'ich9-ehci1' | 'piix3-uhci' }
  | { kind: 'filesystem'; source: string; tag: string }
  | { kind: 'hostdev'; device: HostDeviceSelector };

export type HardwareKind = HardwareDraft['kind'];

/** A message the renderer translates: `domainHardware.messages.<key>` with `values`. */
export interface HardwareMessage {
  key: string;
  values?: Record<string, string | number>;
}

export interface HardwareAddRequest extends DomainRef {
  draft: HardwareDraft;
  /** Attach to the running guest now. */
  live: boolean;
  /** Add to the persistent definition (next boot). */
  config: boolean;
  basedOn: string | null;
}

export interface HardwarePreview {
  /** The draft with what the preview fixed (MAC, target dev), to send to apply unchanged. */
  draft: HardwareDraft;
  /** The device element that is attached. */
  deviceXml: string;
  /** The persistent definition before → after (empty when config is not changed). */
  diff: string;
  /** The new volume's XML, when a disk gets one. */
  volumeXml: string | null;
  /** Whether the running guest can take it now; when not, why (a messages key). */
  liveOk: boolean;
  liveReason: HardwareMessage | null;
  /** The definition after the change, checked against the host's libvirt RELAX NG schema. */
  schemaProblems: string[];
  /** Other things to know (memory backing added for virtiofs, …). */
  notes: HardwareMessage[];
}

export interface HardwareRemoveRequest extends DomainRef {
  key: string;
  live: boolean;
  config: boolean;
  basedOn: string | null;
  /** How long to wait for the guest to release the device (DEVICE_REMOVED), seconds. */
  waitSeconds: number;
}

export interface HardwareRemoveResult {
  /** removed: the guest released it (DEVICE_REMOVED); pending: asked, the guest has not released it yet. */
  live: 'removed' | 'pending' | 'not-asked';
  config: boolean;
  waitedMs: number;
  state: HardwareState;
}

export interface DomainHardwareCalls {
  'domainHardware.state': { request: DomainRef; response: HardwareState };
  'domainHardware.preview': { request: HardwareAddRequest; response: HardwarePreview };
  'domainHardware.add': { request: HardwareAddRequest; response: { state: HardwareState; volumeCreated: string | null } };
  'domainHardware.remove': { request: HardwareRemoveRequest; response: HardwareRemoveResult };
}

export const DOMAIN_HARDWARE_CALLS = [
  'domainHardware.state',
  'domainHardware.preview',
  'domainHardware.add',
  'domainHardware.remove',
] as const satisfies readonly (keyof DomainHardwareCalls)[];
export type _DomainHardwareCallsListed = AssertNever<Exclude<keyof DomainHardwareCalls, (typeof DOMAIN_HARDWARE_CALLS)[number]>>;
