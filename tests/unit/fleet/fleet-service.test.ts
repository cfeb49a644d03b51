import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isFleetHostDelta, type FleetHostDelta, type FleetHostDomains } from '../../../preload/api-contract';
import type { DomainEventKind, DomainSample, FleetLibvirtPort } from '../../../main/services/fleet/fleet-port';
import { FleetService, fleetDelta } from '../../../main/services/fleet/fleet-service';

/** A host whose guests the test sets; counts how often it was sampled. */
class ScriptedHost implements FleetLibvirtPort {
  samples = 0;
  fullSamples = 0;
  domains: DomainSample[] = [];
  delayMs = 0;
  /** A host that stopped answering: its sample never returns. */
  hung = false;
  private listener: ((event: { uuid: string; kind: DomainEventKind }) => void) | null = null;
  async sampleDomains(options?: { full?: boolean }): Promise<DomainSample[]> {
    this.samples++;
    if (options?.full !== false) this.fullSamples++;
    if (this.hung) return new Promise<never>(() => undefined);
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return structuredClone(this.domains);
  }
  async domainAddresses(uuid: string): Promise<string[]> {
    return uuid === 'u1' ? ['192.168.122.10'] : [];
  }
  onDomainEvent(listener: (event: { uuid: string; kind: DomainEventKind }) => void): () => void {
    this.listener = listener;
    return () => (this.listener = null);
  }
  emit(uuid: string, kind: DomainEventKind): void {
    this.listener?.({ uuid, kind });
  }
  get subscribed(): boolean {
    return this.listener !== null;
  }
}

const guest = (uuid: string, patch: Partial<DomainSample> = {}): DomainSample => ({
  uuid,
  name: `vm-${uuid}`,
  state: 'running',
  persistent: true,
  autostart: false,
  vcpus: 2,
  memoryKiB: 1048576,
  maxMemoryKiB: 2097152,
  cpuTimeNs: 0n,
  ...patch,
});

let now = 1_000_000;
beforeEach(() => {
  vi.useFakeTimers();
  now = 1_000_000;
});
afterEach(() => vi.useRealTimers());

function setup(options = { tickMs: 2_000, addressRefreshMs: 30_000 }) {
  const updates: FleetHostDomains[] = [];
  const fleet = new FleetService((u) => updates.push(u), () => undefined, options, () => now);
  return { fleet, updates };
}

async function tick(ms: number) {
  now += ms;
  await vi.advanceTimersByTimeAsync(ms);
}

