/**
 * The editor's text-level helpers: well-formedness positions, the device list, splicing an edited device
 * back (every other byte kept), fragment checks, and placing libvirt's errors on a line.
 */
import { readFileSync } from 'node:fs';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import {
  checkFragment,
  checkWellFormed,
  findDevice,
  listDevices,
  locateLibvirtError,
  problemInFragment,
  spliceDevice,
} from '../../../renderer/src/domain-xml/xml-text';

const rich = readFileSync(new URL('../../fixtures/domain-xml/workstation-rich.xml', import.meta.url), 'utf8');
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

describe('well-formedness', () => {
  it('accepts a real definition and places the first error at its line', () => {
    expect(checkWellFormed(rich)).toBeNull();
    const broken = rich.replace("<acpi/>", '<acpi>');
    const problem = checkWellFormed(broken);
    expect(problem).toMatchObject({ kind: 'well-formedness', located: true });
    expect(problem?.line).toBe(lineOf(broken, '</features>'));
    expect(checkWellFormed('')).toMatchObject({ kind: 'well-formedness' });
    expect(checkWellFormed("<domain type='kvm'><name>x</name>")?.message).toMatch(/unclosed|root/i);
  });

  it('catches an undeclared namespace prefix', () => {
    expect(checkWellFormed('<domain><foo:bar/></domain>')?.message).toMatch(/prefix/);
  });
});

describe('devices', () => {
  const devices = listDevices(rich);

  it('lists every child of <devices> with its exact text', () => {
    expect(devices.map((d) => d.tag)).toEqual([
      'emulator', 'disk', 'disk', 'disk', 'disk', 'interface', 'interface', 'serial', 'console', 'channel',
      'graphics', 'graphics', 'video', 'tpm', 'memballoon',
    ]);
    const nic = devices.find((d) => d.tag === 'interface' && d.ordinal === 1)!;
    expect(rich.slice(nic.start, nic.end)).toBe(
      "<interface type='bridge'>\n      <mac address='52:54:00:aa:bb:cc'/>\n      <source bridge='br0'/>\n      <model type='e1000e'/>\n    </interface>",
    );
    expect(nic.label).toBe('interface · bridge · 52:54:00:aa:bb:cc · br0 · e1000e');
    expect(devices.find((d) => d.tag === 'disk')?.label).toContain('vda');
    expect(rich.slice(devices[0]!.start, devices[0]!.end)).toBe('<emulator>/usr/bin/qemu-system-x86_64</emulator>');
  });

  it('splices an edited device back and keeps every other byte (comments, metadata, qemu:commandline)', () => {
    const disk = findDevice(rich, 'disk', 0)!;
    const original = rich.slice(disk.start, disk.end);
    const edited = original.replace("cache='none'", "cache='writeback'").replace('<boot order=\'1\'/>', "<boot order='1'/>\n      <!-- edited -->");
    const spliced = spliceDevice(rich, disk, edited);
    expect(spliced.slice(0, disk.start)).toBe(rich.slice(0, disk.start));
    expect(spliced.slice(disk.start + edited.length)).toBe(rich.slice(disk.end));
    expect(spliced).toContain('<!-- system disk on local NVMe -->');
    expect(spliced).toContain("<ops:owner xmlns:ops='https://example.net/ops'>build-team</ops:owner>");
    expect(spliced).toContain("<qemu:arg value='name=opt/com.example/token,string=abc'/>");
    // The result is still one well-formed document with the change in place.
    const document = new DOMParser().parseFromString(spliced, 'text/xml');
    const driver = document.getElementsByTagName('driver')[0]!;
    expect(driver.getAttribute('cache')).toBe('writeback');
    expect(findDevice(spliced, 'disk', 0)?.end).toBe(disk.start + edited.length);
  });

  it('returns no devices for a malformed document', () => {
    expect(listDevices(rich.replace('</devices>', ''))).toEqual([]);
  });
});

