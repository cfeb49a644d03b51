import { describe, expect, it } from 'vitest';
import {
  DOMAIN_EVENT_IDS,
  NETWORK_EVENT_IDS,
  STORAGE_POOL_EVENT_IDS,
  LibvirtError,
  eventNameOf,
  isLibvirtError,
  fromRemoteTypedParams,
  getAllParams,
  groupIndexed,
  lifecycleEventName,
  normalizeEventBody,
  paramBigint,
  paramNumber,
  summarizeDomainStats,
  toRemoteTypedParams,
  tp,
  typedParamsToMap,
  typedParamsToRecord,
  uuidFromString,
  uuidToString,
  type TypedParam,
} from '../../../main/libvirt/client';
import {
  RemoteTypedParamCodec,
  domainEvents,
  networkEvents,
  storagePoolEvents,
  virErrorNumber,
  type RemoteTypedParam,
} from '../../../main/libvirt/protocol';
import { xdrDecode, xdrEncode } from '../../../main/libvirt/xdr';

describe('typed params', () => {
  const all: TypedParam[] = [
    tp.int('a.int', -5),
    tp.uint('a.uint', 4294967295),
    tp.llong('a.llong', -(1n << 62n)),
    tp.ullong('a.ullong', (1n << 64n) - 1n),
    tp.double('a.double', 0.25),
    tp.boolean('a.bool', true),
    tp.string('a.string', 'héllo'),
  ];

  it('convert to the wire union and back for every type, through XDR', () => {
    const remote = toRemoteTypedParams(all);
    expect(remote.map((r) => r.value.type)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const back = remote.map((r) => xdrDecode(RemoteTypedParamCodec, xdrEncode(RemoteTypedParamCodec, r)));
    expect(fromRemoteTypedParams(back)).toEqual(all);
  });

  it('refuse values outside the wire type and bad field names', () => {
    expect(() =>
      xdrEncode(RemoteTypedParamCodec, toRemoteTypedParams([tp.uint('x', -1)])[0] as RemoteTypedParam),
    ).toThrow();
    expect(() => toRemoteTypedParams([tp.int('', 1)])).toThrow(/field/);
    expect(() => toRemoteTypedParams([tp.int('x'.repeat(80), 1)])).toThrow(/field/);
  });

  it('keep repeated keys: map keeps all values, record keeps the first', () => {
    const params = [
      tp.string('migrate_disks', 'vda'),
      tp.string('migrate_disks', 'vdb'),
      tp.int('bandwidth', 3),
    ];
    expect(typedParamsToMap(params).get('migrate_disks')).toEqual(['vda', 'vdb']);
    expect(typedParamsToRecord(params)).toEqual({ migrate_disks: 'vda', bandwidth: 3 });
    expect(getAllParams(params, 'migrate_disks').map((p) => p.value)).toEqual(['vda', 'vdb']);
  });

  it('read numbers and group indexed keys', () => {
    const params = [
      tp.ullong('cpu.time', 12345678901234567n),
      tp.uint('block.count', 2),
      tp.string('block.0.name', 'vda'),
      tp.ullong('block.0.rd.bytes', 10n),
      tp.string('block.1.name', 'vdb'),
    ];
    expect(paramBigint(params, 'cpu.time')).toBe(12345678901234567n);
    expect(paramNumber(params, 'block.count')).toBe(2);
    expect(groupIndexed(params, 'block')).toEqual([{ name: 'vda', 'rd.bytes': 10n }, { name: 'vdb' }]);
  });

  it('summarise a bulk stats record', () => {
    const s = summarizeDomainStats({
      domain: { name: 'vm', uuid: '00000000-0000-0000-0000-000000000001', id: 4 },
      params: [
        tp.int('state.state', 1),
        tp.int('state.reason', 1),
        tp.ullong('cpu.time', 5000n),
        tp.ullong('balloon.current', 163840n),
        tp.ullong('balloon.maximum', 163840n),
        tp.uint('vcpu.current', 1),
        tp.uint('vcpu.maximum', 2),
      ],
    });
    expect(s).toMatchObject({
      state: 1,
      stateName: 'VIR_DOMAIN_RUNNING',
      reason: 1,
      vcpus: { current: 1, maximum: 2 },
      memory: { currentKiB: 163840, maximumKiB: 163840 },
      cpuTimeNs: 5000n,
    });
  });
});

describe('UUIDs', () => {
  it('round-trip between bytes and the canonical string', () => {
    const s = 'e30c6b22-d71c-4d87-af7b-8d9b3524999f';
    const b = uuidFromString(s);
    expect(b.length).toBe(16);
    expect(uuidToString(b)).toBe(s);
    expect(uuidToString(uuidFromString(s.replace(/-/g, '').toUpperCase()))).toBe(s);
    expect(() => uuidFromString('nope')).toThrow(RangeError);
  });
});

describe('event tables', () => {
  it('domain/network/pool event names match the generated event-ID tables', () => {
    for (const e of domainEvents.events)
      expect(DOMAIN_EVENT_IDS[eventNameOf(e.name) as keyof typeof DOMAIN_EVENT_IDS]).toBe(e.eventId);
    expect(Object.keys(DOMAIN_EVENT_IDS).length).toBe(domainEvents.events.length);
    for (const e of networkEvents.events)
      expect(NETWORK_EVENT_IDS[eventNameOf(e.name) as keyof typeof NETWORK_EVENT_IDS]).toBe(e.eventId);
    for (const e of storagePoolEvents.events)
      expect(STORAGE_POOL_EVENT_IDS[eventNameOf(e.name) as keyof typeof STORAGE_POOL_EVENT_IDS]).toBe(
        e.eventId,
      );
  });

  it('normalises wrapped, PM (outer reason) and flat payloads; converts typed params', () => {
    const dom = { name: 'vm', uuid: new Uint8Array(16), id: 1 };
    expect(normalizeEventBody({ callbackID: 3, msg: { dom, event: 2, detail: 1 } })).toEqual({
      callbackID: 3,
      object: dom,
      data: { event: 2, detail: 1 },
    });
    expect(normalizeEventBody({ callbackID: 4, reason: 0, msg: { dom } })).toEqual({
      callbackID: 4,
      object: dom,
      data: { reason: 0 },
    });
    expect(normalizeEventBody({ callbackID: 5, dom, devAlias: 'net0' })).toEqual({
      callbackID: 5,
      object: dom,
      data: { devAlias: 'net0' },
    });
    const tun = normalizeEventBody({
      callbackID: 6,
      dom,
      params: [{ field: 'cputune.vcpu0', value: { type: 7, s: '0-1' } }],
    });
    expect(tun?.data).toEqual({ params: [{ field: 'cputune.vcpu0', type: 'string', value: '0-1' }] });
    expect(normalizeEventBody({ nope: 1 })).toBeNull();
    expect(lifecycleEventName(2)).toBe('VIR_DOMAIN_EVENT_STARTED');
  });
});

describe('isLibvirtError', () => {
  const error = (code: number) =>
    new LibvirtError({ code, domain: 0, message: `code ${code}`, level: 2, dom: null, str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null });
  it('tells libvirt errors from others, and with codes, only those codes', () => {
    const NO_VOL = virErrorNumber.VIR_ERR_NO_STORAGE_VOL;
    const NO_POOL = virErrorNumber.VIR_ERR_NO_STORAGE_POOL;
    expect(isLibvirtError(error(NO_VOL))).toBe(true);
    expect(isLibvirtError(new Error('not libvirt'))).toBe(false);
    expect(isLibvirtError(Object.assign(new Error('looks alike'), { code: NO_VOL }), NO_VOL)).toBe(false);
    expect(isLibvirtError(error(NO_VOL), NO_VOL)).toBe(true);
    expect(isLibvirtError(error(NO_POOL), NO_VOL)).toBe(false);
    expect(isLibvirtError(error(NO_POOL), NO_VOL, NO_POOL)).toBe(true);
    expect(isLibvirtError(error(virErrorNumber.VIR_ERR_NO_DOMAIN), NO_VOL, NO_POOL)).toBe(false);
  });
});
