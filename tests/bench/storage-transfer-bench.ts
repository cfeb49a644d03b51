/**
 * Volume upload/download throughput through the lab behind the delay proxy, side by side in one run
 * with `scp` of the same files over the same proxied link:
 *
 *   npm run bench -- storage-transfer [--size-mib 1024] [--sparse-size-mib 2048] [--sparse-data-mib 20]
 *                                     [--delay-ms 15] [--runs 1] [--files random,sparse]
 *
 * VirtDeck's path is the app's: SSH pool + connector (one SSH connection through the proxy), the
 * storage service, an upload fed through the upload stream's window protocol (what the renderer does,
 * minus the browser), and a sparse download to a local file. The files: 1 GiB of random data, and a
 * sparse 2 GiB file with `--sparse-data-mib` of random data in it (scp sends all of its zeros). Volumes go
 * into the lab's pool (vd-lab-pool) as vd-test-bench-*, and are removed afterwards. Prints a table and
 * one JSON line per measurement. Needs the lab (lab.json) and runs as root on the lab machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { HostEntry } from '../../preload/api-contract';
import { createSshLibvirtConnector } from '../../main/services/connections/ssh-libvirt-connector';
import { SshConnectionPool } from '../../main/services/connections/ssh-pool';
import { StorageService } from '../../main/services/storage/storage-service';
import type { LabInfo } from '../support/lab';
import { TestUploadPeer } from '../support/upload-peer';

/**
 * The delay proxy in a process of its own, as a real link would be: in this process it would share the
 * event loop with the VirtDeck side it measures (and any synchronous wait here would stall the link —
 * how the sparse pass once hung after the random pass: an execFileSync'd ssh through the in-process
 * proxy could never finish).
 */
