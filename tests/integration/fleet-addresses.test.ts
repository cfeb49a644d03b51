/**
 * Guest addresses on the fleet tick (LibvirtHostLink's fleet port) against the lab's libvirt: which of
 * libvirt's address sources are asked, counted on the real client.
 *  - A running guest whose definition has no guest-agent channel (the lab's vd-vnc-1): libvirt answers the
 *    agent source with VIR_ERR_ARGUMENT_UNSUPPORTED ("QEMU guest agent is not configured"); from then on
 *    only the DHCP leases are asked, until a lifecycle event for that guest (here: redefined with its own
 *    definition) makes the next lookup ask the agent again.
 *  - The guest with a real qemu-ga (vd-agent-1) has its agent asked on every lookup.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LibvirtClient } from '../../main/libvirt/client';
import { virDomainInterfaceAddressesSource as Source } from '../../main/libvirt/protocol';
import type { SshConnection } from '../../main/ssh';
import { LibvirtHostLink } from '../../main/services/connections/libvirt-host-link';
import { connectLabAsApp } from '../support/clone-lab';
import { virsh } from '../support/lab';

const availability = inject('lab');
const agentGuest = availability.available ? availability.lab.agent?.find((g) => g.running) : undefined;
const SKIP = !availability.available;
const NO_CHANNEL = 'vd-vnc-1';

describe.skipIf(SKIP)(`guest addresses on the fleet tick${SKIP ? ` (skipped: ${(availability as { reason: string }).reason})` : ''}`, () => {
  let ssh: SshConnection;
  let libvirt: LibvirtClient;
  let link: LibvirtHostLink;
  let unsubscribe = () => {};
  const events: Array<{ uuid: string; kind: string }> = [];
  let asked: Array<{ uuid: string; source: number }> = [];

  beforeAll(async () => {
    if (!availability.available) return;
    ({ ssh, libvirt } = await connectLabAsApp(availability.lab));
    const info = await libvirt.host.connectInfo();
    link = new LibvirtHostLink('lab', ssh, libvirt, {
      hostname: info.hostname,
      libvirtVersion: info.libVersion,
      hypervisorVersion: info.hypervisorVersion,
      transport: 'ssh-socket',
    });
    unsubscribe = link.fleet.onDomainEvent((event) => events.push(event));
    const real = libvirt.domain.interfaceAddresses.bind(libvirt.domain);
    vi.spyOn(libvirt.domain, 'interfaceAddresses').mockImplementation(async (ref, source, ...rest) => {
      asked.push({ uuid: String(ref.uuid), source: Number(source) });
      return real(ref, source, ...rest);
    });
    // The subscription is in place once a round trip after it has been answered.
    await libvirt.host.connectInfo();
  }, 60_000);

  afterAll(async () => {
    unsubscribe();
    await libvirt?.close().catch(() => undefined);
    ssh?.close();
  });

  const sources = (uuid: string) => asked.filter((a) => a.uuid === uuid).map((a) => a.source);

  it('a guest without an agent channel: the agent is asked once, then only the leases until a lifecycle event', async () => {
    const uuid = virsh('domuuid', NO_CHANNEL).trim();
    expect(virsh('dumpxml', NO_CHANNEL)).not.toContain('org.qemu.guest_agent');
    asked = [];
    await link.fleet.domainAddresses!(uuid);
    expect(sources(uuid)).toEqual([Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE]);
    const agentCall = vi.mocked(libvirt.domain.interfaceAddresses).mock.results.at(-2);
    await expect(agentCall!.value).rejects.toMatchObject({ codeName: 'VIR_ERR_ARGUMENT_UNSUPPORTED' });

    asked = [];
    await link.fleet.domainAddresses!(uuid);
    await link.fleet.domainAddresses!(uuid);
    expect(sources(uuid)).toEqual([Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE]);

    // Redefined with its own definition: libvirt sends a 'defined' lifecycle event for it.
    const dir = mkdtempSync(join(tmpdir(), 'vd-addr-'));
    try {
      writeFileSync(join(dir, 'd.xml'), virsh('dumpxml', '--inactive', '--security-info', NO_CHANNEL));
      virsh('define', join(dir, 'd.xml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expect.poll(() => events.some((e) => e.uuid === uuid && e.kind === 'defined'), { timeout: 10_000 }).toBe(true);
    asked = [];
    await link.fleet.domainAddresses!(uuid);
    expect(sources(uuid)).toEqual([Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE]);
  }, 60_000);

  const noAgentGuest = agentGuest ? '' : ' (skipped: lab.json lists no running agent guest; run tests/lab/lab.sh up with VIRTDECK_LAB_AGENT_GUESTS >= 1)';
  it.skipIf(!agentGuest)(`the guest with a real agent: its agent is asked on every lookup${noAgentGuest}`, async () => {
    const uuid = virsh('domuuid', agentGuest!.name).trim();
    asked = [];
    await link.fleet.domainAddresses!(uuid);
    await link.fleet.domainAddresses!(uuid);
    expect(sources(uuid).filter((s) => s === Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)).toHaveLength(2);
  }, 60_000);
});
