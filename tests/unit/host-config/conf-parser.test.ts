import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  commentedSettings,
  parseConf,
  parseExample,
  serializeConf,
  setConfValue,
  type ConfEntryNode,
} from '../../../main/services/host-config/conf-parser';
import { PROJECT_ROOT } from '../../support/lab';

const fixture = (name: string) =>
  readFileSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'host-config', name), 'utf8');
const entries = (text: string) => parseConf(text).nodes.filter((n): n is ConfEntryNode => n.kind === 'entry');

describe('conf parser on the files libvirt ships', () => {
  for (const name of ['qemu.conf', 'libvirtd.conf']) {
    it(`${name}: parse → serialize gives the identical bytes`, () => {
      const text = fixture(name);
      const doc = parseConf(text);
      expect(serializeConf(doc)).toBe(text);
      expect(Buffer.from(serializeConf(doc)).equals(Buffer.from(text))).toBe(true);
      expect(doc.nodes.filter((n) => n.kind === 'invalid')).toEqual([]);
    });
  }

  it('the shipped qemu.conf sets nothing and documents the settings it comments out', () => {
    const doc = parseConf(fixture('qemu.conf'));
    expect(entries(fixture('qemu.conf'))).toEqual([]);
    const docs = commentedSettings(doc);
    expect(docs.get('vnc_listen')).toMatchObject({ example: '"0.0.0.0"' });
    expect(docs.get('vnc_listen')?.doc).toContain('VNC is configured to listen on 127.0.0.1 by default.');
    expect(docs.get('max_files')?.example).toBe('0');
    // a setting commented out right below another shares its documentation
    expect(docs.get('max_files')?.doc).toContain('The same applies to max_files');
    // a list commented out over several lines
    const acl = docs.get('cgroup_device_acl');
    expect(acl?.example.split('\n')).toHaveLength(5);
    expect(parseExample(acl?.example ?? '')).toMatchObject({ type: 'list' });
    // "#       user = "+0"     # Super user" inside the doc text is documentation, not the example
    expect(docs.get('user')?.example).toBe('"libvirt-qemu"');
    expect(docs.get('user')?.doc).toContain('user = "+0"');
    expect(docs.size).toBe(91);
  });

  it('reads the lab-style additions and keeps them byte-exact', () => {
    const text = `${fixture('qemu.conf')}\n# --- added ---\nuser = "root"\ngroup = "root"\n`;
    expect(serializeConf(parseConf(text))).toBe(text);
    expect(entries(text).map((e) => [e.key, e.value])).toEqual([
      ['user', { type: 'string', value: 'root' }],
      ['group', { type: 'string', value: 'root' }],
    ]);
  });
});

describe('conf grammar', () => {
  it('reads strings, numbers, lists over several lines with comments, trailing comments, CRLF', () => {
    const text = [
      'a = "x" # note',
      "b = 'single'",
      'c = -12;',
      '  d = [ "p",',
      '    # inside',
      '    "q", ]',
      'e = []\r',
      'f = """multi',
      'line"""',
      'g=1',
      '',
    ].join('\n');
    const doc = parseConf(text);
    expect(serializeConf(doc)).toBe(text);
    const got = entries(text).map((e) => [e.key, e.value, e.line, e.endLine]);
    expect(got).toEqual([
      ['a', { type: 'string', value: 'x' }, 1, 1],
      ['b', { type: 'string', value: 'single' }, 2, 2],
      ['c', { type: 'int', value: -12, text: '-12' }, 3, 3],
      [
        'd',
        {
          type: 'list',
          items: [
            { type: 'string', value: 'p' },
            { type: 'string', value: 'q' },
          ],
        },
        4,
        6,
      ],
      ['e', { type: 'list', items: [] }, 7, 7],
      ['f', { type: 'string', value: 'multi\nline' }, 8, 9],
      ['g', { type: 'int', value: 1, text: '1' }, 10, 10],
    ]);
  });

  it('turns malformed lines into errors with their line and keeps the text', () => {
    const text =
      'ok = 1\nvnc_listen = 0.0.0.0\nlist = [ "a" "b" ]\nunterminated = "abc\nnoequals "x"\nx = [ "a",\n';
    const doc = parseConf(text);
    expect(serializeConf(doc)).toBe(text);
    const invalid = doc.nodes
      .filter((n) => n.kind === 'invalid')
      .map((n) => [n.line, n.kind === 'invalid' ? n.key : null]);
    expect(invalid).toEqual([
      [2, 'vnc_listen'],
      [3, 'list'],
      [4, 'unterminated'],
      [5, 'noequals'],
      [6, 'x'],
    ]);
  });
});

describe('editing', () => {
  it('uncomments a documented key right below its example, and removing it restores the file', () => {
    const original = fixture('qemu.conf');
    const doc = parseConf(original);
    const edited = serializeConf(setConfValue(doc, 'vnc_listen', '0.0.0.0'));
    expect(edited).toContain('#vnc_listen = "0.0.0.0"\nvnc_listen = "0.0.0.0"\n');
    expect(edited.length).toBe(original.length + 'vnc_listen = "0.0.0.0"\n'.length);
    expect(serializeConf(setConfValue(parseConf(edited), 'vnc_listen', null))).toBe(original);
  });

  it('inserts a multi-line list after the last line of its commented-out example', () => {
    const edited = serializeConf(
      setConfValue(parseConf(fixture('qemu.conf')), 'cgroup_device_acl', ['/dev/null', '/dev/kvm']),
    );
    expect(edited).toContain(
      '#    "/dev/ptmx", "/dev/kvm"\n#]\ncgroup_device_acl = [ "/dev/null", "/dev/kvm" ]\n',
    );
  });

  it('changes an existing value in place, keeping indentation and the trailing comment', () => {
    const text = 'a = 1\n  max_files = 10 # raised for big guests\nz = "q"\n';
    const out = serializeConf(setConfValue(parseConf(text), 'max_files', 4096));
    expect(out).toBe('a = 1\n  max_files = 4096 # raised for big guests\nz = "q"\n');
  });

  it('appends an undocumented key at the end with a blank line before it', () => {
    expect(serializeConf(setConfValue(parseConf('a = 1'), 'b', true))).toBe('a = 1\n\nb = 1\n');
  });

  it('keeps a multi-line list multi-line and CRLF files CRLF', () => {
    const text = 'l = [\r\n  "a",\r\n  "b"\r\n]\r\nz = 1\r\n';
    const out = serializeConf(setConfValue(parseConf(text), 'l', ['c']));
    expect(out).toBe('l = [\r\n    "c"\r\n]\r\nz = 1\r\n');
  });

  it('refuses values the file format cannot hold', () => {
    expect(() => setConfValue(parseConf(''), 'a', 'has "quote"')).toThrow(/may not contain/);
    expect(() => setConfValue(parseConf(''), 'a', 1.5)).toThrow(/whole number/);
  });
});
