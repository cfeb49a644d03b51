import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DomainState, HostCheck, HostHistory, HostOverview } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import type { LibvirtClient } from '../../libvirt/client';
import { isLibvirtError, summarizeDomainStats } from '../../libvirt/client';
import { paramBigint, type TypedParam } from '../../libvirt/client/typed-params';
import {
  remoteProcedures,
  virConnectListAllDomainsFlags as ListFlags,
  virDomainShutdownFlagValues,
  virDomainUndefineFlagsValues as UndefineFlags,
  virDomainXMLFlags,
  virDomainInterfaceAddressesSource,
  virDomainStatsTypes,
  virErrorNumber,
} from '../../libvirt/protocol';
import { shellQuote, type SshConnection } from '../../ssh';
import {
  parseDomainDetails,
  parseXmlDocument,
  children,
  child,
  attr,
  text,
} from '../domains/domain-xml-parse';
import type { DomainLifecyclePort } from '../domains/domain-actions';
import type { DomainEventKind, DomainSample, FleetLibvirtPort } from '../fleet/fleet-port';
import { hostChecksScript, parseHostChecks } from '../host-checks/host-checks';
import type { HostLink, HostLinkInfo } from './host-connections';
import { GraphicsListenerHints } from '../consoles/graphics-listeners';

const STATE_NAMES: DomainState[] = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
];
/** virDomainEventType → what the fleet cares about. */
const LIFECYCLE_KINDS: Array<DomainEventKind | null> = [
  'defined',
  'undefined',
  'started',
  'suspended',
  'resumed',
  'stopped',
  'shutdown',
  'pmsuspended',
  'crashed',
];

const HISTORY_MS = 10 * 60_000;

/**
 * How long a guest whose definition has no guest-agent channel (libvirt: "QEMU guest agent is not
 * configured") is not asked for agent addresses, unless a lifecycle event (defined, started…) comes first:
 * a channel can also be hot-plugged, which raises no lifecycle event.
 */
const NO_AGENT_CHANNEL_RECHECK_MS = 10 * 60_000;

/** What one fleet tick asks libvirt for: state, CPU, balloon, vCPUs, and disk/NIC byte counters. */
const SAMPLE_STATS =
  virDomainStatsTypes.VIR_DOMAIN_STATS_STATE |
  virDomainStatsTypes.VIR_DOMAIN_STATS_CPU_TOTAL |
  virDomainStatsTypes.VIR_DOMAIN_STATS_BALLOON |
  virDomainStatsTypes.VIR_DOMAIN_STATS_VCPU |
  virDomainStatsTypes.VIR_DOMAIN_STATS_INTERFACE |
  virDomainStatsTypes.VIR_DOMAIN_STATS_BLOCK;

/**
 * One connected host: its SSH connection (null for "this computer") and libvirt client, and the ports
 * the services use (fleet sampling, lifecycle actions, overview, checks, host history).
 */
export class LibvirtHostLink implements HostLink {
  /** Where running guests' displays listen, as last read on this connection (a hint for consoles). */
  readonly graphicsListeners = new GraphicsListenerHints();
  private lostListener: ((reason: string) => void) | null = null;
  private lostReason: string | null = null;
  private closing = false;
  private readonly hostSamples = {
    times: [] as number[],
    cpuPercent: [] as number[],
    memoryUsedKiB: [] as number[],
  };
  private previousCpu: { busy: bigint; total: bigint } | null = null;
  private memoryTotalKiB = 0;
  /** Persistent and autostart guests as of the last full fleet sample. */
  private membership: { persistent: Set<string>; autostart: Set<string> } | null = null;
  /** Guests without a guest-agent channel in their definition: uuid → when libvirt said so. */
  private readonly withoutAgentChannel = new Map<string, number>();
  /** Lifecycle events seen on this connection: an agent answer that crossed one is not taken as lasting. */
  private lifecycleEvents = 0;

  constructor(
    readonly hostId: string,
    readonly ssh: SshConnection | null,
    readonly libvirt: LibvirtClient,
    readonly info: HostLinkInfo,
  ) {
    libvirt.on('state', (change) => {
      if (change.state === 'closed' || change.state === 'lost')
        this.lose(`libvirt: ${change.reason ?? 'connection closed'}`);
    });
    ssh?.on('close', this.onSshClose);
  }

  private readonly onSshClose = (reason: { message: string }) => this.lose(`SSH: ${reason.message}`);

  onLost(listener: (reason: string) => void): void {
    this.lostListener = listener;
    if (this.lostReason !== null) listener(this.lostReason);
  }

