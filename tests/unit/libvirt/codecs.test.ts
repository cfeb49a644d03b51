import { describe, expect, it } from 'vitest';
import { XdrError, XdrReader, XdrWriter, xdrDecode, xdrEncode } from '../../../main/libvirt/xdr';
import { xdrSchema } from '../../../main/libvirt/protocol/generated/xdr-schema.gen';
import {
  KEEPALIVE_PROGRAM,
  QEMU_PROGRAM,
  REMOTE_PROGRAM,
  RemoteAuthListRetCodec,
  RemoteConnectGetAllDomainStatsRetCodec,
  RemoteConnectOpenArgsCodec,
  RemoteDomainStatsRecordCodec,
  RemoteErrorCodec,
  RemoteNodeGetInfoRetCodec,
  RemoteNonnullDomainCodec,
  RemoteTypedParamCodec,
  VirNetMessageHeaderCodec,
  cString,
  combineFlags,
  domainEvents,
  enumName,
  eventFamilies,
  eventForMessage,
  keepaliveProcedures,
  listProcedures,
  lookupProcedure,
  networkEvents,
  qemuProcedures,
  remoteProcedures,
  storagePoolEvents,
  virConnectGetAllDomainStatsFlags,
  virConnectListAllDomainsFlags,
  virDomainState,
  virDomainUndefineFlagsValues,
  virDomainXMLFlags,
  type ProcArgs,
  type ProcRet,
  type RemoteTypedParam,
} from '../../../main/libvirt/protocol';
import { Rng, ValueFactory, fromHex, hex } from './xdr-random';

const typeNames = Object.keys(xdrSchema);

describe('generated codecs: every type round-trips', () => {
  it('covers all the protocols', () => {
    expect(typeNames.length).toBeGreaterThan(700);
    const modules = new Set(Object.values(xdrSchema).map((e) => e.module));
    expect([...modules].sort()).toEqual(['keepalive', 'lxc', 'qemu', 'remote', 'virnet']);
  });

  it('decode(encode(v)) equals v and encode(decode(bytes)) equals bytes, for random values of every type', () => {
    const rng = new Rng(0x5eed);
    const factory = new ValueFactory(xdrSchema, rng);
    let checked = 0;
    for (const name of typeNames) {
      const entry = xdrSchema[name];
      if (!entry) throw new Error(name);
      for (let i = 0; i < 12; i++) {
        const value = factory.forType(name);
        let bytes: Uint8Array;
        try {
          bytes = xdrEncode(entry.codec, value);
        } catch (e) {
          throw new Error(`${name}: encode failed for ${String(e)}`, { cause: e });
        }
        expect(bytes.length % 4, name).toBe(0);
        expect(bytes.length, name).toBeGreaterThanOrEqual(entry.minSize);
        const back = xdrDecode(entry.codec, bytes);
        expect(back, name).toEqual(value);
        expect(hex(xdrEncode(entry.codec, back)), name).toBe(hex(bytes));
        checked++;
      }
    }
    expect(checked).toBe(typeNames.length * 12);
  });

  it('the minimal value of every type encodes to exactly minSize bytes (the bound used against hostile lengths)', () => {
    const factory = new ValueFactory(xdrSchema, new Rng(1));
    for (const name of typeNames) {
      const entry = xdrSchema[name];
      if (!entry) throw new Error(name);
      const bytes = xdrEncode(entry.codec, factory.minimal(name));
      expect(bytes.length, name).toBe(entry.minSize);
    }
  });

  it('encoders reject values over the declared maxima', () => {
    const tooMany: RemoteTypedParam[] = Array.from({ length: 17 }, (_, i) => ({
      field: `f${i}`,
      value: { type: 1, i },
    }));
    const codec = remoteProcedures.REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS.args;
    const dom = { name: 'vm', uuid: new Uint8Array(16), id: 1 };
    expect(() => xdrEncode(codec, { dom, params: tooMany })).toThrow(XdrError);
    expect(() => xdrEncode(codec, { dom, params: tooMany.slice(0, 16) })).not.toThrow();
    expect(() =>
      xdrEncode(RemoteNonnullDomainCodec, { name: 'vm', uuid: new Uint8Array(15), id: 1 }),
    ).toThrow(/invalid|opaque\[16\]/);
  });
});

