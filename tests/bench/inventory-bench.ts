/**
 * Inventory benchmark: time to a usable connection and to a full inventory of one libvirt host.
 *
 *   npm run bench -- inventory --target USER@HOST[:PORT] --identity KEYFILE
 *       [--known-hosts FILE | --accept-new-host-key] [--uri URI] [--runs N]
 *
 * Each run, from nothing: SSH connect + auth (host key checked), exec virt-ssh-helper, libvirt
 * handshake (connect_ms); then the inventory — every domain's name, uuid, state, vCPUs, memory and
 * CPU time — as listAllDomains + ONE getAllDomainStats(NOWAIT), both in flight together
 * (inventory_ms). Prints one JSON line per run:
 *   {"connect_ms":…,"inventory_ms":…,"total_ms":…,"domains":…}
 */
import { readFileSync } from 'node:fs';
import { LibvirtClient } from '../../main/libvirt/client';
import { connectSsh, parseTarget, virtSshHelperDialer } from './ssh-transport';

export interface InventoryBenchOptions {
  readonly target: string;
  readonly identity: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKey?: boolean;
  readonly uri: string;
  readonly runs: number;
}

export interface InventoryRun {
  connect_ms: number;
  inventory_ms: number;
  total_ms: number;
  domains: number;
}

const USAGE = `usage: inventory --target USER@HOST[:PORT] --identity KEYFILE [--known-hosts FILE | --accept-new-host-key] [--uri URI] [--runs N]`;

export function parseInventoryArgs(argv: readonly string[]): InventoryBenchOptions {
  let target: string | undefined;
  let identity: string | undefined;
  let knownHosts: string | undefined;
  let acceptNewHostKey = false;
  let uri = 'qemu:///system';
  let runs = 5;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--target':
        target = value();
        break;
      case '--identity':
        identity = value();
        break;
      case '--known-hosts':
        knownHosts = value();
        break;
      case '--accept-new-host-key':
        acceptNewHostKey = true;
        break;
      case '--uri':
        uri = value();
        break;
      case '--runs':
        runs = Number(value());
        if (!Number.isInteger(runs) || runs < 1)
          throw new Error(`--runs must be a positive integer\n${USAGE}`);
        break;
      case '-h':
      case '--help':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument ${String(a)}\n${USAGE}`);
    }
  }
  if (!target || !identity) throw new Error(`--target and --identity are required\n${USAGE}`);
  if (!knownHosts && !acceptNewHostKey) {
    throw new Error(`give --known-hosts FILE (host key checked) or --accept-new-host-key\n${USAGE}`);
  }
  return {
    target,
    identity,
    uri,
    runs,
    acceptNewHostKey,
    ...(knownHosts ? { knownHosts } : {}),
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

export async function runInventoryOnce(o: InventoryBenchOptions): Promise<InventoryRun> {
  const { username, host, port } = parseTarget(o.target);
  const t0 = performance.now();
  const ssh = await connectSsh({
    host,
    port,
    username,
    privateKey: readFileSync(o.identity),
    ...(o.knownHosts ? { knownHostsFile: o.knownHosts } : {}),
    acceptNew: o.acceptNewHostKey ?? false,
  });
  const client = new LibvirtClient({ dial: virtSshHelperDialer(ssh, o.uri), uri: o.uri, reconnect: false });
  try {
    await client.connect();
    const t1 = performance.now();
    const inventory = await client.domain.inventory();
    const t2 = performance.now();
    for (const d of inventory) {
      // The inventory must be complete (name, uuid, state, vCPUs, memory); cpu time is null for
      // domains that are not running.
      if (!d.domain.name || !d.domain.uuid || d.state === null || !d.vcpus || !d.memory) {
        throw new Error(`incomplete inventory entry for ${d.domain.name}`);
      }
    }
    return {
      connect_ms: round(t1 - t0),
      inventory_ms: round(t2 - t1),
      total_ms: round(t2 - t0),
      domains: inventory.length,
    };
  } finally {
    await client.close().catch(() => {});
    ssh.end();
  }
}

export async function inventoryMain(argv: readonly string[]): Promise<number> {
  let options: InventoryBenchOptions;
  try {
    options = parseInventoryArgs(argv);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  for (let i = 0; i < options.runs; i++) {
    try {
      console.log(JSON.stringify(await runInventoryOnce(options)));
    } catch (e) {
      console.error(`run ${i + 1}: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
  }
  return 0;
}
