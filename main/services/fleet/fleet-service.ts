import { sameFleetRow, type FleetDomain, type FleetHostDelta, type FleetHostDomains } from '../../../preload/api-contract';
import type { DomainSample, FleetLibvirtPort } from './fleet-port';

export interface FleetOptions {
  /** Stats interval per host. */
  tickMs: number;
  /** How often guest addresses are refreshed (agent / DHCP lookups are slower than stats). */
  addressRefreshMs: number;
  /**
   * How long updates are gathered into one batch for the UI (`publishBatch`): with 1000 hosts the
   * window gets one message per batch instead of one per host. Optional for callers built before it.
   */
  batchMs?: number;
}

/** While hosts wait to connect, the connected ones are sampled every this many ticks (see setStartupBusy). */
export const STARTUP_TICK_EVERY = 5;

export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
  tickMs: 2_000,
  addressRefreshMs: 30_000,
  batchMs: 100,
};

/**
 * A host's update as a batch sends it: only the rows that changed since `previous` (the host's update
 * sent before) when the host has the same guests in the same order, otherwise in full. A stats tick
 * changes the CPU figures of the running guests only: with 10,000 guests, mostly shut off, the batches
 * carry a few hundred rows instead of every row (1.1 MB a second to encode, send and parse with
 * 100 hosts × 106 guests).
 */
export function fleetDelta(previous: FleetHostDomains | undefined, next: FleetHostDomains): FleetHostDomains | FleetHostDelta {
  if (!previous || previous.domains.length !== next.domains.length) return next;
  const changed: FleetDomain[] = [];
  for (let i = 0; i < next.domains.length; i++) {
    const before = previous.domains[i] as FleetDomain;
    const after = next.domains[i] as FleetDomain;
    if (before.uuid !== after.uuid) return next;
    if (!sameFleetRow(before, after)) changed.push(after);
  }
  return { hostId: next.hostId, sampledAt: next.sampledAt, since: previous.sampledAt, changed };
}

/** One host's raw samples of one tick (epoch ms `at`). */
export type SampleListener = (hostId: string, samples: DomainSample[], at: number) => void;

/** The live inventory of one connected host. */
class HostFleet {
  domains: FleetDomain[] = [];
  sampledAt = 0;
  private sampling = false;
  /** When membership (persistent, autostart) was last read in full; 0 = read it on the next sample. */
  private fullAt = 0;
  /** An event arrived while a sample was running: sample again as soon as it ends. */
  private dirty = false;
  private stopped = false;
  private readonly previousCpu = new Map<string, { cpuTimeNs: bigint; at: number }>();
  private readonly addresses = new Map<string, { values: string[]; at: number }>();
  private readonly unsubscribe: () => void;

