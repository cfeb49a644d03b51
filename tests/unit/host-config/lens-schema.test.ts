import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commentedSettings, parseConf } from '../../../main/services/host-config/conf-parser';
import { validateConf } from '../../../main/services/host-config/conf-validate';
import { FALLBACK_SCHEMAS } from '../../../main/services/host-config/fallback-schema.gen';
import { renderFallbackSchema } from '../../../main/services/host-config/generate-fallback-schema';
import { LensParseError, parseLens, schemaKeys } from '../../../main/services/host-config/lens-schema';
import { PROJECT_ROOT } from '../../support/lab';

const dir = join(PROJECT_ROOT, 'tests', 'fixtures', 'host-config');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('key and type extraction from the real lenses', () => {
  it('libvirtd_qemu.aug: keys, types, groups in file order, filter, integer pattern', () => {
    const schema = parseLens(fixture('libvirtd_qemu.aug'));
    expect(schema.module).toBe('Libvirtd_qemu');
    expect(schema.files).toEqual(['/etc/libvirt/qemu.conf']);
    expect(schema.intPattern).toBe('[0-9]+');
    const keys = schemaKeys(schema);
    expect(keys.get('vnc_listen')).toEqual({ key: 'vnc_listen', type: 'string', group: 'vnc' });
    expect(keys.get('vnc_auto_unix_socket')?.type).toBe('bool');
    expect(keys.get('max_files')).toEqual({ key: 'max_files', type: 'int', group: 'process' });
    expect(keys.get('max_core')?.type).toBe('limit');
    expect(keys.get('cgroup_device_acl')).toEqual({
      key: 'cgroup_device_acl',
      type: 'string-list',
      group: 'security',
    });
    expect(keys.get('nvram')?.group).toBe('nvram');
    expect(keys.get('migration_port_min')?.group).toBe('network');
    expect(schema.obsolete).toEqual(['clear_emulator_capabilities']);
    expect(schema.groups.slice(0, 4).map((g) => g.name)).toEqual(['default_tls', 'vnc', 'spice', 'chardev']);
    expect(keys.size).toBe(93); // = grep -oE '(str|bool|int|str_array|limits)_entry +"[^"]+"' | sort -u | wc -l
  });

  it('libvirtd.aug: signed integers and its own groups', () => {
    const schema = parseLens(fixture('libvirtd.aug'));
    expect(schema.module).toBe('Libvirtd');
    expect(schema.files).toEqual(['/etc/libvirt/libvirtd.conf']);
    expect(schema.intPattern).toBe('-?[0-9]+');
    const keys = schemaKeys(schema);
    expect(keys.get('listen_tls')?.type).toBe('bool');
    expect(keys.get('tls_allowed_dn_list')?.type).toBe('string-list');
    expect(keys.get('max_clients')).toEqual({ key: 'max_clients', type: 'int', group: 'processing' });
    expect(keys.get('unix_sock_group')?.group).toBe('sock_acl');
  });

  it('every setting the shipped files document is a key of their lens', () => {
    for (const [conf, lens] of [
      ['qemu.conf', 'libvirtd_qemu.aug'],
      ['libvirtd.conf', 'libvirtd.aug'],
    ] as const) {
      const keys = schemaKeys(parseLens(fixture(lens)));
      const documented = [...commentedSettings(parseConf(fixture(conf))).keys()];
      expect(documented.filter((k) => !keys.has(k))).toEqual([]);
    }
  });

  it('rejects files that are not libvirt lenses', () => {
    expect(() => parseLens('hello')).toThrow(LensParseError);
    expect(() => parseLens('module Foo = let x = 1')).toThrow(/no configuration keys/);
  });

  it('the committed fallback schema is exactly what the real lenses give', () => {
    expect(readFileSync(join(PROJECT_ROOT, 'main/services/host-config/fallback-schema.gen.ts'), 'utf8')).toBe(
      renderFallbackSchema(dir),
    );
    expect(FALLBACK_SCHEMAS.map((s) => s.module)).toEqual(['Libvirtd_qemu', 'Libvirtd']);
  });
});

describe('validation', () => {
  const qemu = parseLens(fixture('libvirtd_qemu.aug'));
  const daemon = parseLens(fixture('libvirtd.aug'));
  const check = (text: string, schema = qemu) =>
    validateConf(parseConf(text), schema).map((d) => `${d.line}:${d.severity}:${d.message}`);

  it('the shipped files and good values are clean', () => {
    expect(check(fixture('qemu.conf'))).toEqual([]);
    expect(check(fixture('libvirtd.conf'), daemon)).toEqual([]);
    expect(
      check(
        'vnc_listen = "0.0.0.0"\nvnc_tls = 1\nmax_files = 4096\nmax_core = "unlimited"\nmax_processes = 0\nnvram = []\nuser = "root"\n',
      ),
    ).toEqual([]);
    // The daemon's getters, not the lens: the lens takes -1 for max_clients, libvirtd does not.
    expect(check('max_clients = -1\nmax_core_x = 1\n', daemon)).toEqual([
      "1:error:/etc/libvirt/libvirtd.conf: expected an unsigned integer for 'max_clients' parameter (libvirtd would not start)",
      '2:warning:Unknown setting "max_core_x": libvirt Libvirtd does not know it and will ignore it',
    ]);
  });

  it('wrong types and malformed lists are errors, in the daemon\'s words', () => {
    expect(check('vnc_tls = 2\n')).toEqual([
      "1:error:/etc/libvirt/qemu.conf: value for 'vnc_tls' parameter must be 0 or 1 (libvirtd would not start)",
    ]);
    expect(check('max_files = "4096"\n')).toEqual([
      "1:error:/etc/libvirt/qemu.conf: expected an unsigned integer for 'max_files' parameter (libvirtd would not start)",
    ]);
    expect(check('max_files = -1\n')[0]).toMatch(/expected an unsigned integer for 'max_files'/);
    expect(check('vnc_listen = 0\n')[0]).toMatch(/expected a string for 'vnc_listen' parameter/);
    expect(check('cgroup_device_acl = "/dev/null"\n')[0]).toMatch(/expected a string list for 'cgroup_device_acl'/);
    expect(check('cgroup_device_acl = [ "/dev/null", 3 ]\n')[0]).toMatch(
      /expected a string list for 'cgroup_device_acl'/,
    );
    expect(check('cgroup_device_acl = [ "/dev/null" "/dev/kvm" ]\n')[0]).toMatch(
      /^1:error:Cannot read this line: expected "," or "\]"/,
    );
    expect(check('max_core = "lots"\n')[0]).toMatch(/Unknown core size 'lots'/);
    expect(check('vnc_listen = 0.0.0.0\n')[0]).toMatch(/^1:error:Cannot read this line/);
  });

  it('unknown, repeated and obsolete keys are warnings, with a suggestion for typos', () => {
    const diagnostics = validateConf(
      parseConf(
        'vnc_listne = "0.0.0.0"\nuser = "a"\nuser = "b"\nclear_emulator_capabilities = 1\nfoo_bar_baz = 1\n',
      ),
      qemu,
    );
    expect(diagnostics.map((d) => [d.line, d.severity, d.suggestion])).toEqual([
      [1, 'warning', 'vnc_listen'],
      [3, 'warning', undefined],
      [4, 'warning', undefined],
      [5, 'warning', undefined],
    ]);
    expect(diagnostics[0]?.message).toContain('did you mean "vnc_listen"');
    expect(diagnostics[1]?.message).toContain('already set on line 2');
  });
});
