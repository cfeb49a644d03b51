/**
 * Domain migration, version 3 with extensible parameters (what virDomainMigrateVersion3Full in
 * libvirt's src/libvirt-domain.c calls on each side), the running job (virDomainGetJobStats,
 * virDomainAbortJob) and its tunables (virDomainMigrateSetMaxDowntime, virDomainMigrateStartPostCopy),
 * and the destination-side questions asked before a migration (virConnectCompareHypervisorCPU,
 * virConnectCompareCPU, virNodeGetFreeMemory).
 *
 * Cookies are opaque to the client: each phase's `cookieOut` goes unchanged into the next phase's
 * `cookieIn`, across the two hosts' connections.
 */
import { remoteProcedures as P } from '../protocol';
import { fromRemoteTypedParams, toRemoteTypedParams, type TypedParam } from '../client/typed-params';
import type { Domain, DomainRef } from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';
import type { ObjectRefs } from './object-refs';

/** virDomainJobType. */
export const DOMAIN_JOB_TYPES = ['none', 'bounded', 'unbounded', 'completed', 'failed', 'cancelled'] as const;
export type DomainJobType = (typeof DOMAIN_JOB_TYPES)[number];

export interface DomainJobStats {
  readonly type: DomainJobType;
  readonly params: TypedParam[];
}

/** A migration phase can run for as long as the data takes: no client-side timeout (the job can be aborted). */
const NO_TIMEOUT = { timeoutMs: 0 };

export class DomainMigrationApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  /** Source, phase 1 (virDomainMigrateBegin3Params): the domain XML to send and the first cookie. */
  async begin3(ref: DomainRef, params: readonly TypedParam[], flags: number): Promise<{ xml: string; cookieOut: Uint8Array }> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_MIGRATE_BEGIN3_PARAMS, {
      dom: await this.refs.domain(ref),
      params: toRemoteTypedParams(params),
      flags: flags >>> 0,
    });
    return { xml: r.xml, cookieOut: r.cookie_out };
  }

  /** Destination, phase 2 (virDomainMigratePrepare3Params): starts the incoming QEMU; returns the URI it listens on. */
  async prepare3(
    params: readonly TypedParam[],
    cookieIn: Uint8Array,
    flags: number,
  ): Promise<{ uriOut: string | null; cookieOut: Uint8Array }> {
    const r = await this.core.call(
      P.REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS,
      { params: toRemoteTypedParams(params), cookie_in: cookieIn, flags: flags >>> 0 },
      NO_TIMEOUT,
    );
    return { uriOut: r.uri_out, cookieOut: r.cookie_out };
  }

  /** Source, phase 3 (virDomainMigratePerform3Params): sends the guest; returns when the data is across. */
  async perform3(
    ref: DomainRef,
    params: readonly TypedParam[],
    cookieIn: Uint8Array,
    flags: number,
    dconnuri: string | null = null,
  ): Promise<{ cookieOut: Uint8Array }> {
    const r = await this.core.call(
      P.REMOTE_PROC_DOMAIN_MIGRATE_PERFORM3_PARAMS,
      {
        dom: await this.refs.domain(ref),
        dconnuri,
        params: toRemoteTypedParams(params),
        cookie_in: cookieIn,
        flags: flags >>> 0,
      },
      NO_TIMEOUT,
    );
    return { cookieOut: r.cookie_out };
  }

  /**
   * Destination, phase 4 (virDomainMigrateFinish3Params): `cancelled` = the source failed, so the
   * destination discards the incoming guest (libvirt then answers with an error: there is no domain).
   */
  async finish3(
    params: readonly TypedParam[],
    cookieIn: Uint8Array,
    flags: number,
    cancelled: boolean,
  ): Promise<{ domain: Domain; cookieOut: Uint8Array }> {
    const r = await this.core.call(
      P.REMOTE_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS,
      { params: toRemoteTypedParams(params), cookie_in: cookieIn, flags: flags >>> 0, cancelled: cancelled ? 1 : 0 },
      NO_TIMEOUT,
    );
    return { domain: this.refs.seen(r.dom), cookieOut: r.cookie_out };
  }

  /** Source, phase 5 (virDomainMigrateConfirm3Params): `cancelled` resumes the guest here, else it is stopped here. */
  async confirm3(
    ref: DomainRef,
    params: readonly TypedParam[],
    cookieIn: Uint8Array,
    flags: number,
    cancelled: boolean,
  ): Promise<void> {
    await this.core.call(
      P.REMOTE_PROC_DOMAIN_MIGRATE_CONFIRM3_PARAMS,
      {
        dom: await this.refs.domain(ref),
        params: toRemoteTypedParams(params),
        cookie_in: cookieIn,
        flags: flags >>> 0,
        cancelled: cancelled ? 1 : 0,
      },
      NO_TIMEOUT,
    );
  }

  /**
   * The domain's current job (virDomainGetJobStats). flags virDomainGetJobStatsFlags: COMPLETED 1 (the
   * last finished job instead), KEEP_COMPLETED 2.
   */
  async jobStats(ref: DomainRef, flags = 0): Promise<DomainJobStats> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_JOB_STATS, { dom: await this.refs.domain(ref), flags });
    return { type: DOMAIN_JOB_TYPES[r.type] ?? 'none', params: fromRemoteTypedParams(r.params) };
  }

  /** Aborts the domain's current job (virDomainAbortJob): an outgoing migration leaves the guest running here. */
  async abortJob(ref: DomainRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_ABORT_JOB, { dom: await this.refs.domain(ref) });
  }

  /** The longest pause the guest may take at the switch-over (virDomainMigrateSetMaxDowntime, milliseconds). */
  async setMaxDowntime(ref: DomainRef, milliseconds: number): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_MIGRATE_SET_MAX_DOWNTIME, {
      dom: await this.refs.domain(ref),
      downtime: BigInt(milliseconds),
      flags: 0,
    });
  }

  /** Switches a migration started with VIR_MIGRATE_POSTCOPY to post-copy (virDomainMigrateStartPostCopy). */
  async startPostCopy(ref: DomainRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_MIGRATE_START_POST_COPY, { dom: await this.refs.domain(ref), flags: 0 });
  }

  /**
   * Whether this host's hypervisor can run a guest CPU (virConnectCompareHypervisorCPU): `xml` is a
   * <cpu> element. virCPUCompareResult: -1 error, 0 INCOMPATIBLE, 1 IDENTICAL, 2 SUPERSET.
   */
  async compareHypervisorCpu(
    xml: string,
    options: { emulator?: string; arch?: string; machine?: string; virttype?: string; flags?: number } = {},
  ): Promise<number> {
    return (
      await this.core.call(P.REMOTE_PROC_CONNECT_COMPARE_HYPERVISOR_CPU, {
        emulator: options.emulator ?? null,
        arch: options.arch ?? null,
        machine: options.machine ?? null,
        virttype: options.virttype ?? null,
        xmlCPU: xml,
        flags: options.flags ?? 0,
      })
    ).result;
  }

  /** Free memory on the host in bytes (virNodeGetFreeMemory). */
  async nodeFreeMemory(): Promise<bigint> {
    return (await this.core.call(P.REMOTE_PROC_NODE_GET_FREE_MEMORY, undefined)).freeMem;
  }
}
