/** Secrets kept by the host's libvirt (virSecret*): LUKS passphrases, Ceph/iSCSI credentials, vTPM state keys. */
import { remoteProcedures as P, type RemoteNonnullSecret } from '../protocol';
import { uuidFromString, uuidToString } from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';

export interface Secret {
  uuid: string;
  /** virSecretUsageType: NONE 0, VOLUME 1, CEPH 2, ISCSI 3, TLS 4, VTPM 5. */
  usageType: number;
  usageId: string;
}

function toRemoteSecret(secret: Secret): RemoteNonnullSecret {
  return { uuid: uuidFromString(secret.uuid), usageType: secret.usageType, usageID: secret.usageId };
}

function fromRemoteSecret(secret: RemoteNonnullSecret): Secret {
  return { uuid: uuidToString(secret.uuid), usageType: secret.usageType, usageId: secret.usageID };
}

export class SecretApi {
  constructor(private readonly core: LibvirtRpcCore) {}

  async list(flags = 0): Promise<Secret[]> {
    const r = await this.core.call(P.REMOTE_PROC_CONNECT_LIST_ALL_SECRETS, { need_results: 1, flags });
    return r.secrets.map(fromRemoteSecret);
  }

  async lookup(uuid: string): Promise<Secret> {
    return fromRemoteSecret((await this.core.call(P.REMOTE_PROC_SECRET_LOOKUP_BY_UUID, { uuid: uuidFromString(uuid) })).secret);
  }

  async define(xml: string, flags = 0): Promise<Secret> {
    return fromRemoteSecret((await this.core.call(P.REMOTE_PROC_SECRET_DEFINE_XML, { xml, flags })).secret);
  }

  async getXml(secret: Secret, flags = 0): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_SECRET_GET_XML_DESC, { secret: toRemoteSecret(secret), flags })).xml;
  }

  /** Sets the secret's value. libvirt never hands a private secret's value back to a remote client. */
  async setValue(secret: Secret, value: Uint8Array, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_SECRET_SET_VALUE, { secret: toRemoteSecret(secret), value, flags });
  }

  async undefine(secret: Secret): Promise<void> {
    await this.core.call(P.REMOTE_PROC_SECRET_UNDEFINE, { secret: toRemoteSecret(secret) });
  }
}
