import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CallTimeoutError,
  ClientClosedError,
  ConnectionClosedError,
  HandshakeError,
  LibvirtClient,
  type DomainEvent,
  type LibvirtClientOptions,
  type StateChange,
} from '../../../main/libvirt/client';
import { FakeLibvirtd, duplexPair, type FakeCall } from '../../support/libvirt-fake-peer';
import {
  KEEPALIVE_PROGRAM,
  remoteProcedures,
  type RemoteNonnullDomain,
} from '../../../main/libvirt/protocol';

const P_HOST = remoteProcedures.REMOTE_PROC_CONNECT_GET_HOSTNAME;

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await tick(2);
  }
}

const dom: RemoteNonnullDomain = { name: 'vm1', uuid: Uint8Array.from({ length: 16 }, (_, i) => i), id: 5 };
const DOM_UUID = '00010203-0405-0607-0809-0a0b0c0d0e0f';

/** A fake daemon host: every dial gets a fresh FakeLibvirtd with the handshake installed. */
class FakeHost {
  peers: FakeLibvirtd[] = [];
  /** Dials to fail before succeeding again. */
  failNext = 0;
  dials = 0;
  private nextCallbackId = 100;
  setup: (peer: FakeLibvirtd) => void = () => {};
  features: number[] = [10, 14, 15];
  authTypes: number[] = [0];

  dial = async (): Promise<Duplex> => {
    this.dials++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection refused');
    }
    const [client, server] = duplexPair();
    const peer = new FakeLibvirtd(server).installHandshake({
      features: this.features,
      authTypes: this.authTypes,
    });
    peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', () => ({
      ret: { callbackID: this.nextCallbackId++ },
    }));
    peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', () => ({ ret: undefined }));
    peer.handle('REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME', (c) => ({
      ret: { dom: { ...dom, name: (c.args as { name: string }).name } },
    }));
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({
      ret: { hostname: `peer${this.peers.length}` },
    }));
    this.setup(peer);
    this.peers.push(peer);
    return client;
  };

  get last(): FakeLibvirtd {
    const p = this.peers[this.peers.length - 1];
    if (!p) throw new Error('no peer yet');
    return p;
  }
}