  private lose(reason: string): void {
    if (this.closing || this.lostReason !== null) return;
    this.lostReason = reason;
    this.lostListener?.(reason);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Only libvirt: the SSH connection belongs to the host (the pool) and outlives this link.
    this.ssh?.off('close', this.onSshClose);
    await this.libvirt.close().catch(() => undefined);
  }

  // ---- fleet ------------------------------------------------------------------------------------

  readonly fleet: FleetLibvirtPort = {
    sampleDomains: async (options?: { full?: boolean }): Promise<DomainSample[]> => {
      // One call per tick: GET_ALL_DOMAIN_STATS (NOWAIT) names every domain, active and inactive.
      // Which guests are persistent and autostart rarely changes: read on a full sample only.
      const full = options?.full !== false || this.membership === null;
      const asked = Promise.all([
        this.libvirt.domain.allStats({ stats: SAMPLE_STATS }),
        full ? this.libvirt.domain.list(ListFlags.VIR_CONNECT_LIST_DOMAINS_PERSISTENT) : null,
        full ? this.libvirt.domain.list(ListFlags.VIR_CONNECT_LIST_DOMAINS_AUTOSTART) : null,
      ]);
      // Host CPU/memory ride on the same tick, asked in the same turn: their requests leave with the
      // stats request in one write to the connection (asked after the stats came back, they were a
      // second round trip per host and tick: another write, another wake-up of sshd and libvirtd).
      this.sampleHost();
      const [stats, persistent, autostart] = await asked;
      if (persistent && autostart) {
        this.membership = {
          persistent: new Set(persistent.map((d) => d.uuid)),
          autostart: new Set(autostart.map((d) => d.uuid)),
        };
      }
      const membership = this.membership ?? { persistent: new Set<string>(), autostart: new Set<string>() };
      return stats.map((record) => {
        const summary = summarizeDomainStats(record);
        return {
          uuid: summary.domain.uuid,
          name: summary.domain.name,
          state: STATE_NAMES[summary.state ?? 0] ?? 'nostate',
          persistent: membership.persistent.has(summary.domain.uuid),
          autostart: membership.autostart.has(summary.domain.uuid),
          vcpus: summary.vcpus?.current ?? 0,
          memoryKiB: summary.memory?.currentKiB ?? 0,
          maxMemoryKiB: summary.memory?.maximumKiB ?? 0,
          cpuTimeNs: summary.cpuTimeNs ?? 0n,
          params: record.params,
        };
      });
    },
    domainAddresses: async (uuid: string): Promise<string[]> => {
      const lookup = async (source: number) =>
        (await this.libvirt.domain.interfaceAddresses({ uuid }, source))
          .filter((nic) => nic.name !== 'lo')
          .flatMap((nic) => nic.addrs.map((a) => a.addr))
          .filter((addr) => addr !== '127.0.0.1' && addr !== '::1');
      const noChannelSince = this.withoutAgentChannel.get(uuid);
      if (noChannelSince === undefined || Date.now() - noChannelSince >= NO_AGENT_CHANNEL_RECHECK_MS) {
        const eventsBefore = this.lifecycleEvents;
        try {
          const fromAgent = await lookup(
            virDomainInterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
          );
          this.withoutAgentChannel.delete(uuid);
          if (fromAgent.length > 0) return fromAgent;
        } catch (error) {
          // No channel in the definition: not asked again until the guest is redefined or started (unless
          // an event came while asking: the answer may be of the old definition). Any other failure (an
          // agent that does not answer yet) is asked again on the next refresh.
          if (isLibvirtError(error, virErrorNumber.VIR_ERR_ARGUMENT_UNSUPPORTED) && this.lifecycleEvents === eventsBefore) {
            this.withoutAgentChannel.set(uuid, Date.now());
          } else this.withoutAgentChannel.delete(uuid);
        }
      }
      // No agent, or it knows no address: DHCP leases.
      return lookup(virDomainInterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE);
    },
    onDomainEvent: (listener) => {
      let stopped = false;
      let subscription: { unsubscribe(): Promise<void> } | null = null;
      void this.libvirt
        .onDomainEvent('lifecycle', (event) => {
          this.lifecycleEvents++;
          this.withoutAgentChannel.delete(event.domain.uuid); // redefined, started or gone: ask again
          const kind = LIFECYCLE_KINDS[event.data.event] ?? null;
          if (kind && !stopped) listener({ uuid: event.domain.uuid, kind });
        })
        .then(
          (sub) => {
            if (stopped) void sub.unsubscribe();
            else subscription = sub;
          },
          () => undefined, // a daemon without events still gets polled every tick
        );
      return () => {
        stopped = true;
        void subscription?.unsubscribe().catch(() => undefined);
      };
    },
  };

