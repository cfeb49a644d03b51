import type { DomainDetails } from '../../../preload/api-contract';

export interface TextConsoleDevice {
  /** libvirt's alias: what console.serial opens. */
  alias: string;
  kind: 'serial' | 'console';
  /** serial port type (isa-serial, …) or console target (serial, virtio, sclp, …). */
  targetType: string | null;
  port: number | null;
}

/**
 * The text consoles a guest offers, once each: libvirt lists the first serial port twice (as <serial>
 * and as the <console> that points at it, both with the same alias); devices without an alias (an
 * inactive definition) cannot be opened by name and are left out.
 */
export function textConsoleDevices(consoles: DomainDetails['consoles']): TextConsoleDevice[] {
  const seen = new Set<string>();
  const devices: TextConsoleDevice[] = [];
  for (const device of consoles) {
    if (!device.alias || seen.has(device.alias)) continue;
    if (device.type !== 'pty') continue; // only pty-backed devices can be opened as a console
    seen.add(device.alias);
    devices.push({ alias: device.alias, kind: device.kind, targetType: device.targetType, port: device.port });
  }
  return devices;
}
