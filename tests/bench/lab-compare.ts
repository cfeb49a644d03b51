/**
 * On the lab host (root): how this client's inventory compares with plain SSH and with virsh over
 * qemu+ssh on the same delayed link, with many domains.
 *
 *   npm run bench -- lab-compare [--domains 300] [--runs 5] [--delay-ms 15] [--account root|operator]
 *
 * 1. starts the delay proxy (127.0.0.1:<ephemeral> → the lab sshd), + delay each way;
 * 2. defines N tiny shut-off domains vd-bench-0 … (through the local libvirt socket);
 * 3. per run, each through the proxy:
 *      - this client: SSH + virt-ssh-helper + handshake, then listAllDomains + getAllDomainStats;
 *      - `ssh … true` (the floor: TCP + SSH handshake + auth + exec);
 *      - `virsh -c 'qemu+ssh://…/system' list --all`;
 *      - `virsh -c 'qemu+ssh://…/system' domstats --state --cpu-total --balloon --vcpu --nowait`
 *        (the same data as our inventory, one bulk call);
 * 4. undefines every vd-bench-* domain and stops the proxy (also on failure).
 *
 * The host key is checked everywhere: a temporary known_hosts lists the lab key for the proxy's
 * address; virsh gets it through `command=` (an ssh wrapper adding -o UserKnownHostsFile).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibvirtClient } from '../../main/libvirt/client';
import { readLabInfo } from '../support/lab';
import { startDelayProxy } from './delay-proxy';
import { runInventoryOnce } from './inventory-bench';

function timed(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000, env: env ?? process.env },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} failed: ${err.message}\n${stderr.slice(-1000)}`));
        else resolve({ ms: Math.round((performance.now() - t0) * 10) / 10, stdout });
      },
    );
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function localClient(): Promise<LibvirtClient> {
  const c = new LibvirtClient({
    dial: async () => net.connect('/var/run/libvirt/libvirt-sock'),
    reconnect: false,
  });
  await c.connect();
  return c;
}

async function undefineBench(c: LibvirtClient): Promise<number> {
  const doms = (await c.domain.list()).filter((d) => d.name.startsWith('vd-bench-'));
  await Promise.all(doms.map((d) => c.domain.undefine(d)));
  return doms.length;
}

export async function labCompareMain(argv: readonly string[]): Promise<number> {
  let domains = 300;
  let runs = 5;
  let delayMs = 15;
  let account: 'root' | 'operator' = 'root';
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--domains':
        domains = Number(v);
        break;
      case '--runs':
        runs = Number(v);
        break;
      case '--delay-ms':
        delayMs = Number(v);
        break;
      case '--account':
        account = v === 'operator' ? 'operator' : 'root';
        break;
      default:
        console.error(
          'usage: lab-compare [--domains 300] [--runs 5] [--delay-ms 15] [--account root|operator]',
        );
        return 2;
    }
  }
  const lab = readLabInfo();
  const acct = lab.accounts[account];
  const proxy = await startDelayProxy({
    listenHost: '127.0.0.1',
    listenPort: 0,
    targetHost: lab.ssh.host,
    targetPort: lab.ssh.port,
    delayMs,
  });
  const tmp = mkdtempSync(join(tmpdir(), 'vd-bench-'));
  const knownHosts = join(tmp, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${lab.ssh.hostKey}\n`);
  const sshOpts = [
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
  ];
  const wrapper = join(tmp, 'ssh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ssh ${sshOpts.join(' ')} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const virshUri = `qemu+ssh://${acct.user}@127.0.0.1:${proxy.port}/system?keyfile=${acct.identityFile}&command=${wrapper}`;
  const local = await localClient();
  try {
    const removed = await undefineBench(local);
    if (removed) console.error(`removed ${removed} leftover vd-bench-* domains`);
    const t0 = performance.now();
    const names = Array.from({ length: domains }, (_, i) => `vd-bench-${i}`);
    await Promise.all(
      names.map((name) =>
        local.domain.define(
          `<domain type='qemu'><name>${name}</name><memory unit='MiB'>16</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
        ),
      ),
    );
    const total = (await local.domain.list()).length;
    console.error(
      `defined ${domains} domains in ${Math.round(performance.now() - t0)} ms (${total} domains on the host); proxy 127.0.0.1:${proxy.port} +${delayMs} ms each way`,
    );

    const rows: Record<string, number[]> = {
      client_connect: [],
      client_inventory: [],
      client_total: [],
      ssh_true: [],
      virsh_list: [],
      virsh_domstats: [],
    };
    for (let r = 0; r < runs; r++) {
      const inv = await runInventoryOnce({
        target: `${acct.user}@127.0.0.1:${proxy.port}`,
        identity: acct.identityFile,
        knownHosts,
        uri: 'qemu:///system',
        runs: 1,
      });
      const ssh = await timed('ssh', [
        '-i',
        acct.identityFile,
        ...sshOpts,
        '-p',
        String(proxy.port),
        `${acct.user}@127.0.0.1`,
        'true',
      ]);
      const list = await timed('virsh', ['-c', virshUri, 'list', '--all']);
      const listed = list.stdout.split('\n').filter((l) => /vd-/.test(l)).length;
      const stats = await timed('virsh', [
        '-c',
        virshUri,
        'domstats',
        '--state',
        '--cpu-total',
        '--balloon',
        '--vcpu',
        '--nowait',
      ]);
      const statted = (stats.stdout.match(/^Domain: /gm) ?? []).length;
      rows.client_connect?.push(inv.connect_ms);
      rows.client_inventory?.push(inv.inventory_ms);
      rows.client_total?.push(inv.total_ms);
      rows.ssh_true?.push(ssh.ms);
      rows.virsh_list?.push(list.ms);
      rows.virsh_domstats?.push(stats.ms);
      console.log(
        JSON.stringify({
          run: r + 1,
          ...inv,
          ssh_true_ms: ssh.ms,
          virsh_list_all_ms: list.ms,
          virsh_list_domains: listed,
          virsh_domstats_ms: stats.ms,
          virsh_domstats_domains: statted,
        }),
      );
    }
    console.log(
      JSON.stringify({
        summary: 'median_ms',
        delay_ms_each_way: delayMs,
        domains: total,
        ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)])),
      }),
    );
    return 0;
  } finally {
    const n = await undefineBench(local).catch((e: unknown) => {
      console.error(`cleanup failed: ${String(e)}`);
      return -1;
    });
    console.error(`undefined ${n} vd-bench-* domains`);
    await local.close();
    await proxy.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