  /** Host CPU and memory, sampled on the fleet tick (errors only cost a point on the chart). */
  private sampleHost(): void {
    void Promise.all([
      this.libvirt.host.cpuStats({ cpu: -1 }),
      this.libvirt.host.memoryStats({ cell: -1 }),
    ]).then(
      ([cpu, memory]) => {
        const at = Date.now();
        for (const listener of this.hostSampleListeners) listener({ at, cpu, memory });
        const value = (field: string) => paramBigint(cpu, field) ?? 0n;
        const busy = value('kernel') + value('user');
        const total = busy + value('idle') + value('iowait');
        const totalKiB = Number(paramBigint(memory, 'total') ?? 0n);
        const freeKiB = Number(
          (paramBigint(memory, 'free') ?? 0n) +
            (paramBigint(memory, 'buffers') ?? 0n) +
            (paramBigint(memory, 'cached') ?? 0n),
        );
        this.memoryTotalKiB = totalKiB;
        const previous = this.previousCpu;
        this.previousCpu = { busy, total };
        if (!previous || total <= previous.total) return;
        const percent = (100 * Number(busy - previous.busy)) / Number(total - previous.total);
        const samples = this.hostSamples;
        samples.times.push(at);
        samples.cpuPercent.push(Math.min(100, Math.max(0, percent)));
        samples.memoryUsedKiB.push(Math.max(0, totalKiB - freeKiB));
        while ((samples.times[0] ?? at) < at - HISTORY_MS) {
          samples.times.shift();
          samples.cpuPercent.shift();
          samples.memoryUsedKiB.shift();
        }
      },
      () => undefined,
    );
  }

  private readonly hostSampleListeners = new Set<(sample: { at: number; cpu: TypedParam[]; memory: TypedParam[] }) => void>();

  /** The host's CPU and memory counters on every fleet tick (the metrics history); returns unsubscribe. */
  onHostSample(listener: (sample: { at: number; cpu: TypedParam[]; memory: TypedParam[] }) => void): () => void {
    this.hostSampleListeners.add(listener);
    return () => this.hostSampleListeners.delete(listener);
  }

