/**
 * Host devices against the lab over real SSH: the list matches /sys/bus/pci/devices and
 * /sys/kernel/iommu_groups (or says the IOMMU is off, with the evidence); the `<hostdev>` built for a real
 * PCI device of this machine is accepted by libvirt's VALIDATE on a shut-off guest (and a broken one is
 * not); the NIC that carries VirtDeck's SSH connection is refused with that reason when the connection
 * arrives on it (a throwaway sshd on that NIC's address) and not when it arrives over loopback.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LibvirtClient } from '../../main/libvirt/client';
import { virDomainDefineFlags, virDomainXMLFlags } from '../../main/libvirt/protocol';
import { connectSsh, type SshConnection } from '../../main/ssh';
import { attachHostDevice, listHostDevices } from '../../main/services/host-devices/host-devices-service';
import { buildHostdevXml } from '../../main/services/host-devices/hostdev-xml';
import { hostShellOf } from '../../main/services/networks/host-shell';
import { connectLabLibvirt } from '../support/lab-libvirt';
import { throwawayGuestXml } from '../support/throwaway-guest';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;
const GUEST = 'vd-test-net-hostdev';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

describe.skipIf(SKIP)(`host devices against the lab${SKIP_REASON}`, () => {
  let ssh: Client;
  let client: LibvirtClient;
  let appSsh: SshConnection;

  const removeGuest = async () => {
    const dom = await client.domain.lookup({ name: GUEST }).catch(() => null);
    if (dom) await client.domain.undefine(dom);
  };

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    ({ ssh, client } = await connectLabLibvirt(lab));
    appSsh = await connectSsh(
      { host: lab.ssh.host, user: lab.accounts.root.user, port: lab.ssh.port, identityFile: lab.accounts.root.identityFile },
      { knownHostsFiles: [lab.ssh.knownHostsFile], sshConfigFile: null },
    );
    await removeGuest();
  });

  afterAll(async () => {
    if (!client) return;
    await removeGuest();
    await client.close();
    ssh?.end();
    appSsh?.close();
  });

  it('the list matches /sys/bus/pci/devices and /sys/kernel/iommu_groups, or says the IOMMU is off', async () => {
    const report = await listHostDevices(client, hostShellOf(appSsh));
    const sysPci = readdirSync('/sys/bus/pci/devices').sort();
    expect(report.pci.map((p) => p.address).sort()).toEqual(sysPci);
    for (const device of report.pci) {
      const driver = (() => {
        try {
          return basename(readlinkSync(`/sys/bus/pci/devices/${device.address}/driver`));
        } catch {
          return null;
        }
      })();
      expect(device.driver, device.address).toBe(driver);
    }
    const groups = readdirSync('/sys/kernel/iommu_groups');
    if (groups.length === 0) {
      expect(report.iommu).toMatchObject({ enabled: false, groups: 0 });
      expect(report.iommu.evidence).toContain('/sys/kernel/iommu_groups: 0 group(s)');
      expect(report.pci.every((p) => !p.passthrough.possible && p.passthrough.reasons.some((r) => r.code === 'iommu-off'))).toBe(true);
      expect(report.groups).toEqual([]);
    } else {
      expect(report.iommu.enabled).toBe(true);
      const expected = groups.map((g) => ({ number: Number(g), devices: readdirSync(`/sys/kernel/iommu_groups/${g}/devices`).sort() })).sort((a, b) => a.number - b.number);
      expect(report.groups.map(({ number, devices }) => ({ number, devices }))).toEqual(expected);
    }
    expect(report.sysfsAgreement).toEqual({ agrees: true, differences: [] });
    // Names from the host's pci.ids (the lab installs it): a virtio device's vendor is Red Hat.
    if (report.pci.some((p) => p.vendorId === '1af4')) expect(report.pci.find((p) => p.vendorId === '1af4')?.vendorName).toBe('Red Hat, Inc.');
  });

  it("the hostdev XML for a real PCI device is accepted by libvirt's VALIDATE on a shut-off guest; a broken one is not", async () => {
    const lab = availability.available ? availability.lab : null;
    const report = await listHostDevices(client, hostShellOf(appSsh));
    const device = report.pci.find((p) => !p.isBridge && p.netInterfaces.length === 0) ?? report.pci.find((p) => !p.isBridge);
    expect(device).toBeDefined();
    const hostdev = buildHostdevXml({ type: 'pci', address: device!.address });
    const base = await client.domain.getXml({ name: 'vd-off-1' }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE);
    const xml = throwawayGuestXml(base, { name: GUEST, stateDir: lab!.stateDir, serialLog: `/tmp/${GUEST}.serial.log`, devices: [hostdev] });
    const dom = await client.domain.define(xml, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
    const stored = await client.domain.getXml(dom, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE);
    const [domainPart, bus, slot, fn] = device!.address.split(/[:.]/);
    expect(stored).toContain(`<address domain='0x${domainPart}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/>`);
    expect(stored).toMatch(/<hostdev mode='subsystem' type='pci' managed='yes'>/);
    // The guest now holds it (read back through the guest index, after libvirt's define event).
    await expect.poll(async () => (await listHostDevices(client, hostShellOf(appSsh))).pci.find((p) => p.address === device!.address)?.heldBy.map((h) => h.name), { timeout: 10_000 }).toEqual([GUEST]);
    await client.domain.undefine(dom);

    const broken = xml.replace(hostdev.trim(), "<hostdev mode='subsystem' type='pci' managed='maybe'><source><address domain='0x0000' bus='0x00'/></source></hostdev>");
    await expect(client.domain.define(broken, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE)).rejects.toThrow(/XML document failed to validate|Invalid value/i);
    expect(await client.domain.lookup({ name: GUEST }).catch(() => null)).toBeNull();
  });

  it('refuses passthrough: IOMMU off on the lab, and the NIC carrying the SSH connection when it arrives on it', async () => {
    // Over the lab's loopback sshd: no PCI device carries the SSH connection.
    const loopback = await listHostDevices(client, hostShellOf(appSsh));
    expect(loopback.pci.filter((p) => p.passthrough.reasons.some((r) => r.code === 'ssh-connection'))).toEqual([]);

    // A throwaway sshd on the address of the interface with the default route (a real PCI NIC here).
    const nic = loopback.pci.find((p) => p.passthrough.reasons.some((r) => r.code === 'default-route'));
    expect(nic, 'the lab has a PCI NIC with the default route').toBeDefined();
    const iface = nic!.netInterfaces[0]!;
    const routes = JSON.parse(spawnSync('ip', ['-j', 'addr', 'show', 'dev', iface], { encoding: 'utf8' }).stdout) as Array<{ addr_info: Array<{ family: string; local: string; scope: string }> }>;
    const address = routes[0]?.addr_info.find((a) => a.family === 'inet' && a.scope === 'global')?.local;
    expect(address).toBeDefined();
    const lab = availability.available ? availability.lab : null;
    const dir = mkdtempSync(join(tmpdir(), 'vd-test-net-sshd-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        `ListenAddress ${address}`,
        `HostKey ${lab!.stateDir}/ssh/ssh_host_ed25519_key`,
        `PidFile ${dir}/sshd.pid`,
        `AuthorizedKeysFile ${lab!.stateDir}/authorized_keys/%u`,
        // Only from this machine itself (the client's address is the NIC's own).
        `AllowUsers root@${address}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'X11Forwarding no',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'known_hosts'), `[${address}]:${port} ${lab!.ssh.hostKey}\n`);
    const started = spawnSync('/usr/sbin/sshd', ['-f', join(dir, 'sshd_config'), '-E', join(dir, 'log')], { encoding: 'utf8' });
    expect(started.status, started.stderr).toBe(0);
    let viaNic: SshConnection | null = null;
    try {
      viaNic = await connectSsh({ host: address!, user: 'root', port, identityFile: lab!.accounts.root.identityFile }, { knownHostsFiles: [join(dir, 'known_hosts')], sshConfigFile: null });
      const report = await listHostDevices(client, hostShellOf(viaNic));
      const refused = report.pci.find((p) => p.address === nic!.address)!;
      expect(refused.passthrough.possible).toBe(false);
      expect(refused.passthrough.reasons.find((r) => r.code === 'ssh-connection')).toEqual({ severity: 'block', code: 'ssh-connection', values: { interfaces: iface } });
      expect(report.pci.filter((p) => p.passthrough.reasons.some((r) => r.code === 'ssh-connection')).map((p) => p.address)).toEqual([nic!.address]);
      // Giving it to a guest is refused with the reasons, before libvirt is asked.
      const off1 = (lab!.guests as Array<{ name: string; uuid?: string }>).find((g) => g.name === 'vd-off-1')!.uuid!;
      await expect(attachHostDevice(client, hostShellOf(viaNic), { uuid: off1, device: { kind: 'pci', name: nic!.name }, live: false, config: true })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining("carries VirtDeck's own SSH connection"),
      });
    } finally {
      viaNic?.close();
      spawnSync('sh', ['-c', `kill $(cat ${dir}/sshd.pid)`]);
      rmSync(dir, { recursive: true, force: true });
    }
    const off1 = (lab!.guests as Array<{ name: string; uuid?: string }>).find((g) => g.name === 'vd-off-1')!.uuid!;
    expect(await client.domain.getXml({ uuid: off1 }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE)).not.toContain('<hostdev');
  });
});
