/** Domains: listing and bulk stats, XML, lifecycle, info and tuning (virConnectListAllDomains, virDomain*). */
import {
  combineFlags,
  qemuProcedures as Q,
  remoteProcedures as P,
  virConnectGetAllDomainStatsFlags,
  virDomainStatsTypes,
  virTypedParameterFlags,
} from '../protocol';
import { summarizeDomainStats, type DomainStatsRecord, type DomainSummary } from '../client/stats';
import { fromRemoteTypedParams, toRemoteTypedParams, type TypedParam } from '../client/typed-params';
import { uuidFromString, uuidToString, type Domain, type DomainRef } from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';
import type { ObjectRefs } from './object-refs';

export interface DomainInfo {
  readonly state: number;
  readonly maxMemKiB: number;
  readonly memoryKiB: number;
  readonly nrVirtCpu: number;
  readonly cpuTimeNs: bigint;
}

export interface DomainInterface {
  readonly name: string;
  readonly hwaddr: string | null;
  readonly addrs: ReadonlyArray<{
    readonly type: 'ipv4' | 'ipv6';
    readonly addr: string;
    readonly prefix: number;
  }>;
}

const DEFAULT_STATS =
  virDomainStatsTypes.VIR_DOMAIN_STATS_STATE |
  virDomainStatsTypes.VIR_DOMAIN_STATS_CPU_TOTAL |
  virDomainStatsTypes.VIR_DOMAIN_STATS_BALLOON |
  virDomainStatsTypes.VIR_DOMAIN_STATS_VCPU;

