import { describe, expect, it } from 'vitest';
import { textConsoleDevices } from '../../../renderer/src/consoles/serial-devices';

describe('textConsoleDevices', () => {
  it('lists the serial port once although libvirt also shows it as the first console', () => {
    const devices = textConsoleDevices([
      { kind: 'serial', type: 'pty', targetType: 'isa-serial', port: 0, alias: 'serial0' },
      { kind: 'console', type: 'pty', targetType: 'serial', port: 0, alias: 'serial0' },
      { kind: 'console', type: 'pty', targetType: 'virtio', port: 1, alias: 'console1' },
    ]);
    expect(devices.map((d) => d.alias)).toEqual(['serial0', 'console1']);
    expect(devices[1]).toMatchObject({ kind: 'console', targetType: 'virtio', port: 1 });
  });

  it('leaves out devices that cannot be opened by name (no alias, not a pty)', () => {
    const devices = textConsoleDevices([
      { kind: 'serial', type: 'pty', targetType: 'isa-serial', port: 0, alias: null },
      { kind: 'serial', type: 'tcp', targetType: 'isa-serial', port: 1, alias: 'serial1' },
      { kind: 'console', type: 'pty', targetType: 'virtio', port: 1, alias: 'console1' },
    ]);
    expect(devices.map((d) => d.alias)).toEqual(['console1']);
  });
});
