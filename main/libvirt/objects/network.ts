/** Virtual networks (virConnectListAllNetworks, virNetwork*). */
import { remoteProcedures as P } from '../protocol';
import { fromRemoteNetwork, toRemoteNetwork, type Network, type NetworkRef } from '../client/types';
import { LibvirtError } from '../rpc';
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

  /** Looks a network up by name (virNetworkLookupByName). */
  async lookup(name: string): Promise<Network> {
    return fromRemoteNetwork((await this.core.call(P.REMOTE_PROC_NETWORK_LOOKUP_BY_NAME, { name })).net);
  }

  /**
   * Defines (or redefines) a persistent network (virNetworkDefineXMLFlags; virNetworkDefineFlags:
   * VALIDATE checks the XML against libvirt's schema). Daemons older than 7.7 lack the call: there the
   * XML is defined with virNetworkDefineXML when no flag was asked for.
   */
  async define(xml: string, flags = 0): Promise<Network> {
    try {
      return fromRemoteNetwork((await this.core.call(P.REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS, { xml, flags })).net);
    } catch (error) {
      if (flags !== 0 || !(error instanceof LibvirtError) || !isUnsupportedProcedure(error)) throw error;
      return fromRemoteNetwork((await this.core.call(P.REMOTE_PROC_NETWORK_DEFINE_XML, { xml })).net);
    }
  }

  /** Starts a defined network (virNetworkCreate). */
  async start(ref: NetworkRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NETWORK_CREATE, { net: toRemoteNetwork(await this.refs.network(ref)) });
  }

  /** Stops a network (virNetworkDestroy); a transient one disappears. */
  async destroy(ref: NetworkRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NETWORK_DESTROY, { net: toRemoteNetwork(await this.refs.network(ref)) });
  }

  /** Removes a persistent definition (virNetworkUndefine); an active network keeps running, transient. */
  async undefine(ref: NetworkRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NETWORK_UNDEFINE, { net: toRemoteNetwork(await this.refs.network(ref)) });
  }

  async setAutostart(ref: NetworkRef, autostart: boolean): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NETWORK_SET_AUTOSTART, {
      net: toRemoteNetwork(await this.refs.network(ref)),
      autostart: autostart ? 1 : 0,
    });
  }

  async getAutostart(ref: NetworkRef): Promise<boolean> {
    const r = await this.core.call(P.REMOTE_PROC_NETWORK_GET_AUTOSTART, { net: toRemoteNetwork(await this.refs.network(ref)) });
    return r.autostart !== 0;
  }

  async isActive(ref: NetworkRef): Promise<boolean> {
    const r = await this.core.call(P.REMOTE_PROC_NETWORK_IS_ACTIVE, { net: toRemoteNetwork(await this.refs.network(ref)) });
    return r.active !== 0;
  }

  async isPersistent(ref: NetworkRef): Promise<boolean> {
    const r = await this.core.call(P.REMOTE_PROC_NETWORK_IS_PERSISTENT, { net: toRemoteNetwork(await this.refs.network(ref)) });
    return r.persistent !== 0;
  }

  /**
   * Changes one section of a network without restarting it (virNetworkUpdate): `command`
   * virNetworkUpdateCommand (ADD_LAST, ADD_FIRST, MODIFY, DELETE), `section` virNetworkUpdateSection
   * (IP_DHCP_HOST, DNS_HOST, DNS_TXT, DNS_SRV, PORTGROUP…), `parentIndex` the `<ip>` element for DHCP
   * sections (-1 = the one with DHCP), `flags` virNetworkUpdateFlags (AFFECT_LIVE, AFFECT_CONFIG).
   *
   * libvirt passed section and command swapped to its drivers until the daemons learned
   * VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER (16); libvirt's own client asks the daemon and
   * sends them in the order the daemon expects. So do we.
   */
  async update(
    ref: NetworkRef,
    change: { command: number; section: number; parentIndex: number; xml: string },
    flags = 0,
  ): Promise<void> {
    const net = toRemoteNetwork(await this.refs.network(ref));
    const { supported } = await this.core.call(P.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, {
      feature: VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER,
    });
    const [command, section] = supported ? [change.command, change.section] : [change.section, change.command];
    await this.core.call(P.REMOTE_PROC_NETWORK_UPDATE, {
      net,
      command,
      section,
      parentIndex: change.parentIndex,
      xml: change.xml,
      flags,
    });
  }
}

/** libvirt_internal.h: the daemon takes virNetworkUpdate's command and section in the documented order. */
const VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER = 16;

/** "unknown procedure" (VIR_ERR_RPC) or VIR_ERR_NO_SUPPORT: the daemon predates the call. */
function isUnsupportedProcedure(error: LibvirtError): boolean {
  return error.code === 3 || (error.code === 39 && /unknown procedure/i.test(error.message));
}
