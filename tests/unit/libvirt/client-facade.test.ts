import { afterEach, describe, expect, it } from 'vitest';
import { LibvirtClient, tp } from '../../../main/libvirt/client';
import { FakeLibvirtd, duplexPair, type FakeCall } from '../../support/libvirt-fake-peer';
import {
  virConnectGetAllDomainStatsFlags,
  virDomainDefineFlags,
  virDomainShutdownFlagValues,
  type RemoteNonnullDomain,
} from '../../../main/libvirt/protocol';

const dom: RemoteNonnullDomain = { name: 'vm1', uuid: Uint8Array.from({ length: 16 }, (_, i) => i), id: 5 };
const DOM_UUID = '00010203-0405-0607-0809-0a0b0c0d0e0f';

let peer: FakeLibvirtd;
let client: LibvirtClient;

async function connect(setup: (p: FakeLibvirtd) => void = () => {}): Promise<void> {
  client = new LibvirtClient({
    dial: async () => {
      const [c, s] = duplexPair();
      peer = new FakeLibvirtd(s).installHandshake();
      setup(peer);
      return c;
    },
    keepalive: false,
  });
  await client.connect();
}

afterEach(async () => {
  await client.close();
});

const names = (): string[] =>
  peer.calls
    .map((c) => c.info?.name.replace('REMOTE_PROC_', '') ?? '?')
    .filter((n) => !/AUTH_LIST|SUPPORTS_FEATURE|CONNECT_OPEN|CLOSE_CALLBACK/.test(n));

