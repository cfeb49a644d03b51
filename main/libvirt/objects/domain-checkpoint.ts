/** A domain's checkpoints (virDomainCheckpoint*): the bitmaps incremental backups start from. */
import { remoteProcedures as P, type RemoteNonnullDomain, type RemoteNonnullDomainCheckpoint } from '../protocol';
import type { DomainRef } from '../client/types';
import type { ObjectRefs } from './object-refs';
import type { LibvirtRpcCore } from './rpc-core';

export class DomainCheckpointApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  private checkpoint(dom: RemoteNonnullDomain, name: string): RemoteNonnullDomainCheckpoint {
    return { name, dom };
  }

  /** Checkpoint names. flags: virDomainCheckpointListFlags (ROOTS, TOPOLOGICAL, LEAVES, …). */
  async list(ref: DomainRef, flags = 0): Promise<string[]> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_LIST_ALL_CHECKPOINTS, {
      dom: await this.refs.domain(ref),
      need_results: 1,
      flags,
    });
    return r.checkpoints.map((checkpoint) => checkpoint.name);
  }

  /** Returns the new checkpoint's name. flags: virDomainCheckpointCreateFlags (REDEFINE, QUIESCE, …). */
  async create(ref: DomainRef, xml: string, flags = 0): Promise<string> {
    const r = await this.core.call(P.REMOTE_PROC_DOMAIN_CHECKPOINT_CREATE_XML, {
      dom: await this.refs.domain(ref),
      xml_desc: xml,
      flags,
    });
    return r.checkpoint.name;
  }

  /** flags: virDomainCheckpointXMLFlags (SECURE, NO_DOMAIN, SIZE). */
  async getXml(ref: DomainRef, name: string, flags = 0): Promise<string> {
    return (
      await this.core.call(P.REMOTE_PROC_DOMAIN_CHECKPOINT_GET_XML_DESC, {
        checkpoint: this.checkpoint(await this.refs.domain(ref), name),
        flags,
      })
    ).xml;
  }

  /** flags: virDomainCheckpointDeleteFlags (CHILDREN, METADATA_ONLY, CHILDREN_ONLY). */
  async delete(ref: DomainRef, name: string, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_DOMAIN_CHECKPOINT_DELETE, {
      checkpoint: this.checkpoint(await this.refs.domain(ref), name),
      flags,
    });
  }
}