describe('fragments', () => {
  it('accepts one element, with the root element\'s namespace prefixes', () => {
    expect(checkFragment(rich, "<disk type='file'>\n  <target dev='vdz'/>\n</disk>")).toBeNull();
    expect(checkFragment(rich, "<qemu:arg value='x'/>")).toBeNull();
  });

  it('refuses two elements, stray text and malformed text, in the fragment\'s own coordinates', () => {
    expect(checkFragment(rich, '<disk/><disk/>')?.message).toMatch(/exactly one element/);
    expect(checkFragment(rich, 'text <disk/>')?.message).toMatch(/exactly one element/);
    expect(checkFragment(rich, '   ')?.message).toMatch(/no element/);
    const broken = checkFragment(rich, "<disk type='file'>\n  <target dev='vdz'>\n</disk>");
    expect(broken).toMatchObject({ kind: 'well-formedness', line: 3 });
    const firstLine = checkFragment(rich, '<disk type=file/>');
    expect(firstLine?.line).toBe(1);
    expect(firstLine!.column).toBeLessThan(20);
  });

  it('moves document problems into the fragment, and leaves those outside it out', () => {
    const disk = findDevice(rich, 'disk', 1)!;
    const line = lineOf(rich, "<source dev='/dev/vg0/build-01-scratch'/>");
    const inside = problemInFragment(rich, { kind: 'schema', message: 'm', line, column: 7, endLine: line, endColumn: 12, located: true }, disk.start, disk.end);
    expect(inside).toMatchObject({ line: 3, column: 7, endLine: 3, endColumn: 12 });
    expect(problemInFragment(rich, { kind: 'schema', message: 'm', line: 2, column: 3, endLine: 2, endColumn: 4, located: true }, disk.start, disk.end)).toBeNull();
  });
});

describe('libvirt errors on lines', () => {
  it('places "Extra element … in interleave" on that element, preferring lines the edit changed', () => {
    const xml = rich.replace('<clock offset', '<foo/>\n  <clock offset');
    const problem = locateLibvirtError(
      'XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/domain.rng\nExtra element foo in interleave\nElement domain failed to validate content',
      xml,
      rich,
    );
    expect(problem).toMatchObject({ kind: 'libvirt', located: true, line: lineOf(xml, '<foo/>'), column: 3 });

    // libvirt 10's wording for an unknown child of <domain> (seen from the lab's libvirtd).
    const extra = locateLibvirtError(
      'XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/domain.rng\nElement domain has extra content: foo\n',
      xml,
      rich,
    );
    expect(extra).toMatchObject({ located: true, line: lineOf(xml, '<foo/>') });

    // An invalid value inside <vcpu>: libxml2 names the element ("Extra element vcpu in interleave").
    const badVcpu = rich.replace("<vcpu placement='static'", "<vcpu placement='bogusval'");
    const onVcpu = locateLibvirtError('Extra element vcpu in interleave\nInvalid sequence in interleave\nElement domain failed to validate content', badVcpu, rich);
    expect(onVcpu).toMatchObject({ located: true, line: lineOf(badVcpu, 'bogusval') });

    // Two <disk>s: the one the edit changed wins.
    const edited = rich.replace("<disk type='block' device='disk'>", "<disk type='block' device='disk' bogus='1'>");
    const onDisk = locateLibvirtError('Invalid attribute bogus for element disk', edited, rich);
    expect(onDisk.line).toBe(lineOf(edited, "bogus='1'"));
  });

  it('places a quoted value (libvirt\'s own checks) on the attribute that holds it', () => {
    const xml = rich.replace("bus='sata'/>\n      <readonly/>", "bus='floppyx'/>\n      <readonly/>");
    const problem = locateLibvirtError("unsupported configuration: unknown disk bus type 'floppyx'", xml, rich);
    expect(problem.line).toBe(lineOf(xml, 'floppyx'));
  });

  it('falls back to the top of the document, marked as not located', () => {
    const problem = locateLibvirtError('internal error: something unrelated happened', rich, rich);
    expect(problem).toMatchObject({ located: false, line: 1, column: 1 });
  });
});