async function startProxyProcess(target: { host: string; port: number }, delayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const child = spawn(
    process.execPath,
    [...process.execArgv, join(process.cwd(), 'tests/bench/run.ts'), 'delay-proxy', '--listen', `127.0.0.1:${port}`, '--target', `${target.host}:${target.port}`, '--delay-ms', String(delayMs)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('delay-proxy:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the delay proxy exited (${code}): ${text}`)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const MiB = 1024 * 1024;

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${command} exited with ${code}`))));
  });
}

function writeFile(path: string, sizeBytes: number, dataBytes: number | null): void {
  const fd = openSync(path, 'w');
  if (dataBytes === null) {
    for (let done = 0; done < sizeBytes; done += 8 * MiB) writeSync(fd, randomBytes(Math.min(8 * MiB, sizeBytes - done)));
  } else {
    // Data in 4 MiB pieces spread over the file, holes between them.
    const pieces = Math.max(1, Math.floor(dataBytes / (4 * MiB)));
    const stride = Math.floor(sizeBytes / pieces / MiB) * MiB;
    for (let i = 0; i < pieces; i++) writeSync(fd, randomBytes(4 * MiB), 0, 4 * MiB, i * stride);
    ftruncateSync(fd, sizeBytes);
  }
  closeSync(fd);
}

async function* readChunks(path: string): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) yield chunk as Buffer;
}

export async function storageTransferBenchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'size-mib': { type: 'string', default: '1024' },
      'sparse-size-mib': { type: 'string', default: '2048' },
      'sparse-data-mib': { type: 'string', default: '20' },
      files: { type: 'string', default: 'random,sparse' },
      'delay-ms': { type: 'string', default: '15' },
      runs: { type: 'string', default: '1' },
      lab: { type: 'string', default: '/var/lib/virtdeck-lab/lab.json' },
    },
  });
  const size = Number(values['size-mib']) * MiB;
  const sizes = { random: size, sparse: Number(values['sparse-size-mib']) * MiB };
  const which = (values.files ?? 'random,sparse').split(',').filter((f): f is 'random' | 'sparse' => f === 'random' || f === 'sparse');
  const sparseData = Number(values['sparse-data-mib']) * MiB;
  const delayMs = Number(values['delay-ms']);
  const runs = Number(values.runs);
  const lab = JSON.parse(readFileSync(values.lab, 'utf8')) as LabInfo;
  const pool = lab.storagePool ?? { name: 'vd-lab-pool', path: join(lab.stateDir, 'pool') };
  const key = lab.accounts.root.identityFile;

  const local = mkdtempSync(join(tmpdir(), 'vd-test-bench-'));
  const files = { random: join(local, 'random.img'), sparse: join(local, 'sparse.img') };
  if (which.includes('random')) writeFile(files.random, sizes.random, null);
  if (which.includes('sparse')) writeFile(files.sparse, sizes.sparse, sparseData);

  const proxy = await startProxyProcess({ host: lab.ssh.host, port: lab.ssh.port }, delayMs);
  const sshPool = new SshConnectionPool({ knownHostsFiles: [lab.ssh.knownHostsFile], sshConfigFile: null });
  const host: HostEntry = {
    id: 'bench',
    displayName: 'bench',
    ssh: { user: 'root', host: '127.0.0.1', port: proxy.port, identityFile: key },
    libvirtUri: lab.libvirtUri,
    transport: 'auto',
    tags: [],
  };
  const link = await createSshLibvirtConnector({}, sshPool).connect(
    host,
    { confirmHostKey: async () => 'accept-once', askSecret: async () => null } as never,
    new AbortController().signal,
    () => undefined,
  );
  const storage = new StorageService({ link: () => link, hostUri: async () => lab.libvirtUri, publishTransfer: () => undefined });
  // scp over the same proxied link; the lab's host key is known for its real port only.
  const knownHosts = join(local, 'known_hosts');
  execFileSync('sh', ['-c', `sed 's/^\\[127.0.0.1\\]:${lab.ssh.port} /[127.0.0.1]:${proxy.port} /' ${lab.ssh.knownHostsFile} > ${knownHosts}`]);
  const scpArgs = ['-q', '-P', String(proxy.port), '-i', key, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];

  const rows: Array<{ what: string; file: string; ms: number; mibps: number; wireMiB: number | null }> = [];
  const record = (what: string, file: 'random' | 'sparse', ms: number, wireBytes: number | null = null) => {
    const row = {
      what,
      file,
      ms: Math.round(ms),
      mibps: Number((sizes[file] / MiB / (ms / 1000)).toFixed(1)),
      wireMiB: wireBytes === null ? null : Number((wireBytes / MiB).toFixed(1)),
    };
    rows.push(row);
    console.log(JSON.stringify({ bench: 'storage-transfer', delayMs, sizeMiB: sizes[file] / MiB, ...row }));
  };
  const step = (what: string) => console.error(`[storage-transfer] ${new Date().toISOString()} ${what}`);
  try {
    for (let r = 0; r < runs; r++) {
      for (const file of which) {
        const volume = `vd-test-bench-${file}-${randomBytes(3).toString('hex')}.img`;
        // VirtDeck upload
        const peer = new TestUploadPeer();
        step(`virtdeck upload ${file}`);
        let t0 = performance.now();
        await storage.transfers.upload({ transferId: randomUUID(), hostId: 'bench', pool: pool.name, name: volume, fileName: volume, sizeBytes: sizes[file] }, peer);
        await peer.sendAll(readChunks(files[file]));
        const failed = await peer.closed;
        if (failed) throw new Error(`upload failed: ${failed.message}`);
        const uploaded = storage.transfers.list().find((t) => t.volume === volume && t.kind === 'upload');
        record('virtdeck upload', file, performance.now() - t0, uploaded?.wireBytes ?? null);
        // VirtDeck download (sparse, to a local file)
        const back = join(local, `back-${file}.img`);
        step(`virtdeck download ${file}`);
        t0 = performance.now();
        const downloaded = await storage.transfers.downloadToFile('bench', pool.name, volume, back);
        record('virtdeck download', file, performance.now() - t0, downloaded.wireBytes);
        rmSync(back, { force: true });
        await storage.deleteVolume('bench', pool.name, volume, volume);
        // scp, same file, same link
        const remote = `root@127.0.0.1:${pool.path}/vd-test-bench-scp-${file}.img`;
        step(`scp upload ${file}`);
        record('scp upload', file, await run('scp', [...scpArgs, files[file], remote]));
        step(`scp download ${file}`);
        record('scp download', file, await run('scp', [...scpArgs, remote, back]));
        rmSync(back, { force: true });
        await run('ssh', ['-p', String(proxy.port), '-i', key, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'BatchMode=yes', 'root@127.0.0.1', `rm -f ${pool.path}/vd-test-bench-scp-${file}.img`]);
      }
    }
  } finally {
    await storage.dispose();
    await link.close();
    await sshPool.dispose();
    await proxy.close();
    rmSync(local, { recursive: true, force: true });
  }
  console.log(`\nstorage-transfer: random ${sizes.random / MiB} MiB, sparse ${sizes.sparse / MiB} MiB with ${sparseData / MiB} MiB of data, +${delayMs} ms each way`);
  console.log('what               file     ms      MiB/s   vs scp   wire MiB');
  for (const row of rows) {
    const scp = rows.find((o) => o.file === row.file && o.what === row.what.replace('virtdeck', 'scp'));
    const ratio = row.what.startsWith('virtdeck') && scp ? `${(row.mibps / scp.mibps).toFixed(2)}×` : '';
    console.log(`${row.what.padEnd(19)}${row.file.padEnd(9)}${String(row.ms).padStart(6)}  ${String(row.mibps).padStart(7)}   ${ratio.padEnd(6)} ${row.wireMiB ?? ''}`);
  }
  return 0;
}