const clients: LibvirtClient[] = [];
function makeClient(
  host: FakeHost,
  options: Partial<LibvirtClientOptions> = {},
): { client: LibvirtClient; states: StateChange[] } {
  const client = new LibvirtClient({
    dial: host.dial,
    keepalive: false,
    reconnect: { initialDelayMs: 5, maxDelayMs: 20, jitter: 0 },
    ...options,
  });
  const states: StateChange[] = [];
  client.on('state', (s) => states.push(s));
  clients.push(client);
  return { client, states };
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

describe('LibvirtClient: handshake', () => {
  it('runs AUTH_LIST, SUPPORTS_FEATURE(10), CONNECT_OPEN(uri), features 14/15, close callback — in that order', async () => {
    const host = new FakeHost();
    const { client, states } = makeClient(host, { uri: 'qemu:///session' });
    await client.connect();
    const seq = host.last.calls.map((c) => {
      const name = c.info?.name.replace('REMOTE_PROC_', '') ?? '?';
      if (name === 'CONNECT_SUPPORTS_FEATURE') return `${name}(${(c.args as { feature: number }).feature})`;
      if (name === 'CONNECT_OPEN') return `${name}(${(c.args as { name: string }).name})`;
      return name;
    });
    expect(seq.slice(0, 3)).toEqual([
      'AUTH_LIST',
      'CONNECT_SUPPORTS_FEATURE(10)',
      'CONNECT_OPEN(qemu:///session)',
    ]);
    // Step 4 in one round trip: both feature checks and the close-callback registration.
    expect(seq.slice(3).sort()).toEqual([
      'CONNECT_REGISTER_CLOSE_CALLBACK',
      'CONNECT_SUPPORTS_FEATURE(14)',
      'CONNECT_SUPPORTS_FEATURE(15)',
    ]);
    expect(client.serverInfo).toMatchObject({
      auth: 'none',
      features: { keepalive: true, eventCallbacks: true, closeCallback: true },
    });
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(client.state).toBe('connected');
  });

  it('uses polkit when it is the only auth offered, refuses SASL-only daemons', async () => {
    const host = new FakeHost();
    host.authTypes = [2];
    const { client } = makeClient(host);
    await client.connect();
    expect(host.last.calls.map((c) => c.info?.name)).toContain('REMOTE_PROC_AUTH_POLKIT');
    expect(client.serverInfo?.auth).toBe('polkit');

    const sasl = new FakeHost();
    sasl.authTypes = [1];
    const { client: c2 } = makeClient(sasl);
    await expect(c2.connect()).rejects.toBeInstanceOf(HandshakeError);
    expect(c2.state).toBe('closed');
  });

  it('starts keepalive only when the daemon supports it', async () => {
    const host = new FakeHost();
    const { client } = makeClient(host, { keepalive: { intervalMs: 15, count: 3 } });
    await client.connect();
    await until(() =>
      host.last.packets.some((p) => p.header.prog === KEEPALIVE_PROGRAM && p.header.proc === 1),
    );

    const old = new FakeHost();
    old.features = [14, 15];
    const { client: c2 } = makeClient(old, { keepalive: { intervalMs: 15, count: 3 } });
    await c2.connect();
    await tick(80);
    expect(old.last.packets.some((p) => p.header.prog === KEEPALIVE_PROGRAM)).toBe(false);
    expect(old.last.calls.map((c) => c.info?.name)).toContain('REMOTE_PROC_CONNECT_OPEN');
  });

  it('fails fast on the first connect by default; retries it when asked', async () => {
    const host = new FakeHost();
    host.failNext = 1;
    const { client } = makeClient(host);
    await expect(client.connect()).rejects.toThrow('connection refused');
    expect(client.state).toBe('closed');
    await expect(client.call(P_HOST, undefined)).rejects.toBeInstanceOf(ClientClosedError);

    const h2 = new FakeHost();
    h2.failNext = 2;
    const { client: c2, states } = makeClient(h2, {
      reconnect: { initialDelayMs: 1, jitter: 0, retryInitialConnect: true },
    });
    await c2.connect();
    expect(states.map((s) => s.state)).toEqual([
      'connecting',
      'lost',
      'connecting',
      'lost',
      'connecting',
      'connected',
    ]);
    expect(h2.dials).toBe(3);
  });
});

describe('LibvirtClient: reconnect', () => {
  it('reconnects after the peer goes away, redoes the handshake and re-registers events', async () => {
    const host = new FakeHost();
    const { client, states } = makeClient(host);
    await client.connect();
    const events: DomainEvent<'lifecycle'>[] = [];
    const sub = await client.onDomainEvent('lifecycle', (e) => events.push(e));
    const first = host.last;
    const reg1 = (await first.waitForCall(
      'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
      true,
    )) as FakeCall;
    expect(reg1.args).toEqual({ eventID: 0, dom: null });
    first.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', {
      callbackID: 100,
      msg: { dom, event: 2, detail: 0 },
    });
    await until(() => events.length === 1);
    expect(events[0]).toEqual({
      type: 'lifecycle',
      eventId: 0,
      domain: { name: 'vm1', uuid: DOM_UUID, id: 5 },
      data: { event: 2, detail: 0 },
    });

    first.transport.destroy(); // the daemon (or the SSH channel) goes away
    await until(() => client.state === 'connected' && host.peers.length === 2);
    const second = host.last;
    expect(second.calls.map((c) => c.info?.name)).toContain('REMOTE_PROC_CONNECT_OPEN');
    const reg2 = (await second.waitForCall(
      'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
      true,
    )) as FakeCall;
    expect(reg2.args).toEqual({ eventID: 0, dom: null });
    expect(states.map((s) => s.state)).toEqual([
      'connecting',
      'connected',
      'lost',
      'connecting',
      'connected',
    ]);
    expect(states[2]?.reason).toMatch(/peer-closed/);
    expect(states[4]?.reconnected).toBe(true);

    // The new callback ID (101) reaches the same subscription; the stale one (100) does not.
    second.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', {
      callbackID: 100,
      msg: { dom, event: 5, detail: 0 },
    });
    second.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', {
      callbackID: 101,
      msg: { dom, event: 3, detail: 0 },
    });
    await until(() => events.length === 2);
    await tick(10);
    expect(events.map((e) => e.data.event)).toEqual([2, 3]);

    await sub.unsubscribe();
    const dereg = await second.waitForCall('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', true);
    expect(dereg.args).toEqual({ callbackID: 101 });
    second.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', {
      callbackID: 101,
      msg: { dom, event: 4, detail: 0 },
    });
    await tick(10);
    expect(events.length).toBe(2);
  });

  it('a call in flight when the connection drops fails (sent) and is never re-sent', async () => {
    const host = new FakeHost();
    host.setup = (peer) => peer.handle('REMOTE_PROC_DOMAIN_DESTROY_FLAGS', () => ({ noReply: true }));
    const { client } = makeClient(host);
    await client.connect();
    const p = client.domain.destroy({ name: 'vm1', uuid: DOM_UUID }).catch((e: unknown) => e);
    await host.last.waitForCall('REMOTE_PROC_DOMAIN_DESTROY_FLAGS', true);
    host.last.transport.destroy();
    const err = await p;
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect((err as ConnectionClosedError).sent).toBe(true);
    await until(() => client.state === 'connected' && host.peers.length === 2);
    await tick(20);
    expect(host.last.calls.some((c) => c.info?.name === 'REMOTE_PROC_DOMAIN_DESTROY_FLAGS')).toBe(false);
  });

  it('a call made while reconnecting waits and goes out once on the new connection', async () => {
    const host = new FakeHost();
    const { client } = makeClient(host, { reconnect: { initialDelayMs: 60, jitter: 0 } });
    await client.connect();
    host.failNext = 1; // the first reconnect attempt fails, the second works
    host.last.transport.destroy();
    await until(() => client.state === 'lost');
    const r = client.call(P_HOST, undefined);
    await expect(r).resolves.toEqual({ hostname: 'peer2' }); // served by the second peer
    expect(host.peers.length).toBe(2);
    expect(host.last.calls.filter((c) => c.info?.name === 'REMOTE_PROC_CONNECT_GET_HOSTNAME').length).toBe(1);
  });

  it('a call waiting for a connection that does not come back fails after its timeout (never sent)', async () => {
    const host = new FakeHost();
    const { client } = makeClient(host, { reconnect: { initialDelayMs: 10_000, jitter: 0 } });
    await client.connect();
    host.failNext = 100;
    host.last.transport.destroy();
    await until(() => client.state === 'lost');
    const err = await client.call(P_HOST, undefined, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallTimeoutError);
    expect((err as CallTimeoutError).sent).toBe(false);
  });

  it('calls queued behind the in-flight limit (never written) move to the next connection', async () => {
    const host = new FakeHost();
    let hold = true;
    host.setup = (peer) =>
      peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () =>
        hold ? { noReply: true } : { ret: { hostname: 'second' } },
      );
    const { client } = makeClient(host, { rpc: { maxInFlight: 1 } });
    await client.connect();
    const a = client.call(P_HOST, undefined).catch((e: unknown) => e);
    const b = client.call(P_HOST, undefined);
    await host.last.waitForCall('REMOTE_PROC_CONNECT_GET_HOSTNAME', true);
    hold = false;
    host.last.transport.destroy();
    expect(await a).toMatchObject({ name: 'ConnectionClosedError', sent: true });
    await expect(b).resolves.toEqual({ hostname: 'second' });
    expect(
      host.peers[0]?.calls.filter((c) => c.info?.name === 'REMOTE_PROC_CONNECT_GET_HOSTNAME').length,
    ).toBe(1);
  });

  it('gives up after maxAttempts and ends closed; reconnect:false ends closed at the first loss', async () => {
    const host = new FakeHost();
    const { client, states } = makeClient(host, {
      reconnect: { initialDelayMs: 1, jitter: 0, maxAttempts: 3 },
    });
    await client.connect();
    host.failNext = 100;
    host.last.transport.destroy();
    await until(() => client.state === 'closed');
    expect(states.filter((s) => s.state === 'connecting').length).toBe(4); // initial + 3 attempts
    expect(host.dials).toBe(4);

    const h2 = new FakeHost();
    const { client: c2 } = makeClient(h2, { reconnect: false });
    await c2.connect();
    h2.last.transport.destroy();
    await until(() => c2.state === 'closed');
    expect(h2.dials).toBe(1);
  });

  it('a daemon that accepts and immediately drops us does not cause a tight reconnect loop', async () => {
    const host = new FakeHost();
    const { client } = makeClient(host, { reconnect: { initialDelayMs: 20, factor: 2, jitter: 0 } });
    client.on('state', (s) => {
      if (s.state === 'connected') setImmediate(() => host.last.transport.destroy());
    });
    await client.connect();
    await tick(400);
    // Backoff 20, 40, 80, 160 ms between flaps: a handful of dials, not hundreds.
    expect(host.dials).toBeGreaterThanOrEqual(3);
    expect(host.dials).toBeLessThanOrEqual(7);
  });

  it("the daemon's connection-closed event is surfaced and triggers a reconnect", async () => {
    const host = new FakeHost();
    const { client } = makeClient(host);
    await client.connect();
    const reasons: number[] = [];
    client.on('server-close', (e) => reasons.push(e.reason));
    host.last.sendEvent('REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED', { reason: 1 });
    await until(() => host.peers.length === 2 && client.state === 'connected');
    expect(reasons).toEqual([1]);
  });

  it('close() sends CONNECT_CLOSE, ends in closed and rejects later calls', async () => {
    const host = new FakeHost();
    const { client, states } = makeClient(host);
    await client.connect();
    await client.close();
    expect(host.last.calls.map((c) => c.info?.name)).toContain('REMOTE_PROC_CONNECT_CLOSE');
    expect(states[states.length - 1]?.state).toBe('closed');
    await expect(client.call(P_HOST, undefined)).rejects.toBeInstanceOf(ClientClosedError);
    await tick(30);
    expect(host.dials).toBe(1);
  });

  it('close() waits for a deregistration in flight before CONNECT_CLOSE (libvirtd 9.0 crashes on that race)', async () => {
    const host = new FakeHost();
    let held: FakeCall | null = null;
    host.setup = (peer) =>
      peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', (c) => {
        held = c;
        return { noReply: true };
      });
    const { client } = makeClient(host);
    await client.connect();
    const sub = await client.onDomainEvent('reboot', () => {});
    void sub.unsubscribe();
    await until(() => held !== null);
    const closing = client.close();
    await tick(30);
    const names = () => host.last.calls.map((c) => c.info?.name);
    expect(names()).not.toContain('REMOTE_PROC_CONNECT_CLOSE');
    host.last.reply(held!, undefined);
    await closing;
    const order = names();
    expect(order.indexOf('REMOTE_PROC_CONNECT_CLOSE')).toBeGreaterThan(
      order.indexOf('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY'),
    );
  });

  it('close() sends no deregistration for subscriptions dropped while closing', async () => {
    const host = new FakeHost();
    const { client } = makeClient(host);
    await client.connect();
    const sub = await client.onDomainEvent('reboot', () => {});
    const closing = client.close();
    await sub.unsubscribe();
    await closing;
    const names = host.last.calls.map((c) => c.info?.name);
    expect(names).toContain('REMOTE_PROC_CONNECT_CLOSE');
    expect(names).not.toContain('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY');
  });

  it('a keepalive timeout counts as a loss and reconnects', async () => {
    const host = new FakeHost();
    host.setup = (peer) => {
      if (host.peers.length === 0) peer.answerPings = false;
    };
    const { client, states } = makeClient(host, { keepalive: { intervalMs: 10, count: 2 } });
    await client.connect();
    await until(() => host.peers.length === 2 && client.state === 'connected');
    expect(states.find((s) => s.state === 'lost')?.reason).toMatch(/keepalive-timeout/);
  });
});

