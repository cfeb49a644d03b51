/**
 * A domain's backup job (virDomainBackup*) and the job calls it is watched and stopped with
 * (virDomainGetJobStats, virDomainAbortJob). Push mode: libvirt's QEMU driver writes each disk to a
 * target file on the host; it refuses an inactive domain (qemu_backup.c in libvirt 9.0).
 */
import { remoteProcedures as P } from '../protocol';
import { fromRemoteTypedParams, type TypedParam } from '../client/typed-params';
import type { DomainRef } from '../client/types';
import type { ObjectRefs } from './object-refs';
import type { LibvirtRpcCore } from './rpc-core';

export interface DomainJobStats {
  /** virDomainJobType: 0 NONE, 1 BOUNDED, 2 UNBOUNDED, 3 COMPLETED, 4 FAILED, 5 CANCELLED. */
  readonly type: number;
  readonly params: TypedParam[];
}

export class DomainBackupApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  /**
   * Starts a backup (virDomainBackupBegin) and returns once it runs; `checkpointXml` also creates that
   * checkpoint at the same instant. flags: virDomainBackupBeginFlags (REUSE_EXTERNAL).
   */
  async begin(ref: DomainRef, backupXml: string, checkpointXml: string | null, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_BACKUP_BEGIN, {
      dom: await this.refs.domain(ref),
      backup_xml: backupXml,
      checkpoint_xml: checkpointXml,
      flags,
    });
  }

  /** The running backup's definition, as libvirt completed it (virDomainBackupGetXMLDesc; flags 0). */
  async getXml(ref: DomainRef): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_DOMAIN_BACKUP_GET_XML_DESC, { dom: await this.refs.domain(ref), flags: 0 })).xml;
  }

  /** The domain's job of the moment (virDomainGetJobStats). flags: virDomainGetJobStatsFlags (COMPLETED, KEEP_COMPLETED). */
  async jobStats(ref: DomainRef, flags = 0): Promise<DomainJobStats> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_GET_JOB_STATS, { dom: await this.refs.domain(ref), flags });
    return { type: r.type, params: fromRemoteTypedParams(r.params) };
  }

  /** Stops the domain's job (virDomainAbortJob); a push backup's target files are removed by libvirt. */
  async abortJob(ref: DomainRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_ABORT_JOB, { dom: await this.refs.domain(ref) });
  }
}
