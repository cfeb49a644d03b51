/**
 * The lab's second host (tests/lab/README.md, "Host B"), checked for real: hosts A and B answer over
 * their own sshd (own host keys) as different libvirt hosts (hostname, host UUID); host B starts empty
 * of vd-* guests; a guest defined on B is invisible on A; the shared pool lists the same volume on both
 * while host B's disk directory is its own; and libvirt's native direct live migration with storage copy
 * (QEMU migration + NBD, `virsh migrate --live --copy-storage-all` between the two qemu+libssh URIs)
 * works A → B and B → A with isolation off — the guest's serial console answers on B — and is refused
 * at once in both directions with isolation on (`lab.sh isolate on`), the guest running on where it was;
 * a guest whose disk is in the shared pool migrates without copying it, peer-to-peer (host A's libvirtd
 * logs in to host B over SSH), and — isolated — only through libvirt's tunnel.
 *
 * Everything it creates is named vd-test-lab2-* and removed afterwards. Run it under the lab lock:
 *   flock /tmp/virtdeck-lab-tests.lock npx vitest run --config tests/vitest.integration.config.ts tests/integration/lab-two-hosts.test.ts
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LibvirtClient, RpcStream } from '../../main/libvirt/client';
import { virDomainConsoleFlags, virDomainState, virDomainXMLFlags } from '../../main/libvirt/protocol';
import { connectSsh, fingerprintOf, shellQuote } from '../bench/ssh-transport';
import {
  hostBPath,
  labIsolate,
  readLabInfo,
  requireHostB,
  type LabHostB,
  type LabInfo,
} from '../support/lab';
import { connectLabLibvirt } from '../support/lab-libvirt';

const availability = inject('lab');
const SKIP = !availability.available;

const PREFIX = 'vd-test-lab2-';
const MIGRANT = `${PREFIX}mig`;
const SHARED_GUEST = `${PREFIX}shared-guest`;
const B_ONLY = `${PREFIX}b-only`;
const SHARED_VOLUME = `${PREFIX}shared.raw`;
const PRIVATE_PROBE = `${PREFIX}private-probe.raw`;

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program on this machine (host A's side), never throws; the exit code says how it went. */
function run(cmd: string, args: string[], timeoutMs = 180_000): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs a shell command over an SSH connection; resolves with its exit code and output (bounded). */
function sshRun(
  ssh: Client,
  command: string,
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ssh: '${command}' did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    ssh.exec(command, (err, channel) => {
      if (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      // Listeners go on at once: a quick command's output, exit status and close can arrive together.
      let stdout = '';
      let stderr = '';
      let code = -1;
      channel.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
      channel.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      channel.on('exit', (c: number | null) => (code = c ?? -1));
      channel.on('close', () => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  });
}

function hostUuid(capabilities: string): string {
  const m = /<host>\s*<uuid>([0-9a-f-]{36})<\/uuid>/.exec(capabilities);
  if (!m?.[1]) throw new Error('no <host><uuid> in the capabilities');
  return m[1];
}

/** Collects a console's output; `expect` waits for a pattern (bounded), poking with CR meanwhile. */
class ConsoleReader {
  text = '';
  constructor(readonly stream: RpcStream) {
    stream.on('data', (b: Buffer) => (this.text += b.toString('latin1')));
  }
  async expect(re: RegExp, timeoutMs: number, poke?: () => void): Promise<void> {
    const end = Date.now() + timeoutMs;
    let nextPoke = 0;
    while (!re.test(this.text)) {
      if (Date.now() > end)
        throw new Error(
          `console: no ${re} within ${timeoutMs} ms; got ${JSON.stringify(this.text.slice(-300))}`,
        );
      if (poke && Date.now() >= nextPoke) {
        poke();
        nextPoke = Date.now() + 1000;
      }
      await tick(50);
    }
  }
}

/** The guest's shell answers on its serial console (a libvirt console stream over SSH). */
async function consoleAnswers(client: LibvirtClient, name: string, prompt: string): Promise<void> {
  const stream = await client.streams.console({ name }, null, virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE);
  const con = new ConsoleReader(stream);
  try {
    await con.expect(new RegExp(prompt.replace(/[#$]/g, '\\$&')), 60_000, () => stream.write('\r'));
    const marker = `lab2-${Date.now()}`;
    // $((6*7)) is expanded by the guest's shell: "<marker>-42" proves a shell ran the command.
    stream.write(`echo ${marker}-$((6*7))\r`);
    await con.expect(new RegExp(`${marker}-42`), 15_000);
  } finally {
    stream.end();
    await tick(200);
    stream.destroy();
  }
}

async function state(client: LibvirtClient, name: string): Promise<number | 'absent'> {
  try {
    return (await client.domain.getState({ name })).state;
  } catch (err) {
    if ((err as { codeName?: string }).codeName === 'VIR_ERR_NO_DOMAIN') return 'absent';
    throw err;
  }
}

async function removeDomain(client: LibvirtClient, name: string): Promise<void> {
  await client.domain.destroy({ name }).catch(() => undefined);
  await client.domain.undefine({ name }).catch(() => undefined);
}

/** A throwaway copy of vd-off-1's definition with its own name, disk and serial log. */
async function throwawayXml(
  client: LibvirtClient,
  stateDir: string,
  name: string,
  disk: string,
  log: string,
): Promise<string> {
  const xml = (await client.domain.getXml({ name: 'vd-off-1' }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE))
    .replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`)
    .replace(/<uuid>[^<]*<\/uuid>\s*/, '')
    .replaceAll(join(stateDir, 'disks', 'vd-off-1.qcow2'), disk)
    .replaceAll(join(stateDir, 'logs', 'vd-off-1.serial.log'), log)
    .replace('vd.name=vd-off-1', `vd.name=${name}`);
  if (!xml.includes(disk))
    throw new Error(`vd-off-1's disk is not ${join(stateDir, 'disks', 'vd-off-1.qcow2')}`);
  return xml;
}

describe.skipIf(SKIP)('lab: host B, a second libvirt host', () => {
  let lab: LabInfo;
  let hostB: LabHostB & { sharedPool: { name: string; path: string } };
  let a: { ssh: Client; client: LibvirtClient };
  let b: { ssh: Client; client: LibvirtClient };
  const migrantDisk = (): string => join(lab.stateDir, 'disks', `${MIGRANT}.qcow2`);
  const migrantLog = (): string => join(lab.stateDir, 'logs', `${MIGRANT}.serial.log`);
  const sharedGuestDisk = (): string => join(hostB.sharedPool.path, `${SHARED_GUEST}.qcow2`);

  async function cleanup(): Promise<void> {
    for (const h of [a, b]) {
      if (!h) continue;
      for (const d of await h.client.domain.list())
        if (d.name.startsWith(PREFIX)) await removeDomain(h.client, d.name);
    }
    for (const file of [
      migrantDisk(),
      migrantLog(),
      join(lab.stateDir, 'logs', `${SHARED_GUEST}.serial.log`),
    ]) {
      rmSync(file, { force: true });
      rmSync(hostBPath(hostB, file), { force: true });
    }
    rmSync(join(hostB.sharedPool.path, SHARED_VOLUME), { force: true });
    rmSync(sharedGuestDisk(), { force: true });
    rmSync(hostBPath(hostB, join(lab.stateDir, 'disks', PRIVATE_PROBE)), { force: true });
    // Host B's libvirtd must forget the files removed behind its back: a stale volume in vd-disks would
    // make the next incoming migration skip pre-creating its disk ("Path ... is not accessible").
    if (b) {
      for (const pool of hostB.pools) {
        const refreshed = await sshRun(
          b.ssh,
          `virsh -q -c ${hostB.libvirtUri} pool-refresh ${shellQuote(pool)}`,
        );
        expect(refreshed.code, refreshed.stderr).toBe(0);
      }
    }
  }

  beforeAll(async () => {
    if (!availability.available) return;
    lab = availability.lab;
    hostB = requireHostB(lab);
    a = await connectLabLibvirt(lab, 'a');
    b = await connectLabLibvirt(lab, 'b');
    await cleanup();
  }, 60_000);

  afterAll(async () => {
    if (!availability.available) return;
    labIsolate(false);
    await cleanup();
    for (const h of [a, b]) {
      await h?.client.close().catch(() => undefined);
      h?.ssh.end();
    }
  }, 60_000);

  it('both hosts answer over their own sshd as different hosts; host B starts empty', async () => {
    const [infoA, infoB] = await Promise.all([a.client.host.connectInfo(), b.client.host.connectInfo()]);
    expect(infoB.hostname).toBe(hostB.hostname);
    expect(infoA.hostname).not.toBe(infoB.hostname);
    const [uuidA, uuidB] = [
      hostUuid(await a.client.host.capabilities()),
      hostUuid(await b.client.host.capabilities()),
    ];
    expect(uuidB).toBe(hostB.hostUuid);
    expect(uuidA).not.toBe(uuidB);
    expect((await b.client.domain.list()).map((d) => d.name).filter((n) => n.startsWith('vd-'))).toEqual([]);

    // Host B's own host key: what lab.json pins is what it presents, and host A's key does not pass for it.
    expect(hostB.ssh.hostKey).not.toBe(lab.ssh.hostKey);
    const keyB = Buffer.from(hostB.ssh.hostKey.split(' ')[1] ?? '', 'base64');
    expect(fingerprintOf(keyB)).toBe(hostB.ssh.hostKeyFingerprint);
    const dir = mkdtempSync(join(tmpdir(), 'vd-lab2-kh-'));
    try {
      const wrong = join(dir, 'known_hosts');
      writeFileSync(wrong, `[${hostB.ssh.host}]:${hostB.ssh.port} ${lab.ssh.hostKey}\n`);
      await expect(
        connectSsh({
          host: hostB.ssh.host,
          port: hostB.ssh.port,
          username: 'root',
          privateKey: readFileSync(hostB.accounts.root.identityFile),
          knownHostsFile: wrong,
        }),
      ).rejects.toThrow(/HOST KEY MISMATCH/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // The operator account logs in to host B too and reaches its libvirtd through the libvirt group.
    const op = await run('virsh', ['-q', '-c', hostB.accounts.operator.libvirtSshUri, 'hostname'], 60_000);
    expect(op.stderr).toBe('');
    expect(op.stdout.trim()).toBe(hostB.hostname);
  }, 60_000);

  it('a guest defined on host B is invisible on host A', async () => {
    const xml = (
      await a.client.domain.getXml({ name: 'vd-off-1' }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE)
    )
      .replace(/<name>[^<]*<\/name>/, `<name>${B_ONLY}</name>`)
      .replace(/<uuid>[^<]*<\/uuid>\s*/, '')
      .replace(/<disk[\s\S]*?<\/disk>\s*/g, '')
      .replace(/<log [^>]*\/>\s*/g, '');
    const defined = await b.client.domain.define(xml, 0);
    try {
      expect((await b.client.domain.list()).map((d) => d.name)).toContain(B_ONLY);
      expect((await a.client.domain.list()).map((d) => d.name)).not.toContain(B_ONLY);
      await expect(a.client.domain.lookup({ uuid: defined.uuid })).rejects.toMatchObject({
        codeName: 'VIR_ERR_NO_DOMAIN',
      });
    } finally {
      await b.client.domain.undefine({ uuid: defined.uuid });
    }
  }, 60_000);

  it("the shared pool lists the same volume on both hosts; host B's disk directory is its own", async () => {
    const pool = hostB.sharedPool.name;
    const vol = await a.client.storageVolume.create(
      { name: pool },
      `<volume><name>${SHARED_VOLUME}</name><capacity unit='KiB'>1024</capacity><target><format type='raw'/></target></volume>`,
    );
    try {
      // Host B learns of files written behind its back like any host: by refreshing the pool.
      const refresh = await sshRun(b.ssh, `virsh -q -c ${hostB.libvirtUri} pool-refresh ${shellQuote(pool)}`);
      expect(refresh.code, refresh.stderr).toBe(0);
      const onB = (await b.client.storagePool.listVolumes({ name: pool })).find(
        (v) => v.name === SHARED_VOLUME,
      );
      expect(onB?.key).toBe(vol.key);
      expect(onB?.key).toBe(join(hostB.sharedPool.path, SHARED_VOLUME));
      expect((await b.client.storageVolume.getInfo(onB ?? vol)).capacity).toBe(1024n * 1024n);
    } finally {
      await a.client.storageVolume.delete(vol);
    }

    // $STATE/disks on host B is not host A's: a file made there over B's sshd is not on A, and vice versa.
    const probe = join(lab.stateDir, 'disks', PRIVATE_PROBE);
    const made = await sshRun(
      b.ssh,
      `qemu-img create -q -f raw ${shellQuote(probe)} 1M && test -f ${shellQuote(probe)}`,
    );
    expect(made.code, made.stderr).toBe(0);
    expect(existsSync(probe)).toBe(false);
    expect(existsSync(hostBPath(hostB, probe))).toBe(true);
    const aGuestDisk = join(lab.stateDir, 'disks', 'vd-off-1.qcow2');
    expect(existsSync(aGuestDisk)).toBe(true);
    expect((await sshRun(b.ssh, `test -e ${shellQuote(aGuestDisk)}`)).code).not.toBe(0);
    rmSync(hostBPath(hostB, probe), { force: true });
  }, 60_000);

  it('direct live migration with storage copy: refused at once while isolated, A → B and back with isolation off', async () => {
    const prompt = lab.guestPrompt ?? 'vd# ';
    const uriA = lab.accounts.root.libvirtSshUri ?? '';
    const uriB = hostB.accounts.root.libvirtSshUri;
    expect(uriA).toMatch(/^qemu\+libssh:/);
    const migrate = (from: string, to: string): Promise<RunResult> =>
      run('virsh', [
        '-c',
        from,
        'migrate',
        '--live',
        '--copy-storage-all',
        '--persistent',
        '--undefinesource',
        MIGRANT,
        to,
      ]);

    // A throwaway copy of vd-off-1 with its own disk (so --copy-storage-all has something to copy).
    const created = await run('qemu-img', ['create', '-q', '-f', 'qcow2', migrantDisk(), '64M']);
    expect(created.code, created.stderr).toBe(0);
    await a.client.domain.define(
      await throwawayXml(a.client, lab.stateDir, MIGRANT, migrantDisk(), migrantLog()),
      0,
    );
    await a.client.domain.start({ name: MIGRANT });
    await consoleAnswers(a.client, MIGRANT, prompt);

    // Isolation on: the hosts cannot reach each other's migration/NBD ports; the migration fails at once.
    labIsolate(true);
    try {
      expect(readLabInfo().hostB?.isolation).toBe(true);
      const refused = await migrate(uriA, uriB);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(
        new RegExp(`${hostB.address.replaceAll('.', '\\.')}:\\d+.*Connection refused`),
      );
      const port = Number(/:(\d+)'?: Connection refused/.exec(refused.stderr)?.[1]);
      expect(port).toBeGreaterThanOrEqual(hostB.migrationPorts.min);
      expect(port).toBeLessThanOrEqual(hostB.migrationPorts.max);
      expect(refused.ms).toBeLessThan(60_000);
      console.log(
        `isolated A → B refused after ${(refused.ms / 1000).toFixed(1)} s: ${refused.stderr.trim()}`,
      );
      expect(await state(a.client, MIGRANT)).toBe(virDomainState.VIR_DOMAIN_RUNNING);
      expect(await state(b.client, MIGRANT)).toBe('absent');
      // The workstation still reaches both sshds (fresh logins, libvirt over each).
      const fresh = await Promise.all([connectLabLibvirt(lab, 'a'), connectLabLibvirt(lab, 'b')]);
      const names = await Promise.all(fresh.map(async (h) => (await h.client.host.connectInfo()).hostname));
      expect(names[1]).toBe(hostB.hostname);
      for (const h of fresh) {
        await h.client.close();
        h.ssh.end();
      }
    } finally {
      labIsolate(false);
    }
    expect(readLabInfo().hostB?.isolation).toBe(false);

    // Isolation off: A → B, libvirt's native direct route (B's QEMU listens, A's QEMU connects).
    const there = await migrate(uriA, uriB);
    expect(there.code, there.stderr).toBe(0);
    console.log(
      `direct live migration A → B with storage copy (160 MiB guest, 64 MiB disk): ${(there.ms / 1000).toFixed(1)} s`,
    );
    expect(await state(b.client, MIGRANT)).toBe(virDomainState.VIR_DOMAIN_RUNNING);
    expect(await state(a.client, MIGRANT)).toBe('absent');
    expect(existsSync(hostBPath(hostB, migrantDisk()))).toBe(true);
    await consoleAnswers(b.client, MIGRANT, prompt);

    // While isolated, B → A is refused too: host B's QEMU cannot reach host A's migration/NBD ports.
    labIsolate(true);
    try {
      const back = await migrate(uriB, uriA);
      expect(back.code).not.toBe(0);
      expect(back.stderr).toMatch(/Connection refused/);
      expect(await state(b.client, MIGRANT)).toBe(virDomainState.VIR_DOMAIN_RUNNING);
    } finally {
      labIsolate(false);
    }

    // And back B → A (host A's migration ports, reached from host B's network).
    const back = await migrate(uriB, uriA);
    expect(back.code, back.stderr).toBe(0);
    console.log(`direct live migration B → A with storage copy: ${(back.ms / 1000).toFixed(1)} s`);
    expect(await state(a.client, MIGRANT)).toBe(virDomainState.VIR_DOMAIN_RUNNING);
    expect(await state(b.client, MIGRANT)).toBe('absent');
    await consoleAnswers(a.client, MIGRANT, prompt);
  }, 300_000);

  it('shared-storage migration: the disk in vd-shared stays where it is; peer-to-peer A → B, and tunnelled while isolated', async () => {
    const prompt = lab.guestPrompt ?? 'vd# ';
    const uriA = lab.accounts.root.libvirtSshUri ?? '';
    const uriB = hostB.accounts.root.libvirtSshUri;
    // libvirt cannot tell that a directory on a local file system is shared between two hosts, so it
    // calls such a migration unsafe: VIR_MIGRATE_UNSAFE (--unsafe) says we know better.
    const migrate = (from: string, to: string, ...flags: string[]): Promise<RunResult> =>
      run('virsh', [
        '-c',
        from,
        'migrate',
        '--live',
        '--unsafe',
        '--persistent',
        '--undefinesource',
        ...flags,
        SHARED_GUEST,
        to,
      ]);
    const created = await run('qemu-img', ['create', '-q', '-f', 'qcow2', sharedGuestDisk(), '64M']);
    expect(created.code, created.stderr).toBe(0);
    await a.client.domain.define(
      await throwawayXml(
        a.client,
        lab.stateDir,
        SHARED_GUEST,
        sharedGuestDisk(),
        join(lab.stateDir, 'logs', `${SHARED_GUEST}.serial.log`),
      ),
      0,
    );
    await a.client.domain.start({ name: SHARED_GUEST });
    await consoleAnswers(a.client, SHARED_GUEST, prompt);

    // Peer-to-peer: host A's libvirtd logs in to host B over SSH itself (the libssh URI, host key checked).
    const p2p = await migrate(uriA, uriB, '--p2p');
    expect(p2p.code, p2p.stderr).toBe(0);
    console.log(`peer-to-peer live migration A → B, shared storage: ${(p2p.ms / 1000).toFixed(1)} s`);
    expect(await state(b.client, SHARED_GUEST)).toBe(virDomainState.VIR_DOMAIN_RUNNING);
    expect(await b.client.domain.getXml({ name: SHARED_GUEST }, 0)).toContain(
      `<source file='${sharedGuestDisk()}'`,
    );
    expect(existsSync(hostBPath(hostB, join(lab.stateDir, 'disks', `${SHARED_GUEST}.qcow2`)))).toBe(false);
    await consoleAnswers(b.client, SHARED_GUEST, prompt);

    const home = await migrate(uriB, uriA);
    expect(home.code, home.stderr).toBe(0);
    expect(await state(a.client, SHARED_GUEST)).toBe(virDomainState.VIR_DOMAIN_RUNNING);

    // Isolated: the native peer-to-peer route is refused, the tunnelled one (the migration stream inside
    // libvirt's own connection, over SSH) gets through.
    labIsolate(true);
    try {
      const refused = await migrate(uriA, uriB, '--p2p');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/Connection refused/);
      expect(await state(a.client, SHARED_GUEST)).toBe(virDomainState.VIR_DOMAIN_RUNNING);
      const tunnelled = await migrate(uriA, uriB, '--p2p', '--tunnelled');
      expect(tunnelled.code, tunnelled.stderr).toBe(0);
      console.log(
        `tunnelled peer-to-peer A → B while isolated, shared storage: ${(tunnelled.ms / 1000).toFixed(1)} s`,
      );
      expect(await state(b.client, SHARED_GUEST)).toBe(virDomainState.VIR_DOMAIN_RUNNING);
      await consoleAnswers(b.client, SHARED_GUEST, prompt);
    } finally {
      labIsolate(false);
    }
  }, 300_000);
});
