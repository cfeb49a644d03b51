/**
 * A guest NIC (`<interface>`) on a libvirt network (with port group), a host bridge (optionally Open
 * vSwitch) or a host interface (macvtap), with MAC, model and VLAN tags — what the VM page's "Add
 * hardware → Network interface" form sends to virDomainAttachDeviceFlags.
 */
import type { NetworkVlan } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { checkIfname, checkMac } from './addresses';
import { vlanXml } from './network-builder';
import { attrs, indented } from './xml-text';

export type InterfaceSource =
  | { type: 'network'; network: string; portgroup: string | null }
  | { type: 'bridge'; bridge: string; openvswitch: boolean }
  | { type: 'direct'; dev: string; mode: 'bridge' | 'private' | 'vepa' | 'passthrough' };

export interface InterfaceDraft {
  source: InterfaceSource;
  /** null = libvirt picks one (52:54:00:…). */
  mac: string | null;
  /** virtio, e1000e, rtl8139…; null = the hypervisor's default. */
  model: string | null;
  vlan: NetworkVlan | null;
}

export function buildInterfaceXml(draft: InterfaceDraft): string {
  const { source } = draft;
  const lines: string[] = [];
  if (draft.mac) lines.push(`<mac address='${checkMac(draft.mac, 'mac')}'/>`);
  switch (source.type) {
    case 'network':
      if (!/^[A-Za-z0-9][A-Za-z0-9_.+:-]{0,63}$/.test(source.network)) throw new ApiFailure('invalid-request', `"${source.network}" is not a network name`, { field: 'network' });
      if (source.portgroup !== null && !/^[A-Za-z0-9_.:-]{1,64}$/.test(source.portgroup))
        throw new ApiFailure('invalid-request', `"${source.portgroup}" is not a port group name`, { field: 'portgroup' });
      lines.push(`<source${attrs({ network: source.network, portgroup: source.portgroup })}/>`);
      break;
    case 'bridge':
      lines.push(`<source bridge='${checkIfname(source.bridge, 'bridge')}'/>`);
      if (source.openvswitch) lines.push("<virtualport type='openvswitch'/>");
      break;
    case 'direct':
      lines.push(`<source dev='${checkIfname(source.dev, 'dev')}' mode='${source.mode}'/>`);
      break;
  }
  lines.push(...vlanXml(draft.vlan, 'vlan'));
  if (draft.model !== null) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(draft.model)) throw new ApiFailure('invalid-request', `"${draft.model}" is not a NIC model`, { field: 'model' });
    lines.push(`<model type='${draft.model}'/>`);
  }
  return [`<interface type='${source.type}'>`, ...indented(lines), '</interface>', ''].join('\n');
}
