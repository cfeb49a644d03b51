/** The connection's host: identity and versions, node info and counters, capabilities (virConnect*, virNode*). */
import { cString, remoteProcedures as P, virErrorNumber } from '../protocol';
import type { TypedParam } from '../client/typed-params';
import { isLibvirtError } from '../rpc/errors';
import type { LibvirtRpcCore } from './rpc-core';

export interface ConnectInfo {
  readonly hostname: string;
  readonly uri: string;
  /** Hypervisor driver name, e.g. 'QEMU'. */
  readonly type: string;
  readonly libVersion: string;
  readonly libVersionNumber: number;
  readonly hypervisorVersion: string;
  readonly hypervisorVersionNumber: number;
}

export interface NodeInfo {
  readonly model: string;
  readonly memoryKiB: number;
  readonly cpus: number;
  readonly mhz: number;
  readonly nodes: number;
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

/** libvirt's version number (major × 1 000 000 + minor × 1000 + micro) as text. */
export function versionString(n: number): string {
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

export class HostApi {
  /**
   * How many node CPU / memory counters the daemon said it has, by what was asked (all CPUs or one, all
   * cells or one, flags). libvirt's API is two calls: the count (nparams 0), then the values with exactly
   * that count (its Linux driver refuses any other). The count never changes while a daemon runs, so it is
   * asked once and the next calls send it straight away: one round trip per call instead of two (host
   * CPU and memory are read on every stats tick of every host). A daemon that refuses a remembered count
   * (another one, after a reconnect) is asked for the count again.
   */
  private readonly statCounts = new Map<string, number>();

  constructor(private readonly core: LibvirtRpcCore) {}

  private async countedStats<T>(
    key: string,
    ask: (nparams: number) => Promise<{ params: T[]; nparams: number }>,
  ): Promise<T[]> {
    const known = this.statCounts.get(key);
    if (known !== undefined) {
      try {
        return (await ask(known)).params;
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_INVALID_ARG)) throw error;
        this.statCounts.delete(key);
      }
    }
    const { nparams } = await ask(0);
    if (nparams === 0) return [];
    const { params } = await ask(nparams);
    this.statCounts.set(key, nparams);
    return params;
  }

  async connectInfo(): Promise<ConnectInfo> {
    const [host, uri, type, lib, hv] = await Promise.all([
      this.core.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined),
      this.core.call(P.REMOTE_PROC_CONNECT_GET_URI, undefined),
      this.core.call(P.REMOTE_PROC_CONNECT_GET_TYPE, undefined),
      this.core.call(P.REMOTE_PROC_CONNECT_GET_LIB_VERSION, undefined),
      this.core.call(P.REMOTE_PROC_CONNECT_GET_VERSION, undefined),
    ]);
    const libN = Number(lib.lib_ver);
    const hvN = Number(hv.hv_ver);
    return {
      hostname: host.hostname,
      uri: uri.uri,
      type: type.type,
      libVersion: versionString(libN),
      libVersionNumber: libN,
      hypervisorVersion: versionString(hvN),
      hypervisorVersionNumber: hvN,
    };
  }

  async nodeInfo(): Promise<NodeInfo> {
    const r = await this.core.call(P.REMOTE_PROC_NODE_GET_INFO, undefined);
    return {
      model: cString(r.model),
      memoryKiB: Number(r.memory),
      cpus: r.cpus,
      mhz: r.mhz,
      nodes: r.nodes,
      sockets: r.sockets,
      cores: r.cores,
      threads: r.threads,
    };
  }

  async cpuStats(options: { cpu?: number; flags?: number } = {}): Promise<TypedParam[]> {
    const cpuNum = options.cpu ?? -1;
    const flags = options.flags ?? 0;
    const params = await this.countedStats(`cpu ${cpuNum === -1 ? 'all' : 'one'} ${flags}`, (nparams) =>
      this.core.call(P.REMOTE_PROC_NODE_GET_CPU_STATS, { cpuNum, nparams, flags }),
    );
    return params.map((p) => ({ field: p.field, type: 'ullong', value: p.value }));
  }

  async memoryStats(options: { cell?: number; flags?: number } = {}): Promise<TypedParam[]> {
    const cellNum = options.cell ?? -1;
    const flags = options.flags ?? 0;
    const params = await this.countedStats(`memory ${cellNum === -1 ? 'all' : 'one'} ${flags}`, (nparams) =>
      this.core.call(P.REMOTE_PROC_NODE_GET_MEMORY_STATS, { cellNum, nparams, flags }),
    );
    return params.map((p) => ({ field: p.field, type: 'ullong', value: p.value }));
  }

  async capabilities(): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_CONNECT_GET_CAPABILITIES, undefined)).capabilities;
  }

  async domainCapabilities(
    options: { emulator?: string; arch?: string; machine?: string; virttype?: string; flags?: number } = {},
  ): Promise<string> {
    return (
      await this.core.call(P.REMOTE_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, {
        emulatorbin: options.emulator ?? null,
        arch: options.arch ?? null,
        machine: options.machine ?? null,
        virttype: options.virttype ?? null,
        flags: options.flags ?? 0,
      })
    ).capabilities;
  }

  /** libvirt's version on the host (virConnectGetLibVersion): major × 1 000 000 + minor × 1000 + micro. */
  async libVersion(): Promise<number> {
    return Number((await this.core.call(P.REMOTE_PROC_CONNECT_GET_LIB_VERSION, undefined)).lib_ver);
  }
}