describe('LibvirtClient: events', () => {
  it('delivers an event that arrives before its registration reply', async () => {
    const host = new FakeHost();
    host.setup = (peer) =>
      peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', (c, p) => {
        p.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_REBOOT', { callbackID: 7, msg: { dom } });
        p.reply(c, { callbackID: 7 });
        return { noReply: true };
      });
    const { client } = makeClient(host);
    await client.connect();
    const got: DomainEvent<'reboot'>[] = [];
    await client.onDomainEvent('reboot', (e) => got.push(e));
    await until(() => got.length === 1);
    expect(got[0]?.type).toBe('reboot');
  });

  it('filters by domain (resolved by name) and flattens the different payload shapes', async () => {
    const host = new FakeHost();
    let id = 1;
    host.setup = (peer) =>
      peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', () => ({
        ret: { callbackID: id++ },
      }));
    const { client } = makeClient(host);
    await client.connect();
    const seen: DomainEvent[] = [];
    await client.onDomainEvent('pmsuspend', (e) => seen.push(e), { domain: { name: 'vm1' } });
    await client.onDomainEvent('device-added', (e) => seen.push(e));
    await client.onDomainEvent('job-completed', (e) => seen.push(e));
    const regs = host.last.calls.filter(
      (c) => c.info?.name === 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
    );
    expect(regs.map((r) => (r.args as { eventID: number }).eventID)).toEqual([12, 19, 21]);
    expect((regs[0]?.args as { dom: RemoteNonnullDomain }).dom.name).toBe('vm1');
    host.last.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_PMSUSPEND', {
      callbackID: 1,
      reason: 0,
      msg: { dom },
    });
    host.last.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_ADDED', {
      callbackID: 2,
      dom,
      devAlias: 'net1',
    });
    host.last.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_JOB_COMPLETED', {
      callbackID: 3,
      dom,
      params: [{ field: 'time_elapsed', value: { type: 4, ul: 1234n } }],
    });
    await until(() => seen.length === 3);
    expect(seen.map((e) => [e.type, e.data])).toEqual([
      ['pmsuspend', { reason: 0 }],
      ['device-added', { devAlias: 'net1' }],
      ['job-completed', { params: [{ field: 'time_elapsed', type: 'ullong', value: 1234n }] }],
    ]);
  });

  it('a handler that throws is reported as a warning; other handlers still run', async () => {
    const host = new FakeHost();
    let id = 1;
    host.setup = (peer) =>
      peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', () => ({
        ret: { callbackID: id++ },
      }));
    const { client } = makeClient(host);
    await client.connect();
    const warnings: Error[] = [];
    client.on('warning', (w) => warnings.push(w));
    await client.onDomainEvent('reboot', () => {
      throw new Error('handler bug');
    });
    host.last.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_REBOOT', { callbackID: 1, msg: { dom } });
    await until(() => warnings.length === 1);
    await expect(client.call(P_HOST, undefined)).resolves.toBeDefined();
  });
});

