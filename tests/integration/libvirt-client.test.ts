/**
 * The pure-TypeScript libvirt client against the lab's REAL libvirtd over REAL SSH (ssh2 exec of
 * `virt-ssh-helper qemu:///system`, host key checked against the lab's known_hosts), with both lab
 * accounts: root, and the unprivileged operator (group libvirt, auth none through socket perms).
 *
 * Leaves the lab as it found it: vd-off-1 is started and shut down again (ACPI), throwaway domains
 * are named vd-test-* and removed in afterAll, the XML round trip redefines vd-off-2 with its own XML.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  LibvirtClient,
  getParam,
  lifecycleEventName,
  paramNumber,
  type DomainEvent,
  type RpcStream,
} from '../../main/libvirt/client';
import {
  virConnectListAllDomainsFlags,
  virDomainConsoleFlags,
  virDomainDefineFlags,
  virDomainEventType,
  virDomainShutdownFlagValues,
  virDomainState,
  virDomainXMLFlags,
  combineFlags,
} from '../../main/libvirt/protocol';
import { connectSsh, virtSshHelperDialer } from '../bench/ssh-transport';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

type AccountName = 'root' | 'operator';
const ACCOUNTS: readonly AccountName[] = ['root', 'operator'];

interface LabGuestExtra {
  name: string;
  running: boolean;
  uuid?: string;
  memoryMiB?: number;
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await tick(50);
  }
}

/** Collects a console's output; `expect` waits for a pattern (bounded). */
class ConsoleReader {
  text = '';
  ended = false;
  constructor(readonly stream: RpcStream) {
    stream.on('data', (b: Buffer) => {
      this.text += b.toString('latin1');
    });
    stream.on('end', () => (this.ended = true));
    stream.on('error', () => (this.ended = true));
  }
  async expect(re: RegExp, timeoutMs: number, poke?: () => void): Promise<RegExpMatchArray> {
    const end = Date.now() + timeoutMs;
    let nextPoke = 0;
    for (;;) {
      const m = this.text.match(re);
      if (m) return m;
      if (Date.now() > end)
        throw new Error(
          `console: no ${re} within ${timeoutMs} ms; got ${JSON.stringify(this.text.slice(-300))}`,
        );
      if (poke && Date.now() >= nextPoke) {
        poke();
        nextPoke = Date.now() + 1000;
      }
      await tick(50);
    }
  }
}

function minimalDomainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
`;
}

describe.skipIf(SKIP).each(ACCOUNTS)(`libvirt client over real SSH as %s${SKIP_REASON}`, (account) => {
  let ssh: Client;
  let client: LibvirtClient;
  let guests: LabGuestExtra[] = [];
  const throwaway: string[] = [];

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    guests = lab.guests as LabGuestExtra[];
    const acct = lab.accounts[account];
    ssh = await connectSsh({
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: acct.user,
      privateKey: readFileSync(acct.identityFile),
      knownHostsFile: lab.ssh.knownHostsFile,
    });
    client = new LibvirtClient({
      dial: virtSshHelperDialer(ssh, lab.libvirtUri),
      uri: lab.libvirtUri,
      callTimeoutMs: 30_000,
    });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    try {
      for (const name of throwaway) {
        try {
          await client.domain.undefine({ name });
        } catch {
          // already gone
        }
      }
      // Never leave vd-off-1 running (the lab expects it shut off).
      try {
        const st = await client.domain.getState({ name: 'vd-off-1' });
        if (st.state !== virDomainState.VIR_DOMAIN_SHUTOFF) await client.domain.destroy({ name: 'vd-off-1' });
      } catch {
        // best effort
      }
      await client?.close();
    } finally {
      ssh?.end();
    }
  }, 60_000);

  it('handshake: auth none, keepalive + event + close callback features, URI and versions', async () => {
    expect(client.state).toBe('connected');
    expect(client.serverInfo).toMatchObject({
      auth: 'none',
      features: { keepalive: true, eventCallbacks: true, closeCallback: true },
      uri: 'qemu:///system',
    });
    const info = await client.host.connectInfo();
    expect(info.uri).toBe('qemu:///system');
    expect(info.type).toBe('QEMU');
    expect(info.libVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.libVersionNumber).toBeGreaterThanOrEqual(6_008_000);
    expect(info.hypervisorVersionNumber).toBeGreaterThan(0);
    expect(info.hostname.length).toBeGreaterThan(0);
    const node = await client.host.nodeInfo();
    expect(node.cpus).toBeGreaterThan(0);
    expect(node.memoryKiB).toBeGreaterThan(0);
    expect(await client.host.capabilities()).toContain('<capabilities>');
    expect(await client.host.domainCapabilities({ virttype: 'qemu' })).toContain('<domainCapabilities>');
  });

  it('inventory: listAllDomains + one getAllDomainStats (NOWAIT) has every lab guest, right state, vCPUs, memory, CPU time', async () => {
    const inventory = await client.domain.inventory();
    for (const g of guests) {
      const d = inventory.find((x) => x.domain.name === g.name);
      expect(d, g.name).toBeDefined();
      if (!d) continue;
      if (g.uuid) expect(d.domain.uuid).toBe(g.uuid);
      expect(d.state, g.name).toBe(
        g.running ? virDomainState.VIR_DOMAIN_RUNNING : virDomainState.VIR_DOMAIN_SHUTOFF,
      );
      expect(d.domain.id > 0, g.name).toBe(g.running);
      expect(d.vcpus).toEqual({ current: 1, maximum: 1 });
      expect(d.memory?.maximumKiB).toBe((g.memoryMiB ?? 160) * 1024);
      if (g.running) {
        expect(d.memory?.currentKiB).toBeGreaterThan(0);
        expect(d.cpuTimeNs).not.toBeNull();
        expect(d.cpuTimeNs ?? 0n).toBeGreaterThan(0n);
      }
    }
    const active = await client.domain.list(virConnectListAllDomainsFlags.VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    for (const g of guests.filter((x) => x.running)) expect(active.map((d) => d.name)).toContain(g.name);
  });

  it('typed params come back with their wire types (bulk stats, node CPU and memory stats)', async () => {
    const running = guests.find((g) => g.running);
    expect(running).toBeDefined();
    const [rec] = await client.domain.allStats({ domains: [{ name: running?.name ?? '' }] });
    expect(rec?.domain.name).toBe(running?.name);
    const p = rec?.params ?? [];
    expect(getParam(p, 'state.state')?.type).toBe('int');
    expect(getParam(p, 'state.reason')?.type).toBe('int');
    expect(getParam(p, 'cpu.time')?.type).toBe('ullong');
    expect(getParam(p, 'balloon.maximum')?.type).toBe('ullong');
    expect(getParam(p, 'vcpu.current')?.type).toBe('uint');
    expect(getParam(p, 'vcpu.maximum')?.type).toBe('uint');
    expect(paramNumber(p, 'state.state')).toBe(virDomainState.VIR_DOMAIN_RUNNING);

    const cpu = await client.host.cpuStats();
    const fields = cpu.map((x) => x.field);
    for (const f of ['kernel', 'user', 'idle']) expect(fields).toContain(f);
    for (const x of cpu) expect(x.type).toBe('ullong');
    expect((getParam(cpu, 'idle')?.value as bigint) > 0n).toBe(true);
    const mem = await client.host.memoryStats();
    expect(mem.map((x) => x.field)).toContain('total');
    // Asked again, the remembered counts go out at once (one call each), and libvirtd takes them.
    const spy = vi.spyOn(client, 'call');
    const again = await Promise.all([client.host.cpuStats(), client.host.memoryStats(), client.host.memoryStats({ cell: 0 })]);
    const calls = spy.mock.calls.map(([info]) => info.name);
    spy.mockRestore();
    expect(again[0].map((x) => x.field)).toEqual(fields);
    expect(again[1].map((x) => x.field)).toEqual(mem.map((x) => x.field));
    expect(again[2].map((x) => x.field)).toContain('total');
    expect(calls.filter((name) => name === 'REMOTE_PROC_NODE_GET_CPU_STATS')).toHaveLength(1);
    // All cells: one call; cell 0 (another count): two the first time.
    expect(calls.filter((name) => name === 'REMOTE_PROC_NODE_GET_MEMORY_STATS')).toHaveLength(3);
  });

  it('XML round trip: get the inactive XML of vd-off-2, define it back with VALIDATE, unchanged', async () => {
    const ref = { name: 'vd-off-2' };
    const flags = combineFlags(
      virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE,
      virDomainXMLFlags.VIR_DOMAIN_XML_SECURE,
    );
    const before = await client.domain.getXml(ref, flags);
    expect(before).toContain('<name>vd-off-2</name>');
    const d = await client.domain.define(before, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
    expect(d.name).toBe('vd-off-2');
    const after = await client.domain.getXml(ref, flags);
    expect(after).toBe(before);
  });

  it('define and undefine a throwaway domain (lifecycle DEFINED/UNDEFINED events)', async () => {
    const name = `vd-test-${account}-${randomBytes(3).toString('hex')}`;
    const events: DomainEvent<'lifecycle'>[] = [];
    const sub = await client.onDomainEvent('lifecycle', (e) => {
      if (e.domain.name === name) events.push(e);
    });
    try {
      throwaway.push(name);
      const d = await client.domain.define(
        minimalDomainXml(name),
        virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE,
      );
      expect(d.name).toBe(name);
      expect(d.id).toBe(-1);
      const found = await client.domain.lookup({ uuid: d.uuid });
      expect(found.name).toBe(name);
      expect(await client.domain.getXml(d)).toContain(`<name>${name}</name>`);
      expect((await client.domain.getState(d)).state).toBe(virDomainState.VIR_DOMAIN_SHUTOFF);
      await client.domain.undefine(d);
      const all = await client.domain.list();
      expect(all.map((x) => x.name)).not.toContain(name);
      await waitFor(() => events.length >= 2, 10_000, 'DEFINED + UNDEFINED events');
      expect(events.map((e) => lifecycleEventName(e.data.event))).toEqual([
        'VIR_DOMAIN_EVENT_DEFINED',
        'VIR_DOMAIN_EVENT_UNDEFINED',
      ]);
      await expect(client.domain.lookup({ name })).rejects.toMatchObject({
        name: 'LibvirtError',
        codeName: 'VIR_ERR_NO_DOMAIN',
      });
    } finally {
      await sub.unsubscribe();
    }
  });

  it('console on a running guest: `echo $((6*7))` prints 42', async () => {
    const guest = guests.find((g) => g.running && g.name.startsWith('vd-vnc'));
    expect(guest).toBeDefined();
    const stream = await client.streams.console(
      { name: guest?.name ?? '' },
      null,
      virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE,
    );
    const con = new ConsoleReader(stream);
    try {
      await con.expect(/vd# /, 15_000, () => stream.write('\r'));
      stream.write('echo $((6*7))\r');
      await con.expect(/\r?\n42\r?\n/, 10_000);
    } finally {
      stream.end();
      await waitFor(() => stream.closed || stream.destroyed, 10_000, 'console close');
    }
  }, 40_000);

  it('screenshot: the bytes match the MIME type libvirt reports (PNG or PPM)', async () => {
    const guest = guests.find((g) => g.running);
    const { mime, stream } = await client.streams.screenshot({ name: guest?.name ?? '' }, 0);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const img = Buffer.concat(chunks);
    expect(img.length).toBeGreaterThan(100);
    if (mime === 'image/png') {
      expect(img.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    } else {
      expect(mime).toBe('image/x-portable-pixmap');
      expect(img.subarray(0, 2).toString('latin1')).toBe('P6');
    }
  }, 30_000);

  it('lifecycle: start vd-off-1 → STARTED event → boot to the prompt → ACPI shutdown → STOPPED event', async () => {
    const ref = { name: 'vd-off-1' };
    const initial = await client.domain.getState(ref);
    expect(initial.state, 'vd-off-1 must start shut off').toBe(virDomainState.VIR_DOMAIN_SHUTOFF);
    const events: DomainEvent<'lifecycle'>[] = [];
    const sub = await client.onDomainEvent('lifecycle', (e) => events.push(e), { domain: ref });
    let con: ConsoleReader | null = null;
    try {
      const started = await client.domain.start(ref);
      expect(started.id).toBeGreaterThan(0);
      await waitFor(
        () => events.some((e) => e.data.event === virDomainEventType.VIR_DOMAIN_EVENT_STARTED),
        15_000,
        'STARTED',
      );
      const stream = await client.streams.console(ref, null, virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE);
      con = new ConsoleReader(stream);
      await con.expect(/vd# /, 60_000, () => stream.write('\r'));
      await client.domain.shutdown(ref, virDomainShutdownFlagValues.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
      await waitFor(
        () => events.some((e) => e.data.event === virDomainEventType.VIR_DOMAIN_EVENT_STOPPED),
        60_000,
        'STOPPED',
      );
      const stopped = events.find((e) => e.data.event === virDomainEventType.VIR_DOMAIN_EVENT_STOPPED);
      expect(stopped?.domain.name).toBe('vd-off-1');
      expect((await client.domain.getState(ref)).state).toBe(virDomainState.VIR_DOMAIN_SHUTOFF);
      // The console sees the guest go away (EOF or an error), and the stream is released.
      await waitFor(() => con?.ended === true, 15_000, 'console end');
    } finally {
      con?.stream.destroy();
      await sub.unsubscribe();
      const st = await client.domain.getState(ref);
      if (st.state !== virDomainState.VIR_DOMAIN_SHUTOFF) await client.domain.destroy(ref);
    }
  }, 120_000);
});
