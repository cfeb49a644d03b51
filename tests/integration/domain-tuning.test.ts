/**
 * The tuning service against the lab's real libvirtd over real SSH: the context (host topology with
 * free hugepages from NODE_GET_FREE_PAGES), previews that change nothing, refusals that change nothing,
 * an applied change read back, the emulator pinned live through REMOTE_PROC_DOMAIN_PIN_EMULATOR, and the
 * advisor on the lab host. Every definition touched is put back as it was.
 */
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LibvirtClient } from '../../main/libvirt/client';
import { virDomainXMLFlags } from '../../main/libvirt/protocol';
import { readPersistent } from '../../main/services/domain-xml/domain-xml-store';
import { tuningAdvice, tuningApply, tuningContext, tuningPreview } from '../../main/services/domain-tuning/tuning-service';
import { connectLabLibvirt } from '../support/lab-libvirt';
import { DEFAULT_SETTINGS } from '../../main/services/settings/settings-store';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

describe.skipIf(SKIP)(`domain tuning against the lab${SKIP_REASON}`, () => {
  let ssh: Client;
  let client: LibvirtClient;
  const uuidOf = (name: string) => {
    const guest = availability.available ? (availability.lab.guests as Array<{ name: string; uuid?: string }>).find((g) => g.name === name) : undefined;
    if (!guest?.uuid) throw new Error(`lab.json has no uuid for ${name}`);
    return guest.uuid;
  };
  const originals = new Map<string, string>();
  const remember = async (uuid: string) => {
    if (!originals.has(uuid)) originals.set(uuid, await readPersistent(client, uuid));
    return originals.get(uuid) as string;
  };

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    ({ ssh, client } = await connectLabLibvirt(lab));
  });

  afterAll(async () => {
    if (!client) return;
    for (const [uuid, xml] of originals) {
      if ((await readPersistent(client, uuid)) !== xml) await client.domain.define(xml);
      expect(await readPersistent(client, uuid)).toBe(xml);
    }
    await client.close();
    ssh?.end();
  });

  it('context: the lab host topology, free hugepages and the running guest', async () => {
    const context = await tuningContext(client, uuidOf('vd-vnc-1'));
    expect(context.running).toBe(true);
    expect(context.host.threads).toBe(2);
    expect(context.host.cells).toHaveLength(1);
    expect(context.host.cells[0]?.cpus.map((c) => c.id)).toEqual([0, 1]);
    // NODE_GET_FREE_PAGES answered: the free count is known (the lab has no 2 MiB pool).
    expect(context.host.cells[0]?.pages.find((p) => p.sizeKiB === 2048)).toEqual({ sizeKiB: 2048, total: 0, free: 0 });
    expect(context.live).toMatchObject({ vcpus: 1, maxVcpus: 1, balloonModel: 'none' });
    expect(context.live?.vcpuPins).toHaveLength(1);
    expect(context.state.memory.balloonModel).toBe('none');
  });

  it('preview shows the diff and changes nothing; bad input and stale edits are refused', async () => {
    const uuid = uuidOf('vd-off-1');
    const basedOn = await remember(uuid);
    const context = await tuningContext(client, uuid);
    const preview = await tuningPreview(client, uuid, { ...context.state.memory, maxKiB: 262144, currentKiB: 262144 }, basedOn);
    expect(preview.diff).toContain("+  <memory unit='KiB'>262144</memory>");
    expect(preview.plan.applies).toBe('next-boot');
    expect(await readPersistent(client, uuid)).toBe(basedOn);

    await expect(tuningApply(client, uuid, { ...context.state.cpu, vcpus: 3 }, basedOn)).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(tuningApply(client, uuid, context.state.cpu, basedOn.replace('</domain>', '<!-- x --></domain>'))).rejects.toMatchObject({ code: 'conflict' });
    // A hugepage size the host lacks is refused before anything is defined.
    await expect(tuningApply(client, uuid, { ...context.state.memory, hugepages: { sizeKiB: 16 } }, basedOn)).rejects.toMatchObject({ code: 'invalid-request' });
    expect(await readPersistent(client, uuid)).toBe(basedOn);
  });

  it('apply: a CPU change on the shut-off guest is defined and reads back', async () => {
    const uuid = uuidOf('vd-off-1');
    const basedOn = await remember(uuid);
    const context = await tuningContext(client, uuid);
    const result = await tuningApply(client, uuid, { ...context.state.cpu, vcpus: 1, maxVcpus: 2, topology: { sockets: 1, cores: 2, threads: 1 } }, basedOn);
    expect(result.live).toEqual([]);
    expect(result.xml).toContain("<vcpu placement='static' current='1'>2</vcpu>");
    expect(result.xml).toMatch(/<topology sockets='1' (dies='1' (clusters='1' )?)?cores='2' threads='1'\/>/);
    expect(await readPersistent(client, uuid)).toBe(result.xml);
  });

  it('pinning the emulator of a running guest applies live and persists', async () => {
    const uuid = uuidOf('vd-vnc-1');
    const basedOn = await remember(uuid);
    const context = await tuningContext(client, uuid);
    const result = await tuningApply(client, uuid, { ...context.state.pinning, emulator: '1' }, basedOn);
    expect(result.live).toEqual([{ call: { call: 'pinEmulator', cpus: [1] }, ok: true }]);
    expect(result.xml).toContain("<emulatorpin cpuset='1'/>");
    expect(await client.domain.getXml({ uuid }, 0)).toContain("<emulatorpin cpuset='1'/>");
    // Unpin: live back to every host CPU, persistent pin removed.
    const unpinned = await tuningApply(client, uuid, { ...context.state.pinning, emulator: null }, result.xml);
    expect(unpinned.live).toEqual([{ call: { call: 'pinEmulator', cpus: [0, 1] }, ok: true }]);
    expect(unpinned.xml).not.toContain('emulatorpin');
    expect(await client.domain.getXml({ uuid }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE)).not.toContain('emulatorpin');
  });

  it('a running guest with room to grow: vCPU hot-plug and the balloon change apply live, and persist', async () => {
    // A throwaway guest from vd-off-1's definition: no disk, 1 of 2 vCPUs, a virtio balloon.
    const name = 'vd-test-hotplug';
    const xml = (await readPersistent(client, uuidOf('vd-off-1')))
      .replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`)
      .replace(/<uuid>[^<]*<\/uuid>\s*/, '')
      .replace(/<disk[\s\S]*?<\/disk>\s*/g, '')
      .replace(/<log [^>]*\/>\s*/g, '')
      .replace(/<vcpu[^>]*>\d+<\/vcpu>/, "<vcpu placement='static' current='1'>2</vcpu>")
      .replace(/<memballoon model='none'\s*\/>/, "<memballoon model='virtio'/>");
    expect(xml).toContain("<memballoon model='virtio'/>");
    const domain = await client.domain.define(xml, 0);
    try {
      await client.domain.start({ uuid: domain.uuid });
      const context = await tuningContext(client, domain.uuid);
      const cpu = await tuningApply(client, domain.uuid, { ...context.state.cpu, vcpus: 2 }, await readPersistent(client, domain.uuid));
      expect(cpu.live).toEqual([{ call: { call: 'setVcpus', count: 2 }, ok: true }]);
      expect(await client.domain.getXml({ uuid: domain.uuid }, 0)).toMatch(/<vcpu placement='static'>2<\/vcpu>/);
      expect(cpu.xml).toMatch(/<vcpu placement='static'>2<\/vcpu>/);

      const memory = await tuningContext(client, domain.uuid);
      const smaller = memory.state.memory.currentKiB - 16 * 1024;
      const balloon = await tuningApply(client, domain.uuid, { ...memory.state.memory, currentKiB: smaller }, cpu.xml);
      expect(balloon.live).toEqual([{ call: { call: 'setMemory', kib: smaller }, ok: true }]);
      expect(balloon.xml).toContain(`<currentMemory unit='KiB'>${smaller}</currentMemory>`);
    } finally {
      await client.domain.destroy({ uuid: domain.uuid }).catch(() => undefined);
      await client.domain.undefine({ uuid: domain.uuid });
    }
  }, 60_000);

  it('advisor on the lab: vCPU overcommit of a 2-CPU host and the missing balloon', async () => {
    const findings = await tuningAdvice(client, uuidOf('vd-off-2'), DEFAULT_SETTINGS.advisor);
    const overcommit = findings.find((f) => f.rule === 'vcpu-overcommit');
    expect(overcommit?.values).toMatchObject({ threads: 2, mine: 1, limit: 1.6 });
    expect(Number(overcommit?.values.others)).toBeGreaterThanOrEqual(1);
    expect(findings.find((f) => f.rule === 'no-balloon')?.fix).toMatchObject({ form: 'memory', balloonModel: 'virtio' });
    // The lab's RAM is far from 70 % used.
    expect(findings.map((f) => f.rule)).not.toContain('memory-overcommit');
  });

  it('advisor on the lab: the memory rule counts the running guests (a threshold of 1 % of the host)', async () => {
    const running = (await client.domain.inventory()).filter((d) => d.state === 1 || d.state === 3);
    const othersKiB = running.reduce((sum, d) => sum + (d.memory?.currentKiB ?? 0), 0);
    expect(running.length).toBeGreaterThanOrEqual(3);
    const findings = await tuningAdvice(client, uuidOf('vd-off-2'), { ...DEFAULT_SETTINGS.advisor, memoryShare: 0.01 });
    const memory = findings.find((f) => f.rule === 'memory-overcommit');
    expect(memory?.values).toMatchObject({ othersMiB: Math.round(othersKiB / 1024), mineMiB: 160, ratio: 0.01 });
    expect(Number(memory?.values.totalMiB)).toBe(Number(memory?.values.othersMiB) + 160);
    // The others alone exceed 1 % of the host: shrinking this guest cannot fix it, so no fix is offered.
    expect(memory?.fix).toBeNull();
  });
});