export class DomainApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  async list(flags = 0): Promise<Domain[]> {
    const r = await this.core.call(P.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, {
      need_results: 1,
      flags: flags >>> 0,
    });
    return r.domains.map((d) => this.refs.seen(d));
  }

  async allStats(
    options: { domains?: readonly DomainRef[]; stats?: number; flags?: number; timeoutMs?: number } = {},
  ): Promise<DomainStatsRecord[]> {
    const doms = options.domains ? await Promise.all(options.domains.map((d) => this.refs.domain(d))) : [];
    const flags = options.flags ?? virConnectGetAllDomainStatsFlags.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    const r = await this.core.call(
      P.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS,
      { doms, stats: (options.stats ?? DEFAULT_STATS) >>> 0, flags: flags >>> 0 },
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    return r.retStats.map((rec) => ({
      domain: this.refs.seen(rec.dom),
      params: fromRemoteTypedParams(rec.params),
    }));
  }

  async inventory(): Promise<DomainSummary[]> {
    const [domains, stats] = await Promise.all([this.list(), this.allStats()]);
    const byUuid = new Map(stats.map((s) => [s.domain.uuid, s]));
    return domains.map((d) => summarizeDomainStats(byUuid.get(d.uuid) ?? { domain: d, params: [] }));
  }

  async lookup(ref: DomainRef): Promise<Domain> {
    if (ref.uuid !== undefined) {
      // Always asks the daemon: verifies it exists and learns its current name and id.
      return this.refs.seen(
        (await this.core.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, { uuid: uuidFromString(ref.uuid) })).dom,
      );
    }
    return this.refs.seen(await this.refs.domain(ref));
  }

  async getXml(ref: DomainRef, flags = 0): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_DOMAIN_GET_XML_DESC, { dom: await this.refs.domain(ref), flags })).xml;
  }

  async define(xml: string, flags = 0): Promise<Domain> {
    return this.refs.seen((await this.core.call(P.REMOTE_PROC_DOMAIN_DEFINE_XML_FLAGS, { xml, flags })).dom);
  }

  async undefine(ref: DomainRef, flags = 0): Promise<void> {
    const dom = await this.refs.domain(ref);
    await this.core.call(P.REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS, { dom, flags });
    this.refs.forget(uuidToString(dom.uuid));
  }

  async start(ref: DomainRef, flags = 0): Promise<Domain> {
    return this.refs.seen(
      (await this.core.call(P.REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS, { dom: await this.refs.domain(ref), flags })).dom,
    );
  }

  async shutdown(ref: DomainRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SHUTDOWN_FLAGS, { dom: await this.refs.domain(ref), flags });
  }

  async reboot(ref: DomainRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_REBOOT, { dom: await this.refs.domain(ref), flags });
  }

  async reset(ref: DomainRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_RESET, { dom: await this.refs.domain(ref), flags: 0 });
  }

  async destroy(ref: DomainRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_DESTROY_FLAGS, { dom: await this.refs.domain(ref), flags });
  }

  async suspend(ref: DomainRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SUSPEND, { dom: await this.refs.domain(ref) });
  }

  async resume(ref: DomainRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_RESUME, { dom: await this.refs.domain(ref) });
  }

  async managedSave(ref: DomainRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_MANAGED_SAVE, { dom: await this.refs.domain(ref), flags });
  }

  async hasManagedSaveImage(ref: DomainRef): Promise<boolean> {
    return (
      (await this.core.call(P.REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, { dom: await this.refs.domain(ref), flags: 0 }))
        .result !== 0
    );
  }

  async managedSaveRemove(ref: DomainRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE, { dom: await this.refs.domain(ref), flags: 0 });
  }

  async setAutostart(ref: DomainRef, autostart: boolean): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SET_AUTOSTART, {
      dom: await this.refs.domain(ref),
      autostart: autostart ? 1 : 0,
    });
  }

  async getAutostart(ref: DomainRef): Promise<boolean> {
    return (
      (await this.core.call(P.REMOTE_PROC_DOMAIN_GET_AUTOSTART, { dom: await this.refs.domain(ref) })).autostart !== 0
    );
  }

  async getInfo(ref: DomainRef): Promise<DomainInfo> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_INFO, { dom: await this.refs.domain(ref) });
    return {
      state: r.state,
      maxMemKiB: Number(r.maxMem),
      memoryKiB: Number(r.memory),
      nrVirtCpu: r.nrVirtCpu,
      cpuTimeNs: r.cpuTime,
    };
  }

  async getState(ref: DomainRef): Promise<{ state: number; reason: number }> {
    return this.core.call(P.REMOTE_PROC_DOMAIN_GET_STATE, { dom: await this.refs.domain(ref), flags: 0 });
  }

  async setVcpus(ref: DomainRef, count: number, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SET_VCPUS_FLAGS, { dom: await this.refs.domain(ref), nvcpus: count, flags });
  }

  async getVcpus(ref: DomainRef, flags = 0): Promise<number> {
    return (await this.core.call(P.REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS, { dom: await this.refs.domain(ref), flags })).num;
  }

  async setMemory(ref: DomainRef, kib: number | bigint, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SET_MEMORY_FLAGS, {
      dom: await this.refs.domain(ref),
      memory: BigInt(kib),
      flags,
    });
  }

  async pinVcpu(ref: DomainRef, vcpu: number, cpus: readonly number[], flags = 0): Promise<void> {
    if (cpus.length === 0) throw new RangeError('pin to at least one host CPU');
    const max = Math.max(...cpus);
    const map = new Uint8Array(Math.floor(max / 8) + 1);
    for (const c of cpus) {
      if (!Number.isInteger(c) || c < 0) throw new RangeError(`bad host CPU number ${c}`);
      map[c >> 3] = (map[c >> 3] as number) | (1 << (c & 7));
    }
    await this.core.call(P.REMOTE_PROC_DOMAIN_PIN_VCPU_FLAGS, {
      dom: await this.refs.domain(ref),
      vcpu,
      cpumap: map,
      flags,
    });
  }

  async getVcpuPinInfo(ref: DomainRef, flags = 0): Promise<number[][]> {
    const dom = await this.refs.domain(ref);
    const hostCpus = (
      await this.core.call(P.REMOTE_PROC_NODE_GET_CPU_MAP, { need_map: 0, need_online: 0, flags: 0 })
    ).ret;
    const impact = flags & 3;
    const nvcpus = (
      await this.core.call(P.REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS, { dom, flags: impact | 4 /* MAXIMUM */ })
    ).num;
    const maplen = Math.ceil(hostCpus / 8);
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_VCPU_PIN_INFO, {
      dom,
      ncpumaps: nvcpus,
      maplen,
      flags,
    });
    const out: number[][] = [];
    for (let v = 0; v < r.num; v++) {
      const cpus: number[] = [];
      for (let c = 0; c < hostCpus; c++) {
        const byte = r.cpumaps[v * maplen + (c >> 3)] ?? 0;
        if (byte & (1 << (c & 7))) cpus.push(c);
      }
      out.push(cpus);
    }
    return out;
  }

  async getMemoryParameters(ref: DomainRef, flags = 0): Promise<TypedParam[]> {
    const dom = await this.refs.domain(ref);
    const f = combineFlags(flags, virTypedParameterFlags.VIR_TYPED_PARAM_STRING_OKAY);
    const { nparams } = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_MEMORY_PARAMETERS, {
      dom,
      nparams: 0,
      flags: f,
    });
    if (nparams === 0) return [];
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_MEMORY_PARAMETERS, { dom, nparams, flags: f });
    return fromRemoteTypedParams(r.params);
  }

  async setMemoryParameters(ref: DomainRef, params: readonly TypedParam[], flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SET_MEMORY_PARAMETERS, {
      dom: await this.refs.domain(ref),
      params: toRemoteTypedParams(params),
      flags,
    });
  }

  async interfaceAddresses(ref: DomainRef, source = 0, flags = 0): Promise<DomainInterface[]> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_INTERFACE_ADDRESSES, {
      dom: await this.refs.domain(ref),
      source,
      flags,
    });
    return r.ifaces.map((i) => ({
      name: i.name,
      hwaddr: i.hwaddr,
      addrs: i.addrs.map((a) => ({ type: a.type === 1 ? 'ipv6' : 'ipv4', addr: a.addr, prefix: a.prefix })),
    }));
  }

  /** Whether the domain has a persistent definition (virDomainIsPersistent). */
  async isPersistent(ref: DomainRef): Promise<boolean> {
    return (await this.core.call(P.REMOTE_PROC_DOMAIN_IS_PERSISTENT, { dom: await this.refs.domain(ref) })).persistent === 1;
  }

  /**
   * Renames a domain (virDomainRename; flags must be 0). libvirt's QEMU driver renames only a persistent
   * domain that is shut off and has no managed save image, to a name no other domain uses.
   */
  async rename(ref: DomainRef, newName: string): Promise<Domain> {
    const dom = await this.refs.domain(ref);
    await this.core.call(P.REMOTE_PROC_DOMAIN_RENAME, { dom, new_name: newName, flags: 0 });
    const uuid = uuidToString(dom.uuid);
    this.refs.remember(uuid, newName);
    return { name: newName, uuid, id: dom.id };
  }

  /**
   * Changes a device in place (virDomainUpdateDeviceFlags): for a disk, `xml` is its whole <disk>
   * element as it should be. Flags virDomainDeviceModifyFlags: LIVE, CONFIG, FORCE (e.g. eject a
   * CD-ROM whose tray the guest keeps locked).
   */
  async updateDevice(ref: DomainRef, xml: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_UPDATE_DEVICE_FLAGS, { dom: await this.refs.domain(ref), xml, flags });
  }

  /** Adds a device (virDomainAttachDeviceFlags; virDomainDeviceModifyFlags LIVE, CONFIG). */
  async attachDevice(ref: DomainRef, xml: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_ATTACH_DEVICE_FLAGS, { dom: await this.refs.domain(ref), xml, flags });
  }

  /**
   * Removes a device (virDomainDetachDeviceFlags; virDomainDeviceModifyFlags LIVE, CONFIG): `xml`
   * names it as attach did. A live detach returns once QEMU was asked; the guest may take a moment.
   */
  async detachDevice(ref: DomainRef, xml: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_DETACH_DEVICE_FLAGS, { dom: await this.refs.domain(ref), xml, flags });
  }

  /**
   * What the guest agent reports (virDomainGetGuestInfo): `types` is a virDomainGuestInfoTypes mask,
   * 0 = every kind the daemon supports. Fails when the agent is not configured or does not answer.
   */
  async getGuestInfo(ref: DomainRef, types = 0, flags = 0): Promise<TypedParam[]> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_GUEST_INFO, { dom: await this.refs.domain(ref), types, flags });
    return fromRemoteTypedParams(r.params);
  }

  /** The guest's host name (virDomainGetHostname; flags virDomainGetHostnameFlags: LEASE, AGENT). */
  async getHostname(ref: DomainRef, flags = 0): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_DOMAIN_GET_HOSTNAME, { dom: await this.refs.domain(ref), flags })).hostname;
  }

  /** Freezes the guest's file systems through the agent (all when `mountpoints` is empty); returns how many. */
  async fsFreeze(ref: DomainRef, mountpoints: readonly string[] = [], flags = 0): Promise<number> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_FSFREEZE, { dom: await this.refs.domain(ref), mountpoints: [...mountpoints], flags });
    return r.filesystems;
  }

  /** Thaws what fsFreeze froze; returns how many file systems. */
  async fsThaw(ref: DomainRef, mountpoints: readonly string[] = [], flags = 0): Promise<number> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_FSTHAW, { dom: await this.refs.domain(ref), mountpoints: [...mountpoints], flags });
    return r.filesystems;
  }

  /** The guest's clock as its agent reads it (virDomainGetTime: guest-get-time). */
  async getTime(ref: DomainRef, flags = 0): Promise<{ seconds: bigint; nseconds: number }> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_TIME, { dom: await this.refs.domain(ref), flags });
    return { seconds: r.seconds, nseconds: r.nseconds };
  }

  /**
   * One QEMU guest agent command, as JSON text (virDomainQemuAgentCommand, libvirt-qemu): for what
   * libvirt has no API for (guest-fsfreeze-status). Returns the agent's reply as libvirt passes it on;
   * an agent error arrives as a LibvirtError with the agent's own words in its message.
   */
  async agentCommand(ref: DomainRef, cmd: string, timeoutSeconds: number, flags = 0): Promise<string> {
    const r = await this.core.call(Q.QEMU_PROC_DOMAIN_AGENT_COMMAND, { dom: await this.refs.domain(ref), cmd, timeout: timeoutSeconds, flags });
    return r.result ?? '';
  }

  /** Sets the guest's clock through the agent (virDomainSetTime; flag VIR_DOMAIN_TIME_SYNC = from its RTC). */
  async setTime(ref: DomainRef, seconds: bigint, nseconds: number, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SET_TIME, { dom: await this.refs.domain(ref), seconds, nseconds, flags });
  }
}