describe('golden bytes for real messages', () => {
  it('remote_connect_open_args {name: "qemu:///system", flags: 0}', () => {
    const bytes = xdrEncode(RemoteConnectOpenArgsCodec, { name: 'qemu:///system', flags: 0 });
    expect(hex(bytes)).toBe(
      '00000001' + // name present
        '0000000e' + // 14 bytes
        '71656d753a2f2f2f73797374656d' + // qemu:///system
        '0000' + // padding
        '00000000', // flags
    );
    expect(xdrDecode(RemoteConnectOpenArgsCodec, bytes)).toEqual({ name: 'qemu:///system', flags: 0 });
    expect(hex(xdrEncode(RemoteConnectOpenArgsCodec, { name: null, flags: 1 }))).toBe(
      '00000000' + '00000001',
    );
  });

  it('remote_auth_list_ret', () => {
    expect(xdrDecode(RemoteAuthListRetCodec, fromHex('00000001' + '00000000'))).toEqual({ types: [0] });
    expect(hex(xdrEncode(RemoteAuthListRetCodec, { types: [2] }))).toBe('00000001' + '00000002');
    // REMOTE_AUTH_TYPE_LIST_MAX is 20 and remote_auth_type is a closed enum.
    expect(() => xdrDecode(RemoteAuthListRetCodec, fromHex('00000015'))).toThrow(/exceeds maximum 20/);
    expect(() => xdrDecode(RemoteAuthListRetCodec, fromHex('00000001' + '00000009'))).toThrow(
      /remote_auth_type/,
    );
  });

  it('remote_nonnull_domain (name, uuid[16], signed id)', () => {
    const uuid = fromHex('000102030405060708090a0b0c0d0e0f');
    const bytes = xdrEncode(RemoteNonnullDomainCodec, { name: 'vm01', uuid, id: -1 });
    expect(hex(bytes)).toBe('00000004' + '766d3031' + '000102030405060708090a0b0c0d0e0f' + 'ffffffff');
    expect(xdrDecode(RemoteNonnullDomainCodec, bytes)).toEqual({ name: 'vm01', uuid, id: -1 });
  });

  it('virNetMessageHeader for CONNECT_OPEN', () => {
    const header = { prog: REMOTE_PROGRAM, vers: 1, proc: 1, type: 0, serial: 7, status: 0 } as const;
    const bytes = xdrEncode(VirNetMessageHeaderCodec, header);
    expect(hex(bytes)).toBe('20008086' + '00000001' + '00000001' + '00000000' + '00000007' + '00000000');
    expect(() =>
      xdrDecode(VirNetMessageHeaderCodec, fromHex('20008086000000010000000100000009' + '0000000700000000')),
    ).toThrow(/virNetMessageType/);
  });

  it('remote_typed_param union arms (ULLONG beyond 2^53, STRING)', () => {
    const p1: RemoteTypedParam = { field: 'cpu.time', value: { type: 4, ul: (1n << 60n) + 1n } };
    expect(hex(xdrEncode(RemoteTypedParamCodec, p1))).toBe(
      '00000008' + '6370752e74696d65' + '00000004' + '1000000000000001',
    );
    const p2: RemoteTypedParam = { field: 'a', value: { type: 7, s: 'xyz' } };
    expect(hex(xdrEncode(RemoteTypedParamCodec, p2))).toBe(
      '00000001' + '61000000' + '00000007' + '00000003' + '78797a00',
    );
    expect(xdrDecode(RemoteTypedParamCodec, xdrEncode(RemoteTypedParamCodec, p2))).toEqual(p2);
    // Unknown discriminant → XdrError, not a crash.
    const e = (() => {
      try {
        xdrDecode(RemoteTypedParamCodec, fromHex('00000001' + '61000000' + '00000008' + '00000000'));
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(XdrError);
    expect((e as XdrError).code).toBe('invalid-discriminant');
  });

  it('remote_node_get_info_ret: char model[32] is 32 ints', () => {
    const model = Array.from({ length: 32 }, (_, i) => (i < 6 ? 'x86_64'.charCodeAt(i) : 0));
    const v = { model, memory: 16n << 30n, cpus: 8, mhz: 3000, nodes: 1, sockets: 1, cores: 4, threads: 2 };
    const bytes = xdrEncode(RemoteNodeGetInfoRetCodec, v);
    expect(bytes.length).toBe(32 * 4 + 8 + 6 * 4);
    expect(hex(bytes.subarray(0, 8))).toBe('00000078' + '00000038');
    expect(xdrDecode(RemoteNodeGetInfoRetCodec, bytes)).toEqual(v);
    expect(cString(xdrDecode(RemoteNodeGetInfoRetCodec, bytes).model)).toBe('x86_64');
    expect(cString([0xc3, -0x57, 0, 0x41])).toBe('é');
  });

  it('remote_error with optional strings and a domain', () => {
    const err = {
      code: 42,
      domain: 10,
      message: 'Domain not found',
      level: 2,
      dom: { name: 'x', uuid: new Uint8Array(16), id: -1 },
      str1: null,
      str2: 'b',
      str3: null,
      int1: -1,
      int2: 0,
      net: null,
    };
    expect(xdrDecode(RemoteErrorCodec, xdrEncode(RemoteErrorCodec, err))).toEqual(err);
  });
});

describe('procedure tables', () => {
  it('remote procedures by number and name', () => {
    const open = lookupProcedure(REMOTE_PROGRAM, 1);
    expect(open?.name).toBe('REMOTE_PROC_CONNECT_OPEN');
    expect(open?.args).toBe(RemoteConnectOpenArgsCodec);
    expect(open?.ret.name).toBe('void');
    expect(open?.priority).toBe('high');
    expect(remoteProcedures.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS.proc).toBe(273);
    expect(remoteProcedures.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS.proc).toBe(344);
    expect(remoteProcedures.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS.ret).toBe(
      RemoteConnectGetAllDomainStatsRetCodec,
    );
    expect(remoteProcedures.REMOTE_PROC_AUTH_LIST.proc).toBe(66);
    expect(remoteProcedures.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE.proc).toBe(60);
    expect(lookupProcedure(REMOTE_PROGRAM, 100000)).toBeUndefined();
    expect(lookupProcedure(0x1234, 1)).toBeUndefined();
    const all = listProcedures(REMOTE_PROGRAM);
    expect(all.length).toBe(Object.keys(remoteProcedures).length);
    expect(all.length).toBeGreaterThan(440);
    for (const p of all) {
      expect(p.program).toBe(REMOTE_PROGRAM);
      expect(p.version).toBe(1);
      expect(p.name.startsWith('REMOTE_PROC_')).toBe(true);
      expect(p.generate, p.name).not.toBeNull();
    }
  });

  it('typed args/ret flow from the table', () => {
    type OpenArgs = ProcArgs<typeof remoteProcedures.REMOTE_PROC_CONNECT_OPEN>;
    type ListRet = ProcRet<typeof remoteProcedures.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS>;
    const args: OpenArgs = { name: 'qemu:///system', flags: 0 };
    const ret: ListRet = { domains: [], ret: 0 };
    expect(
      xdrDecode(
        remoteProcedures.REMOTE_PROC_CONNECT_OPEN.args,
        xdrEncode(remoteProcedures.REMOTE_PROC_CONNECT_OPEN.args, args),
      ),
    ).toEqual(args);
    expect(ret.domains).toEqual([]);
  });

  it('stream annotations are recorded as written', () => {
    const streams = listProcedures(REMOTE_PROGRAM)
      .filter((p) => p.stream !== 'none')
      .map((p) => `${p.name}:${p.stream}:${String(p.readStream ?? p.writeStream)}`);
    expect(streams.sort()).toEqual(
      [
        'REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL:write:1',
        'REMOTE_PROC_DOMAIN_OPEN_CONSOLE:read:2',
        'REMOTE_PROC_STORAGE_VOL_UPLOAD:write:1',
        'REMOTE_PROC_STORAGE_VOL_DOWNLOAD:read:1',
        'REMOTE_PROC_DOMAIN_SCREENSHOT:read:1',
        'REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3:write:1',
        'REMOTE_PROC_DOMAIN_OPEN_CHANNEL:read:2',
      ].sort(),
    );
    expect(remoteProcedures.REMOTE_PROC_STORAGE_VOL_DOWNLOAD.sparseFlag).toBe(
      'VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM',
    );
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_OPEN_CONSOLE.acl).toEqual(['domain:open_device']);
  });

  it('messages carry a msg codec and no args/ret', () => {
    const lifecycle = lookupProcedure(REMOTE_PROGRAM, 318);
    expect(lifecycle?.kind).toBe('message');
    expect(lifecycle?.msg.name).toBe('remote_domain_event_callback_lifecycle_msg');
    expect(lifecycle?.args.name).toBe('void');
    expect(qemuProcedures.QEMU_PROC_DOMAIN_MONITOR_EVENT.kind).toBe('message');
    expect(lookupProcedure(QEMU_PROGRAM, 1)?.name).toBe('QEMU_PROC_DOMAIN_MONITOR_COMMAND');
    expect(keepaliveProcedures.KEEPALIVE_PROC_PING).toMatchObject({
      program: KEEPALIVE_PROGRAM,
      proc: 1,
      kind: 'message',
    });
    expect(lookupProcedure(KEEPALIVE_PROGRAM, 2)?.name).toBe('KEEPALIVE_PROC_PONG');
  });
});

describe('event tables', () => {
  it('domain event IDs map to the MESSAGE procedures from remote_daemon_dispatch.c', () => {
    const expected: Record<number, number> = {
      0: 318,
      1: 319,
      2: 320,
      3: 321,
      4: 322,
      5: 323,
      6: 324,
      7: 325,
      8: 326,
      9: 327,
      10: 328,
      11: 329,
      12: 330,
      13: 331,
      14: 332,
      15: 333,
      16: 339,
      17: 346,
      18: 348,
      19: 354,
      20: 359,
      21: 363,
      22: 367,
      23: 379,
      24: 385,
      25: 423,
      26: 438,
      27: 453,
    };
    expect(domainEvents.events.map((e) => [e.eventId, e.proc])).toEqual(
      Object.entries(expected).map(([k, v]) => [Number(k), v]),
    );
    expect(domainEvents.registerProc).toBe(316);
    expect(domainEvents.deregisterProc).toBe(317);
    for (const e of domainEvents.events) {
      const p = lookupProcedure(REMOTE_PROGRAM, e.proc);
      expect(p?.kind).toBe('message');
      expect(p?.msg.name).toBe(e.msgType);
    }
    expect(domainEvents.events[0]?.legacyProc).toBe(107);
  });

  it('other families and reverse lookup', () => {
    expect(networkEvents.registerProc).toBe(313);
    expect(networkEvents.events[0]?.proc).toBe(315);
    expect(storagePoolEvents.registerProc).toBe(368);
    expect(storagePoolEvents.events.map((e) => e.proc)).toEqual([370, 373]);
    expect(eventFamilies.map((f) => f.family)).toEqual([
      'domain',
      'network',
      'storagePool',
      'nodeDevice',
      'secret',
    ]);
    expect(eventForMessage(318)).toMatchObject({
      legacy: false,
      event: { eventId: 0 },
      family: { family: 'domain' },
    });
    expect(eventForMessage(107)).toMatchObject({ legacy: true, event: { eventId: 0 } });
    expect(eventForMessage(1)).toBeUndefined();
  });
});

describe('libvirt API constants', () => {
  it('enums grouped by type, large unsigned flags positive', () => {
    expect(virDomainState.VIR_DOMAIN_RUNNING).toBe(1);
    expect(virConnectListAllDomainsFlags.VIR_CONNECT_LIST_DOMAINS_ACTIVE).toBe(1);
    expect(virDomainXMLFlags.VIR_DOMAIN_XML_SECURE).toBe(1);
    expect(virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_NVRAM).toBe(4);
    expect(virConnectGetAllDomainStatsFlags.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT).toBe(2 ** 29);
    expect(virConnectGetAllDomainStatsFlags.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS).toBe(2 ** 31);
    expect(enumName(virDomainState, 5)).toBe('VIR_DOMAIN_SHUTOFF');
  });

  it('combineFlags keeps 1<<31 unsigned so the writer accepts it', () => {
    const f = virConnectGetAllDomainStatsFlags;
    const flags = combineFlags(
      f.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT,
      f.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS,
    );
    expect(flags).toBe(0xa0000000);
    const w = new XdrWriter();
    w.writeUint(flags);
    expect(new XdrReader(w.finish()).readUint()).toBe(0xa0000000);
    expect(() =>
      new XdrWriter().writeUint(
        f.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT | f.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS,
      ),
    ).toThrow(XdrError);
  });

  it('GET_ALL_DOMAIN_STATS reply decodes typed params of every kind', () => {
    const rec = {
      dom: { name: 'vm', uuid: new Uint8Array(16).fill(7), id: 3 },
      params: [
        { field: 'state.state', value: { type: 1, i: 1 } },
        { field: 'cpu.time', value: { type: 4, ul: 123456789012345678n } },
        { field: 'vcpu.current', value: { type: 2, ui: 4 } },
        { field: 'balloon.rss', value: { type: 3, l: -5n } },
        { field: 'x.d', value: { type: 5, d: 0.25 } },
        { field: 'x.b', value: { type: 6, b: 1 } },
        { field: 'block.0.name', value: { type: 7, s: 'vda' } },
      ] satisfies RemoteTypedParam[],
    };
    const bytes = xdrEncode(RemoteConnectGetAllDomainStatsRetCodec, { retStats: [rec, rec] });
    expect(xdrDecode(RemoteConnectGetAllDomainStatsRetCodec, bytes)).toEqual({ retStats: [rec, rec] });
    expect(xdrDecode(RemoteDomainStatsRecordCodec, xdrEncode(RemoteDomainStatsRecordCodec, rec))).toEqual(
      rec,
    );
  });
});
