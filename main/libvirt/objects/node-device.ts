/** The host's devices as libvirt's node-device driver sees them (virNodeDevice*): PCI, USB, net, mdev… */
import { remoteProcedures as P } from '../protocol';
import type { LibvirtRpcCore } from './rpc-core';

export class NodeDeviceApi {
  constructor(private readonly core: LibvirtRpcCore) {}

  /** Device names (e.g. pci_0000_00_1f_2). flags: virConnectListAllNodeDeviceFlags (CAP_PCI_DEV, …; 0 = all). */
  async list(flags = 0): Promise<string[]> {
    const r = await this.core.call(P.REMOTE_PROC_CONNECT_LIST_ALL_NODE_DEVICES, { need_results: 1, flags: flags >>> 0 });
    return r.devices.map((device) => device.name);
  }

  async getXml(name: string, flags = 0): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_NODE_DEVICE_GET_XML_DESC, { name, flags })).xml;
  }

  /** Detaches a device from its host driver (for passthrough). `driverName` null = libvirt's choice (vfio). */
  async detach(name: string, driverName: string | null = null, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NODE_DEVICE_DETACH_FLAGS, { name, driverName, flags });
  }

  /** Gives a detached device back to its host driver. */
  async reattach(name: string): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NODE_DEVICE_RE_ATTACH, { name });
  }

  /**
   * Creates a transient device (virNodeDeviceCreateXML), e.g. a mediated device:
   * `<device><parent>pci_…</parent><capability type='mdev'><type id='…'/><uuid>…</uuid></capability></device>`.
   * libvirt hands mediated devices to `mdevctl` on the host. Returns the new device's name.
   * flags: virNodeDeviceCreateXMLFlags (VALIDATE).
   */
  async createXml(xml: string, flags = 0): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_NODE_DEVICE_CREATE_XML, { xml_desc: xml, flags })).dev.name;
  }

  /** Removes a device created with createXml or started from a definition (virNodeDeviceDestroy). */
  async destroy(name: string): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NODE_DEVICE_DESTROY, { name });
  }

  /** Removes a persistent (mdevctl-defined) device's definition (virNodeDeviceUndefine; flags 0). */
  async undefine(name: string): Promise<void> {
    await this.core.call(P.REMOTE_PROC_NODE_DEVICE_UNDEFINE, { name, flags: 0 });
  }
}