describe('LibvirtClient: two subscribers of one event', () => {
  it('share one daemon registration (libvirtd refuses a second: "event callback already tracked"), also after a reconnect', async () => {
    const host = new FakeHost();
    // Like libvirtd (object_event.c): one registration per event and filter per connection.
    host.setup = (peer) => {
      const tracked = new Map<string, number>();
      let next = 200;
      peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', (c) => {
        const args = c.args as { eventID: number; dom: RemoteNonnullDomain | null };
        const key = `${args.eventID}:${args.dom?.name ?? '*'}`;
        if (tracked.has(key)) return { error: { code: 8, message: 'invalid argument: event callback already tracked' } };
        tracked.set(key, next);
        return { ret: { callbackID: next++ } };
      });
      peer.handle('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', (c) => {
        const id = (c.args as { callbackID: number }).callbackID;
        for (const [key, value] of tracked) if (value === id) tracked.delete(key);
        return { ret: undefined };
      });
    };
    const { client } = makeClient(host);
    await client.connect();
    const a: number[] = [];
    const b: number[] = [];
    const [subA, subB] = await Promise.all([
      client.onDomainEvent('lifecycle', (e) => a.push(e.data.event)),
      client.onDomainEvent('lifecycle', (e) => b.push(e.data.event)),
    ]);
    const registrations = () => host.last.calls.filter((c) => c.info?.name === 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY').length;
    expect(registrations()).toBe(1);
    host.last.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', { callbackID: 200, msg: { dom, event: 2, detail: 0 } });
    await until(() => a.length === 1 && b.length === 1);

    host.last.transport.destroy();
    await until(() => client.state === 'connected' && host.peers.length === 2);
    await until(() => registrations() === 1);
    await tick(20);
    expect(registrations()).toBe(1);
    host.last.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', { callbackID: 200, msg: { dom, event: 3, detail: 0 } });
    await until(() => a.length === 2 && b.length === 2);

    // The registration stays while one subscriber is left; it goes with the last one.
    await subA.unsubscribe();
    const deregs = () => host.last.calls.filter((c) => c.info?.name === 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY').length;
    await tick(10);
    expect(deregs()).toBe(0);
    host.last.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', { callbackID: 200, msg: { dom, event: 4, detail: 0 } });
    await until(() => b.length === 3);
    expect(a).toEqual([2, 3]);
    await subB.unsubscribe();
    await until(() => deregs() === 1);
    // A new subscriber registers again (and gets events).
    await client.onDomainEvent('lifecycle', (e) => a.push(e.data.event));
    expect(registrations()).toBe(2);
  });
});
