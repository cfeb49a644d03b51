/**
 * Fleet benchmark (a measurement, not a test): N host entries, all pointing at the lab's sshd (so N
 * real SSH connections and N libvirt connections), connected the way the app does it: all at once.
 * Prints one JSON line: time until every host is connected, until every host is inventoried, and the
 * process's memory.
 *
 *   npm run bench -- fleet [--hosts 100] [--runs 1] [--account operator|root]
 *
 * The lab's accounts differ in their shell start-up: on machines where root's ~/.bashrc runs slow or
 * locking commands (pyenv rehash here), every command a connection runs on the host queues behind it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServices } from '../../main/app-services';
import { readLabInfo } from '../support/lab';

async function runOnce(hostCount: number, account: 'root' | 'operator'): Promise<Record<string, number | string>> {
  const lab = readLabInfo();
  const configDir = mkdtempSync(join(tmpdir(), 'virtdeck-fleet-bench-'));
  // Hosts first, connections later: the services connect every saved host at start, as the app does.
  const setup = createServices({ transport: 'serve', configDir, connectOnLaunch: false });
  for (let i = 0; i < hostCount; i++) {
    await setup.hosts.add({
      displayName: `lab-${i}`,
      ssh: {
        user: lab.accounts[account].user,
        host: lab.ssh.host,
        port: lab.ssh.port,
        identityFile: lab.accounts[account].identityFile,
      },
      libvirtUri: lab.libvirtUri,
      transport: 'auto',
      tags: ['bench'],
    });
  }
  await setup.connections.dispose();
  setup.fleet.dispose();

  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  process.env.VIRTDECK_KNOWN_HOSTS = lab.ssh.knownHostsFile;
  process.env.VIRTDECK_SSH_CONFIG = 'none';
  const services = createServices({ transport: 'serve', configDir });
  const connected = new Set<string>();
  const inventoried = new Set<string>();
  let connectedMs = 0;
  let domains = 0;
  const failures = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not done after 120 s: ${inventoried.size}/${hostCount} inventoried, failures: ${[...failures.values()].slice(0, 3).join('; ')}`)), 120_000);
    services.events.subscribe('hosts.status', (status) => {
      if (status.state.kind === 'connected') {
        connected.add(status.hostId);
        if (connected.size === hostCount) connectedMs = performance.now() - started;
      } else if (status.state.kind === 'unreachable' || status.state.kind === 'needs-input') {
        failures.set(status.hostId, status.state.kind === 'unreachable' ? status.state.reason : 'needs input');
      }
    });
    services.events.subscribe('fleet.host', (update) => {
      if (update.domains.length === 0 || inventoried.has(update.hostId)) return;
      inventoried.add(update.hostId);
      domains += update.domains.length;
      if (inventoried.size === hostCount) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const inventoriedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  global.gc?.();
  const memory = process.memoryUsage();
  await services.connections.dispose();
  services.fleet.dispose();
  return {
    account: lab.accounts[account].user,
    hosts: hostCount,
    domains,
    all_connected_ms: Math.round(connectedMs),
    all_inventoried_ms: Math.round(inventoriedMs),
    rss_mb: Math.round(memory.rss / 1048576),
    rss_growth_mb: Math.round((memory.rss - rssBefore) / 1048576),
    heap_used_mb: Math.round(memory.heapUsed / 1048576),
    // VirtDeck's own CPU time in that span: what is left of the wall time went to sshd and libvirtd.
    client_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
  };
}

export async function runFleetBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '100' },
      runs: { type: 'string', default: '1' },
      account: { type: 'string', default: 'operator' },
    },
  });
  const hosts = Number(values.hosts);
  const runs = Number(values.runs);
  if (!Number.isInteger(hosts) || hosts < 1 || !Number.isInteger(runs) || runs < 1) {
    throw new Error('--hosts and --runs take positive whole numbers');
  }
  const account = values.account;
  if (account !== 'root' && account !== 'operator') throw new Error('--account is root or operator');
  for (let run = 0; run < runs; run++) console.log(JSON.stringify(await runOnce(hosts, account)));
}
