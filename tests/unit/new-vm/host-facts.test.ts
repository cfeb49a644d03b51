/**
 * Host facts from libvirt's capabilities and domain capabilities: the lab's own (TCG only, no OVMF, no
 * swtpm) and a KVM host with OVMF and swtpm (the lab's q35 domain capabilities with what libvirt 9.0
 * adds for them: qemu_capabilities.c virQEMUCapsFillDomainOSCaps / ...DeviceTPMCaps).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDomainCapabilities, parseGuestCapabilities, pickGuest } from '../../../main/services/new-vm/host-facts';

const fixture = (path: string) => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');

describe('capabilities: the domain type the host offers', () => {
  it('the lab (no /dev/kvm) offers only qemu: the wizard uses TCG', () => {
    const picked = pickGuest(fixture('new-vm/caps-lab-tcg.xml'));
    expect(picked?.domainType).toBe('qemu');
    expect(picked?.guest.arch).toBe('x86_64');
    expect(picked?.guest.emulator).toBe('/usr/bin/qemu-system-x86_64');
    expect(picked?.guest.machines).toEqual(expect.arrayContaining(['q35', 'pc', 'pc-q35-7.2']));
  });

  it('a host whose capabilities list kvm gets kvm', () => {
    expect(pickGuest(fixture('host-capabilities/lab-1node-2cpu.xml'))?.domainType).toBe('kvm');
  });

  it('lists every hvm guest architecture', () => {
    expect(parseGuestCapabilities(fixture('new-vm/caps-lab-tcg.xml')).guests.map((g) => g.arch)).toEqual(['i686', 'x86_64']);
  });
});

describe('domain capabilities', () => {
  it('the lab: no UEFI firmware, no Secure Boot, TPM only as passthrough, maximum CPU mode, SATA but no IDE on q35', () => {
    const facts = parseDomainCapabilities(fixture('new-vm/domcaps-lab-q35.xml'));
    expect(facts).toMatchObject({ domainType: 'qemu', efi: false, secureBoot: false, tpmEmulator: false });
    expect(facts.machine).toMatch(/^pc-q35-/);
    expect(facts.cpuModes).toEqual(['maximum', 'host-model', 'custom']);
    expect(facts.diskBuses).toEqual(expect.arrayContaining(['virtio', 'sata', 'scsi']));
    expect(facts.diskBuses).not.toContain('ide');
    expect(facts.graphics).toEqual(expect.arrayContaining(['vnc', 'spice']));
    expect(facts.tpmModels).toEqual(['tpm-tis', 'tpm-crb']);
  });

  it('a KVM host with OVMF and swtpm: UEFI, Secure Boot, TPM 2.0 emulator, host-passthrough', () => {
    const facts = parseDomainCapabilities(fixture('new-vm/domcaps-kvm-ovmf.xml'));
    expect(facts).toMatchObject({ domainType: 'kvm', efi: true, secureBoot: true, tpmEmulator: true });
    expect(facts.cpuModes[0]).toBe('host-passthrough');
  });
});
