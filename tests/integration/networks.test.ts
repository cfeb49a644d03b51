/**
 * Virtual networks against the lab's real libvirtd 9.0 over real SSH: create (VALIDATE, autostart, start)
 * and what libvirt stored, live DHCP-host and DNS changes that reach dnsmasq without restarting it
 * (virNetworkUpdate in the daemon's argument order), a failed start rolled back, the running-guest guard
 * on stop/delete, the guest index following domain events, a guest NIC's port group/VLAN edit, and the
 * host interfaces read over SSH. Everything created is named vd-test-net-* and removed.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LibvirtClient } from '../../main/libvirt/client';
import { virDomainDefineFlags, virDomainXMLFlags } from '../../main/libvirt/protocol';
import { connectSsh, type SshConnection } from '../../main/ssh';
import { guestIndexFor } from '../../main/services/networks/guest-index';
import { hostShellOf } from '../../main/services/networks/host-shell';
import { buildInterfaceXml } from '../../main/services/networks/interface-xml';
import {
  applyNetworkChange,
  createNetwork,
  deleteNetwork,
  hostInterfaces,
  listNetworks,
  networkDetails,
  previewNetworkChange,
  stopNetwork,
} from '../../main/services/networks/networks-service';
import { applyNicNetworkEditOnHost, planNicNetworkEdit } from '../../main/services/networks/nic-edit';
import type { NetworkDraft } from '../../preload/api-contract';
import { connectLabLibvirt } from '../support/lab-libvirt';
import { throwawayGuestXml } from '../support/throwaway-guest';
import { baseDraft } from '../unit/networks/helpers';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const NAT = 'vd-test-net-int-nat';
const OVS = 'vd-test-net-int-ovs';
const CLASH = 'vd-test-net-int-clash';
const GUEST = 'vd-test-net-int-guest';
const dnsmasqPid = (name: string) => {
  const file = `/run/libvirt/network/${name}.pid`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
};
const dnsmasqFile = (name: string, ext: string) => readFileSync(`/var/lib/libvirt/dnsmasq/${name}.${ext}`, 'utf8');

describe.skipIf(SKIP)(`virtual networks against the lab${SKIP_REASON}`, () => {
  let ssh: Client;
  let client: LibvirtClient;
  let appSsh: SshConnection;

  const cleanup = async () => {
    for (const name of [GUEST]) {
      const dom = await client.domain.lookup({ name }).catch(() => null);
      if (dom) {
        await client.domain.destroy(dom).catch(() => undefined);
        await client.domain.undefine(dom).catch(() => undefined);
      }
    }
    for (const name of [NAT, OVS, CLASH]) {
      const net = await client.network.lookup(name).catch(() => null);
      if (!net) continue;
      await client.network.destroy(net).catch(() => undefined);
      await client.network.undefine(net).catch(() => undefined);
    }
  };

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    ({ ssh, client } = await connectLabLibvirt(lab));
    appSsh = await connectSsh(
      { host: lab.ssh.host, user: lab.accounts.root.user, port: lab.ssh.port, identityFile: lab.accounts.root.identityFile },
      { knownHostsFiles: [lab.ssh.knownHostsFile], sshConfigFile: null },
    );
    await cleanup();
  });

  afterAll(async () => {
    if (!client) return;
    await cleanup();
    rmSync(`/tmp/${GUEST}.serial.log`, { force: true });
    for (const name of [NAT, OVS, CLASH]) expect(await client.network.lookup(name).catch(() => null)).toBeNull();
    await client.close();
    ssh?.end();
    appSsh?.close();
  });

  const natDraft: NetworkDraft = {
    ...baseDraft,
    name: NAT,
    bridgeName: 'vdtnint0',
    domainName: 'int.test',
    ipv4: { address: '10.251.30.1', prefix: 24, dhcp: { start: '10.251.30.100', end: '10.251.30.150' }, hosts: [{ mac: '52:54:00:30:00:01', id: null, name: 'one', ip: '10.251.30.11' }] },
    ipv6: { address: 'fd42:30::1', prefix: 64, dhcp: { start: 'fd42:30::100', end: 'fd42:30::1ff' }, hosts: [] },
    dnsHosts: [{ ip: '10.251.30.5', hostnames: ['printer'] }],
    autostart: true,
    start: true,
  };

  it('creates a NAT network with IPv6: defined with VALIDATE, autostart on, running, listed as built', async () => {
    const created = await createNetwork(client, natDraft);
    expect(created).toMatchObject({ name: NAT, active: true, persistent: true, autostart: true, forwardMode: 'nat', bridge: 'vdtnint0', domain: 'int.test', leaseCount: 0, guests: [] });
    expect(created.ips.map((ip) => `${ip.family} ${ip.address}/${ip.prefix}`)).toEqual(['ipv4 10.251.30.1/24', 'ipv6 fd42:30::1/64']);
    expect((await listNetworks(client)).map((n) => n.name)).toContain(NAT);
    expect(dnsmasqPid(NAT)).toMatch(/^\d+$/);
    // A name in use is refused: define would silently replace that network.
    await expect(createNetwork(client, natDraft)).rejects.toMatchObject({ code: 'conflict', field: 'name' });
  });

  it('live DHCP host and DNS entries: applied to the running network and its definition, dnsmasq not restarted', async () => {
    const pid = dnsmasqPid(NAT);
    const change = { kind: 'dhcpHost' as const, op: 'add' as const, ipIndex: 0, host: { mac: '52:54:00:30:00:02', id: null, name: 'two', ip: '10.251.30.12' } };
    expect(await previewNetworkChange(client, NAT, change)).toEqual({
      xml: "<host mac='52:54:00:30:00:02' name='two' ip='10.251.30.12'/>",
      section: 'ip-dhcp-host',
      command: 'add-last',
      affects: 'live+config',
    });
    const after = await applyNetworkChange(client, NAT, change);
    expect(after.ips[0]?.dhcpHosts.map((h) => h.name)).toEqual(['one', 'two']);
    expect(dnsmasqFile(NAT, 'hostsfile')).toContain('52:54:00:30:00:02,10.251.30.12,two');
    const inactive = await client.network.getXml({ name: NAT }, 1);
    expect(inactive).toContain("<host mac='52:54:00:30:00:02' name='two' ip='10.251.30.12'/>");

    await applyNetworkChange(client, NAT, { kind: 'dnsHost', op: 'add', host: { ip: '10.251.30.6', hostnames: ['nas', 'nas.int.test'] } });
    expect(dnsmasqFile(NAT, 'addnhosts')).toMatch(/10\.251\.30\.6\s+nas\s+nas\.int\.test/);
    await applyNetworkChange(client, NAT, { kind: 'dhcpHost', op: 'delete', ipIndex: 0, host: { mac: '52:54:00:30:00:01', id: null, name: null, ip: null } });
    expect(dnsmasqFile(NAT, 'hostsfile')).not.toContain('52:54:00:30:00:01');
    await applyNetworkChange(client, NAT, { kind: 'dnsHost', op: 'delete', host: { ip: '10.251.30.5', hostnames: [] } });
    const details = await networkDetails(client, NAT);
    expect(details.dns.hosts).toEqual([{ ip: '10.251.30.6', hostnames: ['nas', 'nas.int.test'] }]);
    expect(details.ips[0]?.dhcpHosts.map((h) => h.name)).toEqual(['two']);
    expect(dnsmasqPid(NAT)).toBe(pid);
    // What the app says about dnsmasq's host files matches their modes (0600 under a umask-077 libvirtd).
    const unreadable = ['hostsfile', 'addnhosts']
      .map((ext) => `/var/lib/libvirt/dnsmasq/${NAT}.${ext}`)
      .filter((file) => (statSync(file).mode & 0o004) === 0)
      .map((file) => `0${(statSync(file).mode & 0o777).toString(8)} ${file}`);
    expect((await networkDetails(client, NAT, hostShellOf(appSsh))).unreadableHostFiles).toEqual(unreadable);

    // libvirt's own refusal comes back as libvirt's error.
    await expect(applyNetworkChange(client, NAT, { kind: 'dhcpHost', op: 'add', ipIndex: 0, host: { mac: '52:54:00:30:00:02', id: null, name: 'dup', ip: '10.251.30.13' } })).rejects.toMatchObject({
      message: expect.stringMatching(/existing dhcp host entry/),
    });
  });

  it('a start that fails leaves nothing behind, with libvirt\'s reason', async () => {
    // The lab's eth0 already has 192.0.2.0/24: libvirt refuses to start a network on it.
    const eth0 = (await hostInterfaces(hostShellOf(appSsh))).interfaces.find((i) => i.carriesDefaultRoute && i.addresses.some((a) => a.family === 'ipv4'));
    const addr = eth0?.addresses.find((a) => a.family === 'ipv4');
    expect(addr).toBeDefined();
    const octets = addr!.address.split('.');
    const clash: NetworkDraft = { ...baseDraft, name: CLASH, mode: 'isolated', ipv4: { address: `${octets[0]}.${octets[1]}.${octets[2]}.${octets[3] === '250' ? '251' : '250'}`, prefix: addr!.prefix, dhcp: null, hosts: [] }, start: true };
    await expect(createNetwork(client, clash)).rejects.toMatchObject({ message: expect.stringMatching(/already in use|in use by interface/i) });
    expect(await client.network.lookup(CLASH).catch(() => null)).toBeNull();
  });

  it('an Open vSwitch network with trunk and access port groups is accepted by libvirt (defined, not started)', async () => {
    const created = await createNetwork(client, {
      ...baseDraft,
      name: OVS,
      mode: 'bridge',
      bridgeName: 'vdtnovs1',
      virtualport: 'openvswitch',
      vlan: { trunk: true, tags: [{ id: 10, nativeMode: 'untagged' }, { id: 20, nativeMode: null }] },
      portGroups: [
        { name: 'office', isDefault: true, vlan: { trunk: false, tags: [{ id: 10, nativeMode: null }] } },
        { name: 'lab', isDefault: false, vlan: { trunk: true, tags: [{ id: 20, nativeMode: null }, { id: 30, nativeMode: null }] } },
      ],
      start: false,
    });
    expect(created).toMatchObject({ active: false, virtualport: 'openvswitch', portGroups: [{ name: 'office', isDefault: true }, { name: 'lab' }] });
    // A port group changed on the definition of a stopped network (virNetworkUpdate CONFIG).
    const changed = await applyNetworkChange(client, OVS, { kind: 'portGroup', op: 'modify', portGroup: { name: 'lab', isDefault: false, vlan: { trunk: false, tags: [{ id: 40, nativeMode: null }] } } });
    expect(changed.portGroups[1]).toEqual({ name: 'lab', isDefault: false, vlan: { trunk: false, tags: [{ id: 40, nativeMode: null }] } });
    await deleteNetwork(client, OVS);
    expect(await client.network.lookup(OVS).catch(() => null)).toBeNull();
  });

  it('guests on a network come from domain events; stop and delete are refused while running guests use it', async () => {
    const lab = availability.available ? availability.lab : null;
    const base = await client.domain.getXml({ name: 'vd-off-1' }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE);
    const nic = buildInterfaceXml({ source: { type: 'network', network: NAT, portgroup: null }, mac: '52:54:00:30:00:09', model: 'virtio', vlan: null });
    await guestIndexFor(client).guests(); // loaded before the guest exists: only events can tell
    const dom = await client.domain.define(
      throwawayGuestXml(base, { name: GUEST, stateDir: lab!.stateDir, serialLog: `/tmp/${GUEST}.serial.log`, devices: [nic], networkImage: true }),
      virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE,
    );
    await expect.poll(async () => (await listNetworks(client)).find((n) => n.name === NAT)?.guests.map((g) => `${g.name} ${g.running}`), { timeout: 10_000 }).toEqual([`${GUEST} false`]);
    await client.domain.start(dom);
    await expect.poll(async () => (await listNetworks(client)).find((n) => n.name === NAT)?.guests[0]?.running, { timeout: 10_000 }).toBe(true);

    await expect(stopNetwork(client, NAT)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(GUEST) });
    await expect(deleteNetwork(client, NAT, ['someone-else'])).rejects.toMatchObject({ code: 'conflict' });
    expect(await client.network.isActive({ name: NAT })).toBe(true);

    // The guest's DHCP client gets the lease libvirt reports.
    await expect.poll(async () => (await networkDetails(client, NAT)).leases.map((l) => `${l.mac} ${l.hostname}`), { timeout: 60_000, interval: 1_000 }).toContain(
      `52:54:00:30:00:09 ${GUEST}`,
    );

    await client.domain.destroy(dom);
    // Its NIC's port group and VLAN: only that <interface> changes in the definition.
    const plan = await planNicNetworkEdit(client, dom.uuid, { mac: '52:54:00:30:00:09', portgroup: null, vlan: { trunk: false, tags: [{ id: 7, nativeMode: null }] } });
    expect(plan.diff).toContain("+      <vlan>\n+        <tag id='7'/>\n+      </vlan>");
    await applyNicNetworkEditOnHost(client, dom.uuid, { mac: '52:54:00:30:00:09', portgroup: null, vlan: { trunk: false, tags: [{ id: 7, nativeMode: null }] } }, plan.version);
    expect(await client.domain.getXml(dom, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE)).toMatch(/<vlan>\s*<tag id='7'\/>\s*<\/vlan>/);
    await expect(applyNicNetworkEditOnHost(client, dom.uuid, { mac: '52:54:00:30:00:09', portgroup: null, vlan: null }, plan.version)).rejects.toMatchObject({ code: 'conflict' });
    await expect.poll(async () => (await listNetworks(client)).find((n) => n.name === NAT)?.guests[0]?.vlan, { timeout: 10_000 }).toEqual({ trunk: false, tags: [{ id: 7, nativeMode: null }] });
    await client.domain.undefine(dom);

    await stopNetwork(client, NAT);
    expect(await client.network.isActive({ name: NAT })).toBe(false);
    await deleteNetwork(client, NAT);
    expect(await client.network.lookup(NAT).catch(() => null)).toBeNull();
  });

  it('host interfaces over the SSH connection: the lab connection runs over lo; the default route has its NIC', async () => {
    const report = await hostInterfaces(hostShellOf(appSsh));
    expect(report.sshConnection).toMatchObject({ serverIp: '127.0.0.1', carriers: ['lo'] });
    const defaults = report.interfaces.filter((i) => i.carriesDefaultRoute);
    expect(defaults.length).toBeGreaterThan(0);
    expect(report.defaultRoutes.map((r) => r.dev)).toContain(defaults[0]?.name);
    expect(report.interfaces.find((i) => i.name === 'lo')).toMatchObject({ kind: 'loopback', carriesSsh: true });
  });
});