  constructor(
    readonly hostId: string,
    private readonly port: FleetLibvirtPort,
    /** Read at every use: a changed interval applies from the next tick on. */
    private readonly settings: () => FleetOptions,
    private readonly now: () => number,
    private readonly publish: (update: FleetHostDomains) => void,
    private readonly onError: (hostId: string, error: unknown) => void,
    /** Every raw sample, for consumers of the tick (metrics export, per-VM disk latency). */
    private readonly tap: (hostId: string, samples: DomainSample[], at: number) => void = () => undefined,
    /** A sample is being asked for (consumers that read the host themselves start at the same moment). */
    private readonly tapStart: (hostId: string) => void = () => undefined,
  ) {
    // A lifecycle event changes the row within one round trip: resample right away, in full
    // (a defined or undefined guest changes which guests are persistent).
    this.unsubscribe = port.onDomainEvent(() => {
      this.fullAt = 0;
      void this.sample();
    });
    void this.sample();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  /**
   * The shared scheduler's tick. A host whose previous sample has not come back (a hung host) is
   * skipped, not queued: it never holds up the tick of the others, and catches up when it answers.
   */
  tick(): void {
    if (!this.sampling) void this.sample();
  }

  /** Membership is read again on an event, after an action, and every addressRefreshMs. */
  forceFull(): void {
    this.fullAt = 0;
  }

  async sample(): Promise<void> {
    if (this.stopped) return;
    if (this.sampling) {
      this.dirty = true;
      return;
    }
    this.sampling = true;
    try {
      const started = this.now();
      const full = this.fullAt === 0 || started - this.fullAt >= this.settings().addressRefreshMs;
      const sampling = this.port.sampleDomains({ full });
      this.tapStart(this.hostId);
      const samples = await sampling;
      if (this.stopped) return;
      if (full) this.fullAt = started;
      const at = this.now();
      this.apply(samples, at);
      this.tap(this.hostId, samples, at);
    } catch (error) {
      if (!this.stopped) this.onError(this.hostId, error);
    } finally {
      this.sampling = false;
      if (!this.stopped && this.dirty) {
        this.dirty = false;
        void this.sample();
      }
    }
  }

  private apply(samples: DomainSample[], at: number): void {
    const seen = new Set<string>();
    this.domains = samples.map((sample) => {
      seen.add(sample.uuid);
      const previous = this.previousCpu.get(sample.uuid);
      const cpuPercent = this.cpuPercent(sample, previous, at);
      this.previousCpu.set(sample.uuid, { cpuTimeNs: sample.cpuTimeNs, at });
      return {
        hostId: this.hostId,
        uuid: sample.uuid,
        name: sample.name,
        state: sample.state,
        persistent: sample.persistent,
        autostart: sample.autostart,
        vcpus: sample.vcpus,
        memoryKiB: sample.memoryKiB,
        maxMemoryKiB: sample.maxMemoryKiB,
        cpuPercent,
        addresses: sample.state === 'running' ? this.addressesOf(sample.uuid, at) : [],
      };
    });
    for (const uuid of [...this.previousCpu.keys()]) if (!seen.has(uuid)) this.previousCpu.delete(uuid);
    this.sampledAt = at;
    this.publish({ hostId: this.hostId, domains: this.domains, sampledAt: at });
  }

  /** Share of all vCPUs used since the previous sample, 0–100. */
  private cpuPercent(sample: DomainSample, previous: { cpuTimeNs: bigint; at: number } | undefined, at: number): number | null {
    if (sample.state !== 'running' || !previous || at <= previous.at || sample.vcpus <= 0) return null;
    const usedNs = Number(sample.cpuTimeNs - previous.cpuTimeNs);
    if (usedNs < 0) return null; // the guest restarted: counters began again
    const percent = (100 * usedNs) / ((at - previous.at) * 1e6 * sample.vcpus);
    return Math.min(100, Math.max(0, percent));
  }

  private addressesOf(uuid: string, at: number): string[] {
    const known = this.addresses.get(uuid);
    // Bound only when a lookup is due (every guest's row asks on every tick).
    if (this.port.domainAddresses && (!known || at - known.at >= this.settings().addressRefreshMs)) {
      this.addresses.set(uuid, { values: known?.values ?? [], at });
      this.port.domainAddresses(uuid).then(
        (values) => {
          const changed = JSON.stringify(values) !== JSON.stringify(known?.values ?? []);
          this.addresses.set(uuid, { values, at });
          if (changed && !this.stopped) {
            this.domains = this.domains.map((d) => (d.uuid === uuid ? { ...d, addresses: values } : d));
            this.publish({ hostId: this.hostId, domains: this.domains, sampledAt: this.sampledAt });
          }
        },
        () => undefined, // no agent and no lease: no addresses, not an error worth reporting
      );
    }
    return known?.values ?? [];
  }
}

/**
 * The live inventory across hosts: one bulk stats call per connected host per tick (default 2 s), all
 * hosts on ONE shared timer (a hung host is skipped, never waited for), plus an immediate resample on
 * every lifecycle event. Every host's update is published on its own
 * (`publish`, for services in main) and, gathered over `batchMs`, in batches (`publishBatch`, for
 * the UI: one message per batch instead of one per host).
 */
export class FleetService {
  private readonly hosts = new Map<string, HostFleet>();
  private tickTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly batch = new Map<string, FleetHostDomains>();
  /** Each host's update as last sent in a batch: the next one goes as a delta on it. */
  private readonly sent = new Map<string, FleetHostDomains>();
  private batchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly publish: (update: FleetHostDomains) => void,
    private readonly onError: (hostId: string, error: unknown) => void = () => undefined,
    private options: FleetOptions = DEFAULT_FLEET_OPTIONS,
    private readonly now: () => number = Date.now,
    private readonly publishBatch: ((updates: (FleetHostDomains | FleetHostDelta)[]) => void) | null = null,
  ) {}

