/** A domain's snapshots (virDomainSnapshot*), and the guest-agent ping a quiesced snapshot depends on. */
import {
  qemuProcedures as Q,
  remoteProcedures as P,
  virErrorNumber,
  type RemoteNonnullDomain,
  type RemoteNonnullDomainSnapshot,
} from '../protocol';
import { LibvirtError, isLibvirtError } from '../rpc/errors';
import { fromRemoteSnapshot, type DomainRef, type DomainSnapshot } from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';
import type { ObjectRefs } from './object-refs';

export class DomainSnapshotApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  private snap(dom: RemoteNonnullDomain, name: string): RemoteNonnullDomainSnapshot {
    return { name, dom };
  }

  /**
   * virDomainListAllSnapshots; flags: virDomainSnapshotListFlags. Beware VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL
   * on libvirt 9.0: while a snapshot is being created it fails with "name in virGetDomainSnapshot must not
   * be NULL" (the new snapshot is counted but not yet in the tree it walks); without it, it lists them all.
   */
  async list(ref: DomainRef, flags = 0): Promise<DomainSnapshot[]> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_LIST_ALL_SNAPSHOTS, {
      dom: await this.refs.domain(ref),
      need_results: 1,
      flags,
    });
    return r.snapshots.map(fromRemoteSnapshot);
  }

  /** virDomainSnapshotCreateXML; flags: virDomainSnapshotCreateFlags (DISK_ONLY, QUIESCE, ATOMIC, REDEFINE|CURRENT…). */
  async create(ref: DomainRef, xml: string, flags = 0): Promise<DomainSnapshot> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_CREATE_XML, {
      dom: await this.refs.domain(ref),
      xml_desc: xml,
      flags,
    });
    return fromRemoteSnapshot(r.snap);
  }

  /** virDomainSnapshotGetXMLDesc; flags: virDomainSnapshotXMLFlags (SECURE). */
  async getXml(ref: DomainRef, name: string, flags = 0): Promise<string> {
    return (
      await this.core.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_GET_XML_DESC, {
        snap: this.snap(await this.refs.domain(ref), name),
        flags,
      })
    ).xml;
  }

  /** virDomainRevertToSnapshot; flags: virDomainSnapshotRevertFlags (RUNNING, PAUSED, FORCE). */
  async revert(ref: DomainRef, name: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_REVERT_TO_SNAPSHOT, {
      snap: this.snap(await this.refs.domain(ref), name),
      flags,
    });
  }

  /** virDomainSnapshotDelete; flags: virDomainSnapshotDeleteFlags (CHILDREN, METADATA_ONLY, CHILDREN_ONLY). */
  async delete(ref: DomainRef, name: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_DELETE, {
      snap: this.snap(await this.refs.domain(ref), name),
      flags,
    });
  }

  /** The name of the domain's current snapshot (virDomainSnapshotCurrent), or null when it has none. */
  async current(ref: DomainRef): Promise<string | null> {
    const dom = await this.refs.domain(ref);
    const has = await this.core.call(P.REMOTE_PROC_DOMAIN_HAS_CURRENT_SNAPSHOT, { dom, flags: 0 });
    if (!has.result) return null;
    try {
      return (await this.core.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_CURRENT, { dom, flags: 0 })).snap.name;
    } catch (error) {
      // Deleted between the two calls.
      if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN_SNAPSHOT)) return null;
      throw error;
    }
  }

  /**
   * Whether the guest agent answers a `guest-ping` within `timeoutSeconds` (virDomainQemuAgentCommand),
   * which a quiesced snapshot (VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE) needs. Resolves with libvirt's reason
   * when it does not answer (no agent channel, agent not connected, timeout).
   */
  async guestAgentPing(ref: DomainRef, timeoutSeconds = 3): Promise<{ answers: true } | { answers: false; reason: string }> {
    try {
      await this.core.call(Q.QEMU_PROC_DOMAIN_AGENT_COMMAND, {
        dom: await this.refs.domain(ref),
        cmd: '{"execute":"guest-ping"}',
        timeout: timeoutSeconds,
        flags: 0,
      });
      return { answers: true };
    } catch (error) {
      if (error instanceof LibvirtError) return { answers: false, reason: error.remoteMessage ?? error.message };
      throw error;
    }
  }
}