  hostHistory(): HostHistory {
    return {
      hostId: this.hostId,
      times: [...this.hostSamples.times],
      cpuPercent: [...this.hostSamples.cpuPercent],
      memoryUsedKiB: [...this.hostSamples.memoryUsedKiB],
      memoryTotalKiB: this.memoryTotalKiB,
    };
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  readonly lifecycle: DomainLifecyclePort = {
    domainName: async (uuid) => (await this.libvirt.domain.lookup({ uuid })).name,
    run: async (uuid, action) => {
      const ref = { uuid };
      switch (action) {
        case 'start':
          await this.libvirt.domain.start(ref);
          return;
        case 'shutdown':
          await this.libvirt.domain.shutdown(
            ref,
            virDomainShutdownFlagValues.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
          );
          return;
        case 'reboot':
          await this.libvirt.domain.reboot(ref);
          return;
        case 'destroy':
          await this.libvirt.domain.destroy(ref);
          return;
        case 'reset':
          await this.libvirt.domain.reset(ref);
          return;
        case 'suspend':
          await this.libvirt.domain.suspend(ref);
          return;
        case 'resume':
          await this.libvirt.domain.resume(ref);
          return;
        case 'managedSave':
          await this.libvirt.domain.managedSave(ref);
          return;
        case 'autostartOn':
        case 'autostartOff':
          await this.libvirt.domain.setAutostart(ref, action === 'autostartOn');
          return;
      }
    },
    deletionPlan: async (uuid) => {
      const ref = { uuid };
      const [domain, state, xml, managedSave, snapshots] = await Promise.all([
        this.libvirt.domain.lookup(ref),
        this.libvirt.domain.getState(ref),
        this.libvirt.domain.getXml(ref, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE),
        this.libvirt.domain.hasManagedSaveImage(ref).catch(() => false),
        this.libvirt.snapshot.list(ref).catch(() => []),
      ]);
      const details = parseDomainDetails(this.hostId, xml);
      const os = child(parseXmlDocument(xml, 'The domain XML'), 'os');
      return {
        name: domain.name,
        running: state.state !== 5 && state.state !== 0,
        hasManagedSave: managedSave,
        snapshots: snapshots.length,
        hasNvram: details.firmware === 'efi' || child(os, 'nvram') !== null,
        hasTpm: details.tpm,
        volumes: details.disks
          .filter(
            (disk) => disk.source && disk.device !== 'cdrom' && disk.device !== 'floppy' && !disk.readonly,
          )
          .filter(
            (disk) =>
              disk.sourceType === 'file' || disk.sourceType === 'block' || disk.sourceType === 'volume',
          )
          .map((disk) => ({ path: disk.source ?? '', target: disk.target, device: disk.device })),
      };
    },
    delete: async (uuid, removeStoragePaths) => {
      const ref = { uuid };
      const plan = await this.lifecycle.deletionPlan(uuid);
      const allowed = new Set(plan.volumes.map((v) => v.path));
      const unknown = removeStoragePaths.filter((path) => !allowed.has(path));
      if (unknown.length > 0) {
        throw new ApiFailure('invalid-request', `Not a disk of this guest: ${unknown.join(', ')}`, {
          field: 'removeStoragePaths',
        });
      }
      if (plan.running) await this.libvirt.domain.destroy(ref);
      let flags =
        UndefineFlags.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
        UndefineFlags.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
        UndefineFlags.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
      if (plan.hasNvram) flags |= UndefineFlags.VIR_DOMAIN_UNDEFINE_NVRAM;
      if (plan.hasTpm) flags |= UndefineFlags.VIR_DOMAIN_UNDEFINE_TPM;
      await this.libvirt.domain.undefine(ref, flags >>> 0);
      const failures: string[] = [];
      for (const path of removeStoragePaths) {
        try {
          await this.deleteVolume(path);
        } catch (error) {
          failures.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (failures.length > 0) {
        throw new ApiFailure(
          'libvirt',
          `The guest was deleted, but not all of its storage: ${failures.join('; ')}`,
        );
      }
    },
  };

  /** Removes a volume by path: through libvirt's storage pools (a pool/volume source is "pool/name"). */
  private async deleteVolume(path: string): Promise<void> {
    const slash = path.indexOf('/');
    const byPoolName = !path.startsWith('/') && slash > 0;
    const vol = byPoolName
      ? (
          await this.libvirt.call(remoteProcedures.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_NAME, {
            pool: await this.poolRef(path.slice(0, slash)),
            name: path.slice(slash + 1),
          })
        ).vol
      : (await this.libvirt.call(remoteProcedures.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_PATH, { path })).vol;
    await this.libvirt.call(remoteProcedures.REMOTE_PROC_STORAGE_VOL_DELETE, { vol, flags: 0 });
  }

  private async poolRef(name: string) {
    return (await this.libvirt.call(remoteProcedures.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME, { name })).pool;
  }

  // ---- host page ----------------------------------------------------------------------------------

  async overview(): Promise<HostOverview> {
    const [info, node, capabilitiesXml, pools] = await Promise.all([
      this.libvirt.host.connectInfo(),
      this.libvirt.host.nodeInfo(),
      this.libvirt.host.capabilities(),
      this.libvirt.storagePool.list(),
    ]);
    const capabilities = parseXmlDocument(capabilitiesXml, 'The capabilities XML');
    const guests = children(capabilities, 'guest');
    const domainTypes = new Set<string>();
    const machines = new Set<string>();
    for (const guest of guests) {
      const arch = child(guest, 'arch');
      if (!arch) continue;
      for (const domain of children(arch, 'domain')) {
        const type = attr(domain, 'type');
        if (type) domainTypes.add(type);
      }
      for (const machine of children(arch, 'machine')) {
        const name = text(machine);
        if (name) machines.add(name);
      }
    }
    const poolInfo = await Promise.all(
      pools.map(async (pool) => {
        const state = await this.libvirt.storagePool.getInfo(pool);
        return {
          name: pool.name,
          active: state.state === 2,
          capacityBytes: Number(state.capacity),
          allocationBytes: Number(state.allocation),
          availableBytes: Number(state.available),
        };
      }),
    );
    return {
      hostId: this.hostId,
      hostname: info.hostname,
      libvirtVersion: info.libVersion,
      hypervisorVersion: info.hypervisorVersion,
      node: {
        cpuModel: node.model,
        cpus: node.cpus,
        mhz: node.mhz,
        numaNodes: node.nodes,
        sockets: node.sockets,
        cores: node.cores,
        threads: node.threads,
        memoryKiB: node.memoryKiB,
      },
      capabilities: {
        arch: text(child(child(capabilities, 'host'), 'cpu')?.getElementsByTagName('arch')[0]) ?? 'unknown',
        domainTypes: [...domainTypes].sort(),
        machines: [...machines].sort(),
      },
      storagePools: poolInfo.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** The read-only host checks, over the existing SSH connection (or locally for this computer). */
  async checks(): Promise<HostCheck[]> {
    const script = hostChecksScript();
    if (this.ssh) {
      const result = await this.ssh.run(`sh -c ${shellQuote(script)}`, { timeoutMs: 60_000 });
      return parseHostChecks(result.stdout);
    }
    const { stdout } = await promisify(execFile)('sh', ['-c', script], { timeout: 60_000 });
    return parseHostChecks(stdout);
  }
}
