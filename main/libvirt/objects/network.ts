/** Virtual networks (virConnectListAllNetworks, virNetwork*). */
import { remoteProcedures as P } from '../protocol';
import { fromRemoteNetwork, toRemoteNetwork, type Network, type NetworkRef } from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';
import type { ObjectRefs } from './object-refs';

export interface DhcpLease {
  readonly iface: string;
  /** Seconds since the epoch. */
  readonly expiryTime: number;
  readonly type: 'ipv4' | 'ipv6';
  readonly mac: string | null;
  readonly iaid: string | null;
  readonly ipaddr: string;
  readonly prefix: number;
  readonly hostname: string | null;
  readonly clientid: string | null;
}

export class NetworkApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  async list(flags = 0): Promise<Network[]> {
    const r = await this.core.call(P.REMOTE_PROC_CONNECT_LIST_ALL_NETWORKS, { need_results: 1, flags });
    return r.nets.map(fromRemoteNetwork);
  }

  async getXml(ref: NetworkRef, flags = 0): Promise<string> {
    return (
      await this.core.call(P.REMOTE_PROC_NETWORK_GET_XML_DESC, {
        net: toRemoteNetwork(await this.refs.network(ref)),
        flags,
      })
    ).xml;
  }

  async dhcpLeases(
    ref: NetworkRef,
    options: { mac?: string; flags?: number } = {},
  ): Promise<DhcpLease[]> {
    const r = await this.core.call(P.REMOTE_PROC_NETWORK_GET_DHCP_LEASES, {
      net: toRemoteNetwork(await this.refs.network(ref)),
      mac: options.mac ?? null,
      need_results: 1,
      flags: options.flags ?? 0,
    });
    return r.leases.map((l) => ({
      iface: l.iface,
      expiryTime: Number(l.expirytime),
      type: l.type === 1 ? 'ipv6' : 'ipv4',
      mac: l.mac,
      iaid: l.iaid,
      ipaddr: l.ipaddr,
      prefix: l.prefix,
      hostname: l.hostname,
      clientid: l.clientid,
    }));
  }
}
