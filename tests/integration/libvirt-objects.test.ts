/**
 * The object modules that no service uses yet, against the lab's real libvirtd over real SSH: node
 * devices, secrets and checkpoints (the groundwork of host devices, encrypted volumes and incremental
 * backups). Everything made here is removed again.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LibvirtError, type LibvirtClient, type StoragePool } from '../../main/libvirt/client';
import { virDomainUndefineFlagsValues, virDomainXMLFlags, virStoragePoolCreateFlags } from '../../main/libvirt/protocol';
import { connectLabLibvirt } from '../support/lab-libvirt';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

describe.skipIf(SKIP)(`libvirt object modules against the lab${SKIP_REASON}`, () => {
  let ssh: Client;
  let client: LibvirtClient;

  beforeAll(async () => {
    if (!availability.available) return;
    ({ ssh, client } = await connectLabLibvirt(availability.lab));
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    ssh?.end();
  });

  it('node devices: the list has the host itself ("computer") and its XML', async () => {
    const names = await client.nodeDevice.list();
    expect(names).toContain('computer');
    const xml = await client.nodeDevice.getXml('computer');
    expect(xml).toMatch(/<device>\s*<name>computer<\/name>/);
    await expect(client.nodeDevice.getXml('vd-no-such-device')).rejects.toBeInstanceOf(LibvirtError);
  });

  it('secrets: define, set a value, list, read the XML, undefine', async () => {
    const uuid = randomUUID();
    const usage = `/var/tmp/vd-test-secret-${randomBytes(3).toString('hex')}.qcow2`;
    const secret = await client.secret.define(
      `<secret ephemeral='no' private='yes'><uuid>${uuid}</uuid><usage type='volume'><volume>${usage}</volume></usage></secret>`,
    );
    try {
      expect(secret).toEqual({ uuid, usageType: 1, usageId: usage });
      await client.secret.setValue(secret, new TextEncoder().encode('passphrase'));
      expect((await client.secret.list()).map((s) => s.uuid)).toContain(uuid);
      expect(await client.secret.lookup(uuid)).toEqual(secret);
      expect(await client.secret.getXml(secret)).toContain(`<volume>${usage}</volume>`);
    } finally {
      await client.secret.undefine(secret);
    }
    expect((await client.secret.list()).map((s) => s.uuid)).not.toContain(uuid);
  });

  it('checkpoints: create on a running guest with a qcow2 disk, list, read, delete', async () => {
    const tag = randomBytes(3).toString('hex');
    const dir = `/var/tmp/vd-test-ckpt-${tag}`;
    const name = `vd-test-ckpt-${tag}`;
    let pool: StoragePool | null = null;
    let uuid: string | null = null;
    try {
      pool = await client.storagePool.create(
        `<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`,
        virStoragePoolCreateFlags.VIR_STORAGE_POOL_CREATE_WITH_BUILD,
      );
      const volume = await client.storageVolume.create(
        pool,
        `<volume><name>disk.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/><compat>1.1</compat></target></volume>`,
      );
      // The lab's own guest (kernel + initramfs), with the qcow2 volume as its disk (compat 1.1: QEMU
      // stores no persistent dirty bitmaps in libvirt's default qcow2 v2).
      const offGuest = (availability.available ? availability.lab.guests : []).find((g) => g.name === 'vd-off-1');
      const base = await client.domain.getXml({ uuid: String(offGuest?.uuid) }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE);
      const xml = base
        .replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`)
        .replace(/<uuid>[^<]*<\/uuid>\s*/, '')
        .replace(/<disk[\s\S]*?<\/disk>\s*/g, '')
        .replace(/<log [^>]*\/>\s*/g, '')
        .replace(
          '<devices>',
          `<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${volume.key}'/><target dev='vda' bus='virtio'/></disk>`,
        );
      const domain = await client.domain.define(xml);
      uuid = domain.uuid;
      await client.domain.start({ uuid });
      const created = await client.checkpoint.create({ uuid }, `<domaincheckpoint><name>ck1</name><description>groundwork</description></domaincheckpoint>`);
      expect(created).toBe('ck1');
      expect(await client.checkpoint.list({ uuid })).toEqual(['ck1']);
      const ckXml = await client.checkpoint.getXml({ uuid }, 'ck1');
      expect(ckXml).toContain('<description>groundwork</description>');
      expect(ckXml).toMatch(/<disk name='vda' checkpoint='bitmap'/);
      await client.checkpoint.delete({ uuid }, 'ck1');
      expect(await client.checkpoint.list({ uuid })).toEqual([]);
    } finally {
      if (uuid) {
        await client.domain.destroy({ uuid }).catch(() => undefined);
        await client.domain
          .undefine({ uuid, name }, virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA)
          .catch(() => undefined);
      }
      if (pool) {
        for (const volume of await client.storagePool.listVolumes(pool).catch(() => [])) await client.storageVolume.delete(volume).catch(() => undefined);
        await client.storagePool.destroy(pool).catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true }); // the lab host is this machine
    }
  }, 120_000);
});
