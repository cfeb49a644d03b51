import type { DomainHistory, FleetDomain, FleetHostDomains } from '../../../preload/api-contract';
import type { DomainSample, FleetLibvirtPort } from './fleet-port';

export interface FleetOptions {
  /** Stats interval per host. */
  tickMs: number;
  /** How much history charts get. */
  historyMs: number;
  /** How often guest addresses are refreshed (agent / DHCP lookups are slower than stats). */
  addressRefreshMs: number;
}

export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
  tickMs: 2_000,
  historyMs: 10 * 60_000,
  addressRefreshMs: 30_000,
};

type History = Omit<DomainHistory, 'hostId' | 'uuid'>;

const IO_KEYS = ['diskRead', 'diskWrite', 'netRx', 'netTx'] as const;
const IO_HISTORY = { diskRead: 'diskReadBps', diskWrite: 'diskWriteBps', netRx: 'netRxBps', netTx: 'netTxBps' } as const;

/** The live inventory of one connected host. */
class HostFleet {
  domains: FleetDomain[] = [];
  sampledAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sampling = false;
  /** An event arrived while a sample was running: sample again as soon as it ends. */
  private dirty = false;
  private stopped = false;
  private readonly previousCpu = new Map<string, { cpuTimeNs: bigint; io: DomainSample['io']; at: number }>();
  readonly history = new Map<string, History>();
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
    private readonly onSamples: (hostId: string, samples: DomainSample[], at: number) => void = () => undefined,
  ) {
    // A lifecycle event changes the row within one round trip: resample right away.
    this.unsubscribe = port.onDomainEvent(() => void this.sample());
    void this.sample();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async sample(): Promise<void> {
    if (this.stopped) return;
    if (this.sampling) {
      this.dirty = true;
      return;
    }
    this.sampling = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      const samples = await this.port.sampleDomains();
      if (this.stopped) return;
      this.apply(samples, this.now());
    } catch (error) {
      if (!this.stopped) this.onError(this.hostId, error);
    } finally {
      this.sampling = false;
      if (!this.stopped) {
        if (this.dirty) {
          this.dirty = false;
          void this.sample();
        } else {
          this.timer = setTimeout(() => void this.sample(), this.settings().tickMs);
        }
      }
    }
  }

  private apply(samples: DomainSample[], at: number): void {
    this.onSamples(this.hostId, samples, at);
    const seen = new Set<string>();
    this.domains = samples.map((sample) => {
      seen.add(sample.uuid);
      const previous = this.previousCpu.get(sample.uuid);
      const cpuPercent = this.cpuPercent(sample, previous, at);
      this.previousCpu.set(sample.uuid, { cpuTimeNs: sample.cpuTimeNs, io: sample.io, at });
      this.record(sample, previous, at, cpuPercent);
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
    for (const uuid of [...this.history.keys()]) if (!seen.has(uuid)) this.history.delete(uuid);
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

  private record(
    sample: DomainSample,
    previous: { io: DomainSample['io']; at: number } | undefined,
    at: number,
    cpu: number | null,
  ): void {
    let history = this.history.get(sample.uuid);
    if (!history) {
      history = { times: [], cpuPercent: [], memoryKiB: [], diskReadBps: [], diskWriteBps: [], netRxBps: [], netTxBps: [] };
      this.history.set(sample.uuid, history);
    }
    if (cpu === null || !previous) return;
    const seconds = (at - previous.at) / 1000;
    history.times.push(at);
    history.cpuPercent.push(cpu);
    history.memoryKiB.push(sample.memoryKiB);
    for (const key of IO_KEYS) {
      const delta = Number(sample.io[key] - previous.io[key]);
      history[IO_HISTORY[key]].push(delta >= 0 && seconds > 0 ? delta / seconds : 0);
    }
    const cutoff = at - this.settings().historyMs;
    let drop = 0;
    while (drop < history.times.length && (history.times[drop] ?? Infinity) < cutoff) drop++;
    if (drop > 0) for (const series of Object.values(history)) series.splice(0, drop);
  }

  private addressesOf(uuid: string, at: number): string[] {
    const known = this.addresses.get(uuid);
    const lookup = this.port.domainAddresses?.bind(this.port);
    if (lookup && (!known || at - known.at >= this.settings().addressRefreshMs)) {
      this.addresses.set(uuid, { values: known?.values ?? [], at });
      lookup(uuid).then(
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
 * The live inventory across hosts: one bulk stats call per connected host per tick (default 2 s),
 * plus an immediate resample on every lifecycle event, with CPU history for charts.
 */
export class FleetService {
  private readonly hosts = new Map<string, HostFleet>();

  constructor(
    private readonly publish: (update: FleetHostDomains) => void,
    private readonly onError: (hostId: string, error: unknown) => void = () => undefined,
    private options: FleetOptions = DEFAULT_FLEET_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  attach(hostId: string, port: FleetLibvirtPort): void {
    this.hosts.get(hostId)?.stop();
    this.hosts.set(hostId, new HostFleet(hostId, port, () => this.options, this.now, this.publish, this.onError, (id, samples, at) => {
      for (const listener of this.sampleListeners) listener(id, samples, at);
    }));
  }

  /** The link dropped: stop polling but keep the last rows (the host's status says they are stale). */
  detach(hostId: string): void {
    this.hosts.get(hostId)?.stop();
  }

  /** The host is gone from the list: its rows disappear. */
  remove(hostId: string): void {
    this.hosts.get(hostId)?.stop();
    this.hosts.delete(hostId);
    this.publish({ hostId, domains: [], sampledAt: this.now() });
  }

  /** Resamples a host now (after an action), instead of waiting for the tick. */
  refresh(hostId: string): Promise<void> {
    return this.hosts.get(hostId)?.sample() ?? Promise.resolve();
  }

  snapshot(): FleetHostDomains[] {
    return [...this.hosts.values()].map((host) => ({
      hostId: host.hostId,
      domains: host.domains,
      sampledAt: host.sampledAt,
    }));
  }

  history(hostId: string, uuid: string): DomainHistory | null {
    const history = this.hosts.get(hostId)?.history.get(uuid);
    if (!history) return null;
    return {
      hostId,
      uuid,
      times: [...history.times],
      cpuPercent: [...history.cpuPercent],
      memoryKiB: [...history.memoryKiB],
      diskReadBps: [...history.diskReadBps],
      diskWriteBps: [...history.diskWriteBps],
      netRxBps: [...history.netRxBps],
      netTxBps: [...history.netTxBps],
    };
  }

  private readonly sampleListeners = new Set<(hostId: string, samples: DomainSample[], at: number) => void>();

  /** Every host's raw samples on every tick (the metrics history); returns unsubscribe. */
  onSamples(listener: (hostId: string, samples: DomainSample[], at: number) => void): () => void {
    this.sampleListeners.add(listener);
    return () => this.sampleListeners.delete(listener);
  }

  setTickMs(tickMs: number): void {
    this.options = { ...this.options, tickMs };
  }

  dispose(): void {
    for (const host of this.hosts.values()) host.stop();
    this.hosts.clear();
  }
}
