/**
 * The stats tick's decoding shortcuts: short XDR strings kept and reused, bulk-stats field names split
 * once, enum names looked up in a map. Each must give exactly what the plain way gives.
 */
import { describe, expect, it } from 'vitest';
import { statField, summarizeDomainStats } from '../../../main/libvirt/client/stats';
import { enumName, virDomainState, virErrorNumber } from '../../../main/libvirt/protocol';
import { XdrReader, XdrWriter } from '../../../main/libvirt/xdr';
import { clearInternedStrings, internedStringCount } from '../../../main/libvirt/xdr/reader';

function encoded(strings: readonly string[]): Uint8Array {
  const w = new XdrWriter();
  for (const s of strings) w.writeString(s, 1 << 20);
  return w.toBytes();
}

function decoded(bytes: Uint8Array, count: number): string[] {
  const r = new XdrReader(bytes);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(r.readString(1 << 20));
  r.assertEnd();
  return out;
}

describe('XDR strings', () => {
  it('decodes every length, ASCII or not, the same the first and the second time', () => {
    clearInternedStrings();
    const strings = ['', 'a', 'block.0.rd.bytes', 'net.0.tx.pkts', 'block.12.allocation', 'x'.repeat(47), 'y'.repeat(48), 'z'.repeat(49), 'Ünïcode', 'tail-é', 'a\u0000b'];
    const bytes = encoded(strings);
    expect(decoded(bytes, strings.length)).toEqual(strings);
    expect(decoded(bytes, strings.length)).toEqual(strings);
    expect(internedStringCount()).toBeGreaterThan(0);
  });

  it('never returns a kept string for different bytes of the same length (a hash hit is checked byte by byte)', () => {
    clearInternedStrings();
    // Many same-length names differing in one byte: with a 32-bit hash, a wrong reuse would show here
    // only through a collision, so also check the check itself by reading each after all others.
    const names = Array.from({ length: 2_000 }, (_, i) => `block.${i}.rd.bytes`.padEnd(20, '.'));
    const bytes = encoded(names);
    expect(decoded(bytes, names.length)).toEqual(names);
    expect(decoded(bytes, names.length)).toEqual(names);
  });

  it('keeps at most 8192 strings; past that, strings are still decoded right', () => {
    clearInternedStrings();
    const names = Array.from({ length: 10_000 }, (_, i) => `name-${i}`);
    const bytes = encoded(names);
    expect(decoded(bytes, names.length)).toEqual(names);
    expect(internedStringCount()).toBe(8_192);
    expect(decoded(bytes, names.length)).toEqual(names);
  });
});

describe('bulk stats field names', () => {
  it('splits device fields into group, index and key, and leaves the others alone', () => {
    expect(statField('block.2.rd.bytes')).toEqual({ group: 'block', index: 2, key: 'rd.bytes' });
    expect(statField('net.0.tx.pkts')).toEqual({ group: 'net', index: 0, key: 'tx.pkts' });
    expect(statField('block.10.path')).toEqual({ group: 'block', index: 10, key: 'path' });
    for (const other of ['cpu.time', 'balloon.current', 'block.count', 'vcpu.0.time', 'blockx.0.rd.bytes', 'net.a.rx.bytes']) {
      expect(statField(other).group).toBeNull();
    }
  });

  it('gives the same answer from memory, and past its bound', () => {
    expect(statField('block.1.wr.reqs')).toBe(statField('block.1.wr.reqs'));
    for (let i = 0; i < 5_000; i++) statField(`net.${i}.rx.drop`);
    expect(statField('net.4999.rx.drop')).toEqual({ group: 'net', index: 4999, key: 'rx.drop' });
    expect(statField('block.4998.fl.times')).toEqual({ group: 'block', index: 4998, key: 'fl.times' });
  });
});

describe('enum names', () => {
  it('names a value as the first entry holding it, and nothing for a value the enum lacks', () => {
    for (const [name, value] of Object.entries(virDomainState)) {
      const first = Object.entries(virDomainState).find(([, v]) => v === value)?.[0];
      expect(enumName(virDomainState, value)).toBe(first);
      expect(first === name || enumName(virDomainState, value) !== name).toBe(true);
    }
    expect(enumName(virErrorNumber, 42)).toBe(Object.entries(virErrorNumber).find(([, v]) => v === 42)?.[0]);
    expect(enumName(virDomainState, 12345)).toBeUndefined();
  });
});

describe('summarizeDomainStats in one pass', () => {
  it('reads the first of each field, whatever the order and the numeric type', () => {
    const domain = { name: 'g', uuid: '00000000-0000-0000-0000-000000000001', id: 1 };
    const summary = summarizeDomainStats({
      domain,
      params: [
        { field: 'cpu.time', type: 'ullong', value: 123n },
        { field: 'balloon.maximum', type: 'ullong', value: 2048n },
        { field: 'vcpu.current', type: 'uint', value: 2 },
        { field: 'state.state', type: 'int', value: 1 },
        { field: 'state.state', type: 'int', value: 5 },
        { field: 'state.reason', type: 'int', value: 3 },
        { field: 'block.0.rd.bytes', type: 'ullong', value: 9n },
        { field: 'cpu.time', type: 'ullong', value: 999n },
      ],
    });
    expect(summary).toEqual({
      domain,
      state: 1,
      stateName: 'VIR_DOMAIN_RUNNING',
      reason: 3,
      vcpus: { current: 2, maximum: 2 },
      memory: { currentKiB: 2048, maximumKiB: 2048 },
      cpuTimeNs: 123n,
    });
    expect(summarizeDomainStats({ domain, params: [] })).toMatchObject({ state: null, vcpus: null, memory: null, cpuTimeNs: null });
  });
});
