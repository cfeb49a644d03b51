/**
 * Benchmark dispatcher (`npm run bench -- <name> …`, i.e. `tsx tests/bench/run.ts <name> …`):
 *
 *   inventory     connect + inventory timings over SSH (inventory-bench.ts)
 *   delay-proxy   loopback TCP proxy adding a fixed delay each way (delay-proxy.ts)
 *   lab-compare   on the lab host: 300 throwaway domains behind the delay proxy, this client vs
 *                 `ssh … true` and `virsh -c qemu+ssh://… list --all` (lab-compare.ts)
 *   fleet         N host entries on the lab's sshd, connected at once like the app does: time until all
 *                 are connected and inventoried, and memory (fleet-bench.ts)
 *   console       a lab guest's VNC console opened N times through the main services: channel,
 *                 RFB handshake and first frame times (console-bench.ts)
 *   clone         a clone of a throwaway guest with an N MiB disk: copy rate, progress, and the latency of
 *                 other calls on the same connection while libvirt copies (clone-bench.ts)
 *   spice         the lab's SPICE guest opened N times the same way: main channel open, SPICE link
 *                 handshake, display channel linked, first drawing (spice-bench.ts)
 *   storage-transfer  volume upload/download of 1 GiB (random and sparse) behind the delay proxy, side by
 *                 side with scp of the same files over the same link (storage-transfer-bench.ts)
 *   migration     a 256 MiB lab guest with its disk migrated live between hosts A and B, direct and relayed:
 *                 total time, downtime, throughput (migration-bench.ts)
 */
import { cloneBenchMain } from './clone-bench';
import { consoleBenchMain } from './console-bench';
import { delayProxyMain } from './delay-proxy';
import { runFleetBench } from './fleet-bench';
import { inventoryMain } from './inventory-bench';
import { labCompareMain } from './lab-compare';
import { migrationBenchMain } from './migration-bench';
import { spiceBenchMain } from './spice-bench';
import { storageTransferBenchMain } from './storage-transfer-bench';

const benches: Record<string, (argv: readonly string[]) => Promise<number>> = {
  inventory: inventoryMain,
  'delay-proxy': delayProxyMain,
  'lab-compare': labCompareMain,
  console: consoleBenchMain,
  spice: spiceBenchMain,
  'storage-transfer': storageTransferBenchMain,
  clone: cloneBenchMain,
  migration: migrationBenchMain,
  fleet: async (argv) => {
    await runFleetBench([...argv]);
    return 0;
  },
};

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const bench = name ? benches[name] : undefined;
  if (!bench) {
    console.error(`usage: run.ts <${Object.keys(benches).join('|')}> [options]`);
    return 2;
  }
  return bench(rest);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