describe('FleetService', () => {
  it('samples on attach, then once per tick, and computes CPU % over all vCPUs', async () => {
    const host = new ScriptedHost();
    host.domains = [guest('u1', { cpuTimeNs: 10_000_000_000n }), guest('u2', { state: 'shutoff', vcpus: 1 })];
    const { fleet, updates } = setup();
    fleet.attach('h1', host);
    await tick(0);
    expect(host.samples).toBe(1);
    expect(updates.at(-1)?.domains.map((d) => d.cpuPercent)).toEqual([null, null]);
    // 2 vCPUs for 2 s = 4e9 ns possible; 1e9 used = 25 %.
    host.domains[0] = guest('u1', { cpuTimeNs: 11_000_000_000n });
    await tick(2_000);
    expect(host.samples).toBe(2);
    expect(updates.at(-1)?.domains[0]?.cpuPercent).toBeCloseTo(25, 5);
    expect(updates.at(-1)?.domains[0]?.addresses).toEqual(['192.168.122.10']);
    expect(updates.at(-1)?.domains[1]?.addresses).toEqual([]);
  });

  it('handles CPU counters above 2^53 and a guest restart (counter reset) without nonsense', async () => {
    const host = new ScriptedHost();
    const big = 2n ** 60n;
    host.domains = [guest('u1', { cpuTimeNs: big })];
    const { fleet, updates } = setup();
    fleet.attach('h1', host);
    await tick(0);
    host.domains = [guest('u1', { cpuTimeNs: big + 2_000_000_000n })];
    await tick(2_000);
    expect(updates.at(-1)?.domains[0]?.cpuPercent).toBeCloseTo(50, 5);
    host.domains = [guest('u1', { cpuTimeNs: 5n })];
    await tick(2_000);
    expect(updates.at(-1)?.domains[0]?.cpuPercent).toBeNull();
  });

  it('a lifecycle event resamples at once, without waiting for the tick', async () => {
    const host = new ScriptedHost();
    host.domains = [guest('u1', { state: 'shutoff' })];
    const { fleet, updates } = setup();
    fleet.attach('h1', host);
    await tick(0);
    host.domains = [guest('u1', { state: 'running' })];
    host.emit('u1', 'started');
    await tick(0);
    expect(host.samples).toBe(2);
    expect(updates.at(-1)?.domains[0]?.state).toBe('running');
  });

  it('never overlaps samples on a slow host: events during a sample cause one more sample after it', async () => {
    const host = new ScriptedHost();
    host.delayMs = 5_000;
    const { fleet } = setup();
    fleet.attach('h1', host);
    host.emit('u1', 'started');
    host.emit('u1', 'stopped');
    await tick(4_000);
    expect(host.samples).toBe(1);
    await tick(1_000);
    expect(host.samples).toBe(2);
  });

  it('detach stops polling and events but keeps the rows; remove publishes an empty host', async () => {
    const host = new ScriptedHost();
    host.domains = [guest('u1')];
    const { fleet, updates } = setup();
    fleet.attach('h1', host);
    await tick(0);
    fleet.detach('h1');
    expect(host.subscribed).toBe(false);
    await tick(10_000);
    expect(host.samples).toBe(1);
    expect(fleet.snapshot()[0]?.domains).toHaveLength(1);
    fleet.remove('h1');
    expect(updates.at(-1)).toMatchObject({ hostId: 'h1', domains: [] });
    expect(fleet.snapshot()).toEqual([]);
  });

  it('a changed interval applies to hosts already being polled, from the next tick', async () => {
    const host = new ScriptedHost();
    host.domains = [guest('u1')];
    const { fleet } = setup();
    fleet.attach('h1', host);
    await tick(0);
    fleet.setTickMs(10_000);
    await tick(2_000); // the tick already scheduled at 2 s still runs
    expect(host.samples).toBe(2);
    await tick(9_000);
    expect(host.samples).toBe(2);
    await tick(1_000);
    expect(host.samples).toBe(3);
  });

  it('a hung host never delays the others: they keep their tick, it is skipped, not queued', async () => {
    const hung = new ScriptedHost();
    hung.hung = true;
    const hosts = Array.from({ length: 50 }, () => new ScriptedHost());
    for (const host of hosts) host.domains = [guest('u1')];
    const { fleet, updates } = setup();
    fleet.attach('hung', hung);
    hosts.forEach((host, i) => fleet.attach(`h${i}`, host));
    await tick(0);
    for (let t = 1; t <= 5; t++) {
      await tick(2_000);
      expect(hosts.every((host) => host.samples === t + 1)).toBe(true);
    }
    expect(hung.samples).toBe(1);
    expect(updates.filter((u) => u.hostId === 'hung')).toEqual([]);
    // Six samples (plus the guest-address update, which keeps its sample's time).
    expect(new Set(updates.filter((u) => u.hostId === 'h7').map((u) => u.sampledAt)).size).toBe(6);
  });

  it('tells sample-start listeners when a sample is asked for, before it is back, and samples listeners after', async () => {
    const host = new ScriptedHost();
    host.domains = [guest('u1')];
    host.delayMs = 500;
    const { fleet } = setup();
    const seen: string[] = [];
    fleet.onSampleStart((hostId) => seen.push(`start ${hostId} (asked ${host.samples})`));
    fleet.onSamples((hostId, samples) => seen.push(`samples ${hostId} ${samples.length}`));
    fleet.attach('h1', host);
    // Asked at attach: the start is told at once, in the same turn, before the sample is back.
    expect(seen).toEqual(['start h1 (asked 1)']);
    await tick(500);
    expect(seen).toEqual(['start h1 (asked 1)', 'samples h1 1']);
    await tick(1_500); // the shared tick, 2 s after attach
    expect(seen.slice(2)).toEqual(['start h1 (asked 2)']);
    await tick(500);
    expect(seen.slice(2)).toEqual(['start h1 (asked 2)', 'samples h1 1']);
    // The host hangs: its third sample is asked (and told), the next tick skips it and tells nobody.
    host.hung = true;
    await tick(2_000);
    await tick(2_000);
    expect(seen.slice(4)).toEqual(['start h1 (asked 3)']);
    fleet.dispose();
  });

  it('one shared timer: hosts attached at different moments tick together', async () => {
    const a = new ScriptedHost();
    const b = new ScriptedHost();
    const { fleet } = setup();
    fleet.attach('a', a);
    await tick(500);
    fleet.attach('b', b);
    await tick(1_500); // the shared tick at 2 s samples both
    expect([a.samples, b.samples]).toEqual([2, 2]);
    await tick(2_000);
    expect([a.samples, b.samples]).toEqual([3, 3]);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('reads membership (persistent, autostart) in full at first, after an event or refresh, and every addressRefreshMs', async () => {
    const host = new ScriptedHost();
    host.domains = [guest('u1')];
    const { fleet } = setup({ tickMs: 2_000, addressRefreshMs: 10_000 });
    fleet.attach('h1', host);
    await tick(0);
    await tick(2_000);
    await tick(2_000);
    expect([host.samples, host.fullSamples]).toEqual([3, 1]);
    host.emit('u1', 'defined');
    await tick(0);
    expect([host.samples, host.fullSamples]).toEqual([4, 2]);
    await fleet.refresh('h1');
    expect([host.samples, host.fullSamples]).toEqual([5, 3]);
    await tick(10_000);
    expect(host.fullSamples).toBe(4);
  });

  /** A fleet that hands its batched host updates to the returned list (the UI's listener), 100 ms batches. */
  function batchingFleet(): { fleet: FleetService; batches: (FleetHostDomains | FleetHostDelta)[][] } {
    const batches: (FleetHostDomains | FleetHostDelta)[][] = [];
    const fleet = new FleetService(
      () => undefined,
      () => undefined,
      { tickMs: 2_000, addressRefreshMs: 30_000, batchMs: 100 },
      () => now,
      (updates) => batches.push(updates),
    );
    return { fleet, batches };
  }

  it('batches updates of many hosts for the UI: one batch per tick, each host once, its latest update', async () => {
    const { fleet, batches } = batchingFleet();
    const hosts = Array.from({ length: 100 }, () => new ScriptedHost());
    for (const host of hosts) host.domains = [guest('u1')];
    hosts.forEach((host, i) => fleet.attach(`h${i}`, host));
    hosts[3]?.emit('u1', 'started'); // a second update of h3 within the same batch
    await tick(100);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(100);
    await tick(2_000);
    expect(batches).toHaveLength(2);
    expect(new Set(batches[1]?.map((u) => u.hostId)).size).toBe(100);
    fleet.dispose();
  });

  it('sends a host in full first, then only its rows that changed, and in full again when its guests change', async () => {
    const { fleet, batches } = batchingFleet();
    const host = new ScriptedHost();
    host.domains = [guest('u1'), guest('u2', { state: 'shutoff' }), guest('u3', { state: 'shutoff' })];
    fleet.attach('h1', host);
    await tick(100);
    const first = batches.at(-1)?.[0];
    expect(first && !isFleetHostDelta(first) && first.domains.map((d) => d.uuid)).toEqual(['u1', 'u2', 'u3']);

    // A tick: u1's CPU figure is new (its first), the shut-off guests are as they were.
    host.domains = [guest('u1', { cpuTimeNs: 1_000_000_000n }), guest('u2', { state: 'shutoff' }), guest('u3', { state: 'shutoff' })];
    await tick(2_000);
    const second = batches.at(-1)?.[0];
    if (!second || !isFleetHostDelta(second)) throw new Error(`expected a delta, got ${JSON.stringify(second)}`);
    expect(second.since).toBe(first?.sampledAt);
    expect(second.changed.map((d) => [d.uuid, d.cpuPercent !== null])).toEqual([['u1', true]]);
    expect(fleet.snapshot()[0]?.sampledAt).toBe(second.sampledAt);

    // A guest defined: the host in full again.
    host.domains = [...host.domains, guest('u4', { state: 'shutoff' })];
    host.emit('u4', 'defined');
    await tick(100);
    const third = batches.at(-1)?.[0];
    expect(third && !isFleetHostDelta(third) && third.domains.map((d) => d.uuid)).toEqual(['u1', 'u2', 'u3', 'u4']);
    fleet.dispose();
  });

  it('makes a delta only for the same guests in the same order', () => {
    const row = (uuid: string, cpuPercent: number | null = null) => ({
      hostId: 'h1',
      uuid,
      name: `vm-${uuid}`,
      state: 'running' as const,
      persistent: true,
      autostart: false,
      vcpus: 1,
      memoryKiB: 1024,
      maxMemoryKiB: 1024,
      cpuPercent,
      addresses: [] as string[],
    });
    const before = { hostId: 'h1', sampledAt: 10, domains: [row('a', 1), row('b'), row('c')] };
    const next = { hostId: 'h1', sampledAt: 12, domains: [row('a', 2), row('b'), { ...row('c'), addresses: ['10.0.0.3'] }] };
    expect(fleetDelta(before, next)).toEqual({ hostId: 'h1', sampledAt: 12, since: 10, changed: [next.domains[0], next.domains[2]] });
    expect(fleetDelta(undefined, next)).toBe(next);
    const reordered = { ...next, domains: [row('b'), row('a', 2), row('c')] };
    expect(fleetDelta(before, reordered)).toBe(reordered);
    const fewer = { ...next, domains: [row('a', 2), row('b')] };
    expect(fleetDelta(before, fewer)).toBe(fewer);
  });

  it('while hosts wait to connect, connected ones are sampled every 5th tick; a new host is still inventoried at once', async () => {
    const { fleet } = setup();
    let waiting = true;
    fleet.setStartupBusy(() => waiting);
    const first = new ScriptedHost();
    first.domains = [guest('u1')];
    fleet.attach('h1', first);
    await tick(0);
    expect(first.samples).toBe(1); // on attach
    for (let i = 0; i < 4; i++) await tick(2_000);
    expect(first.samples).toBe(1); // ticks 1–4 skipped
    const second = new ScriptedHost();
    second.domains = [guest('u2')];
    fleet.attach('h2', second);
    await tick(0);
    expect(second.samples).toBe(1); // connected during the start-up: inventoried at once
    await tick(2_000); // tick 5
    expect(first.samples).toBe(2);
    expect(second.samples).toBe(2);
    // A lifecycle event still samples at once.
    first.emit('u1', 'stopped');
    await tick(0);
    expect(first.samples).toBe(3);
    // Nobody waits any more: every tick again.
    waiting = false;
    await tick(2_000);
    await tick(2_000);
    expect(first.samples).toBe(5);
    expect(second.samples).toBe(4);
    fleet.dispose();
  });
});