describe('LibvirtClient facade', () => {
  it('resolves a name-only reference with a lookup; a full reference goes straight out', async () => {
    await connect((p) => {
      p.handle('REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME', () => ({ ret: { dom } }));
      p.handle('REMOTE_PROC_DOMAIN_SHUTDOWN_FLAGS', () => ({ ret: undefined }));
    });
    await client.domain.shutdown(
      { name: 'vm1' },
      virDomainShutdownFlagValues.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
    );
    await client.domain.shutdown({ name: 'vm1', uuid: DOM_UUID });
    expect(names()).toEqual(['DOMAIN_LOOKUP_BY_NAME', 'DOMAIN_SHUTDOWN_FLAGS', 'DOMAIN_SHUTDOWN_FLAGS']);
    const calls = peer.calls.filter((c) => c.info?.name === 'REMOTE_PROC_DOMAIN_SHUTDOWN_FLAGS');
    expect(calls[0]?.args).toEqual({ dom, flags: 1 });
    expect((calls[1]?.args as { dom: RemoteNonnullDomain }).dom.uuid).toEqual(dom.uuid);
  });

  it('a uuid-only reference uses the name last seen; it looks up only a never-seen UUID', async () => {
    await connect((p) => {
      p.handle('REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID', () => ({ ret: { dom } }));
      p.handle('REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS', () => ({ ret: { domains: [dom], ret: 1 } }));
      p.handle('REMOTE_PROC_DOMAIN_SUSPEND', () => ({ ret: undefined }));
    });
    await client.domain.suspend({ uuid: DOM_UUID }); // never seen: lookup first
    await client.domain.suspend({ uuid: DOM_UUID }); // remembered
    await client.domain.list();
    await client.domain.suspend({ uuid: DOM_UUID.toUpperCase().toLowerCase() });
    expect(names()).toEqual([
      'DOMAIN_LOOKUP_BY_UUID',
      'DOMAIN_SUSPEND',
      'DOMAIN_SUSPEND',
      'CONNECT_LIST_ALL_DOMAINS',
      'DOMAIN_SUSPEND',
    ]);
    const sent = peer.calls.filter((c) => c.info?.name === 'REMOTE_PROC_DOMAIN_SUSPEND').map((c) => c.args);
    expect(sent[1]).toEqual({ dom: { name: 'vm1', uuid: dom.uuid, id: -1 } });
    // domainLookup always asks the daemon.
    await client.domain.lookup({ uuid: DOM_UUID });
    expect(names().filter((n) => n === 'DOMAIN_LOOKUP_BY_UUID').length).toBe(2);
  });

  it('getAllDomainStats: one call, default stats and NOWAIT, typed values', async () => {
    await connect((p) =>
      p.handle('REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS', () => ({
        ret: {
          retStats: [
            {
              dom,
              params: [
                { field: 'state.state', value: { type: 1, i: 1 } },
                { field: 'cpu.time', value: { type: 4, ul: 1n << 60n } },
                { field: 'vcpu.current', value: { type: 2, ui: 2 } },
              ],
            },
          ],
        },
      })),
    );
    const recs = await client.domain.allStats();
    const args = peer.calls.find((c) => c.info?.name === 'REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS')?.args;
    expect(args).toEqual({
      doms: [],
      stats: 1 | 2 | 4 | 8,
      flags: virConnectGetAllDomainStatsFlags.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT,
    });
    expect(recs).toEqual([
      {
        domain: { name: 'vm1', uuid: DOM_UUID, id: 5 },
        params: [
          { field: 'state.state', type: 'int', value: 1 },
          { field: 'cpu.time', type: 'ullong', value: 1n << 60n },
          { field: 'vcpu.current', type: 'uint', value: 2 },
        ],
      },
    ]);
  });

  it('nodeGetCpuStats asks for the count first, then the values', async () => {
    await connect((p) =>
      p.handle('REMOTE_PROC_NODE_GET_CPU_STATS', (c) =>
        (c.args as { nparams: number }).nparams === 0
          ? { ret: { params: [], nparams: 2 } }
          : {
              ret: {
                params: [
                  { field: 'user', value: 5n },
                  { field: 'idle', value: 7n },
                ],
                nparams: 2,
              },
            },
      ),
    );
    expect(await client.host.cpuStats()).toEqual([
      { field: 'user', type: 'ullong', value: 5n },
      { field: 'idle', type: 'ullong', value: 7n },
    ]);
    expect(
      peer.calls.filter((c) => c.info?.name === 'REMOTE_PROC_NODE_GET_CPU_STATS').map((c) => c.args),
    ).toEqual([
      { cpuNum: -1, nparams: 0, flags: 0 },
      { cpuNum: -1, nparams: 2, flags: 0 },
    ]);
  });

  it('node CPU and memory stats: the count is asked once, later calls send it at once (one round trip)', async () => {
    let cpuCount = 2;
    await connect((p) =>
      p
        .handle('REMOTE_PROC_NODE_GET_CPU_STATS', (c) => {
          const { nparams } = c.args as { nparams: number };
          if (nparams === 0) return { ret: { params: [], nparams: cpuCount } };
          // libvirt's Linux driver: exactly its count, or "invalid argument".
          if (nparams !== cpuCount) return { error: { code: 8, message: `invalid argument: nparams in virHostCPUGetStatsLinux must be equal to ${cpuCount}` } };
          const fields = ['kernel', 'user', 'idle', 'iowait'].slice(0, cpuCount);
          return { ret: { params: fields.map((field, i) => ({ field, value: BigInt(i) })), nparams: cpuCount } };
        })
        .handle('REMOTE_PROC_NODE_GET_MEMORY_STATS', (c) =>
          (c.args as { nparams: number }).nparams === 0
            ? { ret: { params: [], nparams: 1 } }
            : { ret: { params: [{ field: 'total', value: 1024n }], nparams: 1 } },
        ),
    );
    const cpuCalls = () => peer.calls.filter((c) => c.info?.name === 'REMOTE_PROC_NODE_GET_CPU_STATS').map((c) => (c.args as { nparams: number }).nparams);
    await client.host.cpuStats();
    expect(await client.host.cpuStats()).toEqual([
      { field: 'kernel', type: 'ullong', value: 0n },
      { field: 'user', type: 'ullong', value: 1n },
    ]);
    expect(cpuCalls()).toEqual([0, 2, 2]);
    // Per CPU is another count (asked once more); all CPUs keeps its own.
    await client.host.cpuStats({ cpu: 1 });
    await client.host.cpuStats({ cpu: 1 });
    expect(cpuCalls()).toEqual([0, 2, 2, 0, 2, 2]);
    await client.host.memoryStats();
    expect(await client.host.memoryStats()).toEqual([{ field: 'total', type: 'ullong', value: 1024n }]);
    expect(peer.calls.filter((c) => c.info?.name === 'REMOTE_PROC_NODE_GET_MEMORY_STATS').map((c) => (c.args as { nparams: number }).nparams)).toEqual([0, 1, 1]);
    // A daemon that now has another count refuses the remembered one: the count is asked again.
    cpuCount = 4;
    expect(await client.host.cpuStats()).toHaveLength(4);
    expect(cpuCalls().slice(6)).toEqual([2, 0, 4]);
    expect(await client.host.cpuStats()).toHaveLength(4);
    expect(cpuCalls().slice(9)).toEqual([4]);
  });

  it('sends typed params with their exact wire types', async () => {
    await connect((p) => p.handle('REMOTE_PROC_DOMAIN_SET_MEMORY_PARAMETERS', () => ({ ret: undefined })));
    await client.domain.setMemoryParameters(
      { name: 'vm1', uuid: DOM_UUID },
      [tp.ullong('hard_limit', 1048576n), tp.string('x', 'y')],
      2,
    );
    const args = peer.calls.find((c) => c.info?.name === 'REMOTE_PROC_DOMAIN_SET_MEMORY_PARAMETERS')
      ?.args as {
      params: unknown[];
      flags: number;
    };
    expect(args.params).toEqual([
      { field: 'hard_limit', value: { type: 4, ul: 1048576n } },
      { field: 'x', value: { type: 7, s: 'y' } },
    ]);
    expect(args.flags).toBe(2);
  });

  it('defines with VALIDATE and reads pin info as host CPU lists', async () => {
    await connect((p) => {
      p.handle('REMOTE_PROC_DOMAIN_DEFINE_XML_FLAGS', () => ({ ret: { dom } }));
      p.handle('REMOTE_PROC_NODE_GET_CPU_MAP', () => ({
        ret: { cpumap: new Uint8Array(0), online: 0, ret: 10 },
      }));
      p.handle('REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS', () => ({ ret: { num: 2 } }));
      p.handle('REMOTE_PROC_DOMAIN_GET_VCPU_PIN_INFO', () => ({
        ret: { cpumaps: Uint8Array.from([0b00000101, 0b10, 0xff, 0x03]), num: 2 },
      }));
    });
    const d = await client.domain.define('<domain/>', virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
    expect(d).toEqual({ name: 'vm1', uuid: DOM_UUID, id: 5 });
    expect(peer.calls.find((c) => c.info?.name === 'REMOTE_PROC_DOMAIN_DEFINE_XML_FLAGS')?.args).toEqual({
      xml: '<domain/>',
      flags: 1,
    });
    expect(await client.domain.getVcpuPinInfo({ name: 'vm1', uuid: DOM_UUID })).toEqual([
      [0, 2, 9],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    ]);
    const pin = peer.calls.find((c) => c.info?.name === 'REMOTE_PROC_DOMAIN_GET_VCPU_PIN_INFO')?.args as {
      ncpumaps: number;
      maplen: number;
    };
    expect(pin).toMatchObject({ ncpumaps: 2, maplen: 2 });
  });

  it('openConsole returns a duplex: keystrokes go out as stream packets, output comes back', async () => {
    let call: FakeCall | undefined;
    await connect((p) =>
      p.handle('REMOTE_PROC_DOMAIN_OPEN_CONSOLE', (c) => {
        call = c;
        return { ret: undefined };
      }),
    );
    const console_ = await client.streams.console({ name: 'vm1', uuid: DOM_UUID }, null, 1);
    expect((call?.args as { flags: number }).flags).toBe(1);
    console_.write('echo $((6*7))\r');
    await new Promise((r) => setTimeout(r, 10));
    const pkt = peer.streamPackets(call as FakeCall)[0];
    expect(Buffer.from(pkt?.payload ?? []).toString()).toBe('echo $((6*7))\r');
    const out = new Promise<string>((resolve) => console_.once('data', (b: Buffer) => resolve(b.toString())));
    peer.sendStreamData(call as FakeCall, Buffer.from('42\r\n'));
    expect(await out).toBe('42\r\n');
    // Closing the console: end() → STREAM/OK → confirmation → 'close'.
    peer.on('stream', (p) => {
      if (p.header.status === 0) peer.sendStreamOk(call as FakeCall);
    });
    console_.resume();
    console_.end();
    await new Promise((r) => console_.once('close', r));
  });
  it('a console that fails to open rejects, and its stream raises no unhandled error', async () => {
    await connect((p) =>
      p.handle('REMOTE_PROC_DOMAIN_OPEN_CONSOLE', () => ({
        error: { code: 9, domain: 10, message: 'operation failed: Active console session exists for this domain' },
      })),
    );
    const unhandled: unknown[] = [];
    const onUncaught = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      await expect(client.streams.console({ name: 'vm1', uuid: DOM_UUID }, null, 0)).rejects.toThrow(
        /Active console session exists/,
      );
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(unhandled).toEqual([]);
  });
});
