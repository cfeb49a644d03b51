/** A domain's snapshots (virDomainSnapshot*). */
import { remoteProcedures as P, type RemoteNonnullDomain, type RemoteNonnullDomainSnapshot } from '../protocol';
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

  async list(ref: DomainRef, flags = 0): Promise<DomainSnapshot[]> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_LIST_ALL_SNAPSHOTS, {
      dom: await this.refs.domain(ref),
      need_results: 1,
      flags,
    });
    return r.snapshots.map(fromRemoteSnapshot);
  }

  async create(ref: DomainRef, xml: string, flags = 0): Promise<DomainSnapshot> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_CREATE_XML, {
      dom: await this.refs.domain(ref),
      xml_desc: xml,
      flags,
    });
    return fromRemoteSnapshot(r.snap);
  }

  async getXml(ref: DomainRef, name: string, flags = 0): Promise<string> {
    return (
      await this.core.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_GET_XML_DESC, {
        snap: this.snap(await this.refs.domain(ref), name),
        flags,
      })
    ).xml;
  }

  async revert(ref: DomainRef, name: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_REVERT_TO_SNAPSHOT, {
      snap: this.snap(await this.refs.domain(ref), name),
      flags,
    });
  }

  async delete(ref: DomainRef, name: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_DELETE, {
      snap: this.snap(await this.refs.domain(ref), name),
      flags,
    });
  }
}