  attach(hostId: string, port: FleetLibvirtPort): void {
    this.hosts.get(hostId)?.stop();
    this.hosts.set(
      hostId,
      new HostFleet(
        hostId,
        port,
        () => this.options,
        this.now,
        this.emit,
        this.onError,
        (id, samples, at) => {
          for (const listener of this.sampleListeners) listener(id, samples, at);
        },
        (id) => {
          for (const listener of this.sampleStartListeners) listener(id);
        },
      ),
    );
    this.schedule();
  }

  private readonly sampleListeners = new Set<SampleListener>();

  /** Calls `listener` with every host's raw samples on every tick; returns the unsubscribe function. */
  onSamples(listener: SampleListener): () => void {
    this.sampleListeners.add(listener);
    return () => this.sampleListeners.delete(listener);
  }

  private readonly sampleStartListeners = new Set<(hostId: string) => void>();

  /**
   * Calls `listener` when a host's sample has just been asked for (its requests are on their way), so that
   * a consumer reading the same host itself (host I/O: /proc over SFTP) sends its requests in the same
   * event-loop turn: one write to the host's SSH connection per tick instead of one per consumer.
   */
  onSampleStart(listener: (hostId: string) => void): () => void {
    this.sampleStartListeners.add(listener);
    return () => this.sampleStartListeners.delete(listener);
  }

  /** The link dropped: stop polling but keep the last rows (the host's status says they are stale). */
  detach(hostId: string): void {
    this.hosts.get(hostId)?.stop();
  }

  /** The host is gone from the list: its rows disappear. */
  remove(hostId: string): void {
    this.hosts.get(hostId)?.stop();
    this.hosts.delete(hostId);
    this.emit({ hostId, domains: [], sampledAt: this.now() });
  }

  /** Resamples a host now (after an action), instead of waiting for the tick. */
  refresh(hostId: string): Promise<void> {
    const host = this.hosts.get(hostId);
    host?.forceFull();
    return host?.sample() ?? Promise.resolve();
  }

  private readonly emit = (update: FleetHostDomains): void => {
    this.publish(update);
    if (!this.publishBatch) return;
    this.batch.set(update.hostId, update);
    if (!this.batchTimer) this.batchTimer = setTimeout(this.flush, this.options.batchMs ?? 100);
  };

  private readonly flush = (): void => {
    this.batchTimer = null;
    if (this.batch.size === 0) return;
    const updates = [...this.batch.values()].map((update) => {
      const sent = fleetDelta(this.sent.get(update.hostId), update);
      // A removed host is sent with no guests; if it comes back, it comes in full.
      if (update.domains.length > 0) this.sent.set(update.hostId, update);
      else this.sent.delete(update.hostId);
      return sent;
    });
    this.batch.clear();
    this.publishBatch?.(updates);
  };

  private startupBusy: () => boolean = () => false;
  private ticks = 0;

  /**
   * Connecting first: while `busy` says hosts wait to connect (a start with hundreds of hosts), the
   * connected ones are sampled on every {@link STARTUP_TICK_EVERY}th tick only (lifecycle events and
   * refreshes still sample at once, and every host is inventoried as soon as it connects). Each sample
   * costs the host's sshd and libvirtd a few ms and this process more: with 500 hosts up and 500 waiting,
   * the 2 s tick of the first took the CPU the handshakes of the others needed (lab: both cores busy,
   * handshakes at 10 s each even 4 at a time).
   */
  setStartupBusy(busy: () => boolean): void {
    this.startupBusy = busy;
  }

  /** One timer for every host; it stops when no host is attached and restarts on the next attach. */
  private schedule(): void {
    if (this.tickTimer) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      this.ticks += 1;
      if (this.ticks % STARTUP_TICK_EVERY !== 0 && this.startupBusy()) {
        this.schedule();
        return;
      }
      for (const [hostId, host] of this.hosts) {
        try {
          host.tick();
        } catch (error) {
          this.onError(hostId, error);
        }
      }
      if (this.hosts.size > 0) this.schedule();
    }, this.options.tickMs);
  }

  snapshot(): FleetHostDomains[] {
    return [...this.hosts.values()].map((host) => ({
      hostId: host.hostId,
      domains: host.domains,
      sampledAt: host.sampledAt,
    }));
  }

  setTickMs(tickMs: number): void {
    this.options = { ...this.options, tickMs };
  }

  dispose(): void {
    for (const host of this.hosts.values()) host.stop();
    this.hosts.clear();
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    this.batch.clear();
    this.sent.clear();
  }
}
