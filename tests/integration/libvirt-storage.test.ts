/**
 * Volume upload/download streams against the lab's REAL libvirtd over REAL SSH (operator account):
 * a transient `dir` pool in a fresh directory on the lab host, a raw volume, 6 MiB uploaded through
 * the write stream (many 256 KiB packets, finish handshake), downloaded back byte-identical, then a
 * sparse download (VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) that reports the unwritten tail as a hole.
 * Everything is removed afterwards (volume, pool, directory).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  LibvirtClient,
  isStreamHole,
  type RpcStream,
  type StoragePool,
  type StorageVol,
} from '../../main/libvirt/client';
import { virStoragePoolCreateFlags, virStorageVolDownloadFlags } from '../../main/libvirt/protocol';
import { connectSsh, virtSshHelperDialer } from '../bench/ssh-transport';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const MiB = 1024 * 1024;

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function readAll(stream: RpcStream): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const c of stream) items.push(c);
  return items;
}

describe.skipIf(SKIP)(`libvirt volume streams over real SSH${SKIP_REASON}`, () => {
  let ssh: Client;
  let client: LibvirtClient;
  const tag = randomBytes(3).toString('hex');
  const dir = `/var/tmp/vd-test-pool-${tag}`;
  let pool: StoragePool | null = null;
  let vol: StorageVol | null = null;
  const payload = randomBytes(6 * MiB);

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    const acct = lab.accounts.operator;
    ssh = await connectSsh({
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: acct.user,
      privateKey: readFileSync(acct.identityFile),
      knownHostsFile: lab.ssh.knownHostsFile,
    });
    client = new LibvirtClient({ dial: virtSshHelperDialer(ssh, lab.libvirtUri), callTimeoutMs: 30_000 });
    await client.connect();
    pool = await client.storagePool.create(
      `<pool type='dir'><name>vd-test-pool-${tag}</name><target><path>${dir}</path></target></pool>`,
      virStoragePoolCreateFlags.VIR_STORAGE_POOL_CREATE_WITH_BUILD,
    );
    vol = await client.storageVolume.create(
      pool,
      `<volume><name>data.raw</name><capacity unit='bytes'>${8 * MiB}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`,
    );
  }, 60_000);

  afterAll(async () => {
    try {
      if (vol) await client.storageVolume.delete(vol).catch(() => {});
      if (pool) await client.storagePool.destroy(pool).catch(() => {});
      await client?.close();
    } finally {
      ssh?.end();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the pool and volume are listed with their info', async () => {
    const pools = await client.storagePool.list();
    expect(pools.map((p) => p.name)).toContain(`vd-test-pool-${tag}`);
    const vols = await client.storagePool.listVolumes(pool as StoragePool);
    expect(vols.map((v) => v.name)).toEqual(['data.raw']);
    const info = await client.storageVolume.getInfo(vol as StorageVol);
    expect(info.capacity).toBe(BigInt(8 * MiB));
    expect(await client.storageVolume.getXml(vol as StorageVol)).toContain('<name>data.raw</name>');
    expect(await client.storageVolume.lookup({ path: (vol as StorageVol).key })).toEqual(vol);
  });

  it('uploads 6 MiB through the write stream; finish is confirmed by the daemon', async () => {
    const up = await client.streams.volumeUpload(vol as StorageVol, {
      offset: 0n,
      length: BigInt(payload.length),
    });
    const finished = new Promise<void>((resolve, reject) => {
      up.on('finish', resolve);
      up.on('error', reject);
    });
    // Write in uneven pieces; the stream splits them into ≤ 256 KiB packets.
    for (let off = 0; off < payload.length; off += 700_001) {
      if (!up.write(payload.subarray(off, Math.min(payload.length, off + 700_001)))) {
        await new Promise((r) => up.once('drain', r));
      }
    }
    up.end();
    await finished;
  }, 60_000);

  it('downloads the same bytes back', async () => {
    const down = await client.streams.volumeDownload(vol as StorageVol, {
      offset: 0n,
      length: BigInt(payload.length),
    });
    const data = Buffer.concat((await readAll(down)) as Buffer[]);
    expect(data.length).toBe(payload.length);
    expect(sha256(data)).toBe(sha256(payload));
  }, 60_000);

  it('a sparse download yields the data and the unwritten tail as a hole', async () => {
    const down = await client.streams.volumeDownload(vol as StorageVol, {
      flags: virStorageVolDownloadFlags.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
    });
    const items = await readAll(down);
    let dataBytes = 0;
    let holeBytes = 0n;
    const data: Buffer[] = [];
    for (const it of items) {
      if (isStreamHole(it)) holeBytes += it.hole;
      else {
        dataBytes += (it as Buffer).length;
        data.push(it as Buffer);
      }
    }
    expect(BigInt(dataBytes) + holeBytes).toBe(BigInt(8 * MiB));
    expect(holeBytes).toBeGreaterThanOrEqual(BigInt(2 * MiB) - 4096n);
    expect(sha256(Buffer.concat(data).subarray(0, payload.length))).toBe(sha256(payload));
  }, 60_000);
});
