/**
 * Migration benchmark (a measurement, not a test): a throwaway lab guest (256 MiB RAM, a qcow2 disk of N
 * MiB random data in host A's private disk directory) migrated live with storage copy through VirtDeck's
 * migration service and its own connections, per round: A → B direct, B → A direct, A → B relayed,
 * B → A relayed (the relayed route forced, so both routes run in the same lab state). Per migration:
 *
 *   total_s       start → job done (Begin … Confirm, as the user waits for it)
 *   downtime_ms   the guest's actual pause at the switch-over (libvirt's completed job statistics)
 *   data_mib      bytes libvirt transferred (memory + disk; dataProcessed of the last statistics)
 *   mib_per_s     data_mib / total_s
 *   relayed_mib   bytes VirtDeck carried (relayed route)
 *
 * and the relayed throughput against the direct one in the same run (the goal is ≥ 0.8).
 *
 *   npm run bench -- migration [--mib 64] [--rounds 2]
 *
 * Everything is named vd-bench-mig-… and removed; run it under the lab lock (flock /tmp/virtdeck-lab-tests.lock).
 */
import { parseArgs } from 'node:util';
import type { MigrationJob, MigrationOptions } from '../../preload/api-contract';
import { MigrationService } from '../../main/services/migration/migration-service';
import { ensureLab, labIsolate, requireHostB } from '../support/lab';
import { connectLabHosts, removeThrowawayGuests, startThrowawayGuest } from '../support/migration-lab';

const PREFIX = 'vd-bench-mig-';
const GUEST = `${PREFIX}1`;
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (n: number) => Math.round(n * 10) / 10;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.floor(sorted.length / 2)] as number);
};

export async function migrationBenchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { mib: { type: 'string', default: '64' }, rounds: { type: 'string', default: '2' } } });
  const mib = Number(values.mib);
  const rounds = Number(values.rounds);
  const found = ensureLab(() => undefined);
  if (!found.available) {
    console.error(`migration bench: no lab (${found.reason})`);
    return 1;
  }
  const lab = found.lab;
  requireHostB(lab);
  labIsolate(false);
  const hosts = await connectLabHosts(lab);
  const service = new MigrationService(
    {
      host: (id) => (id === hosts.a.hostId ? hosts.a : id === hosts.b.hostId ? hosts.b : null),
      connected: async () => [
        { hostId: hosts.a.hostId, name: 'A' },
        { hostId: hosts.b.hostId, name: 'B' },
      ],
    },
    () => undefined,
    { pollMs: 250, reconcileForMs: 20_000 },
  );
  const options = (route: 'direct' | 'relayed'): MigrationOptions => ({
    mode: 'live',
    copyStorage: 'full',
    disks: [],
    persistDest: true,
    undefineSource: true,
    compression: false,
    bandwidthMiBs: null,
    maxDowntimeMs: null,
    autoConverge: false,
    postCopy: false,
    route,
    peerUri: null,
  });
  const results: Array<{ route: string; from: string; total: number; downtime: number; data: number; relayed: number }> = [];
  try {
    await removeThrowawayGuests(lab, hosts, PREFIX);
    const uuid = await startThrowawayGuest(lab, hosts.a, GUEST, { memoryMiB: 256, diskMiB: mib, where: 'private' });
    await tick(5_000); // let it boot
    console.log(`migration bench: ${GUEST}, 256 MiB RAM, ${mib} MiB disk (random, qcow2), storage copy, ${rounds} round(s)`);
    console.log('route    from→to  total_s  downtime_ms  data_mib  mib_per_s  relayed_mib');
    for (let r = 0; r < rounds; r++) {
      for (const [route, from, to] of [
        ['direct', 'a', 'b'],
        ['direct', 'b', 'a'],
        ['relayed', 'a', 'b'],
        ['relayed', 'b', 'a'],
      ] as const) {
        // The copy a host kept when the guest left it is overwritten (a full copy either way).
        const jobId = `bench-${r}-${route}-${from}`;
        const started = Date.now();
        await service.start({ hostId: hosts[from].hostId, uuid, destinationHostId: hosts[to].hostId, jobId, options: options(route) });
        let job: MigrationJob | undefined;
        for (;;) {
          job = service.list().find((j) => j.jobId === jobId);
          if (job && ['done', 'failed', 'cancelled'].includes(job.state)) break;
          await tick(100);
        }
        const total = (Date.now() - started) / 1000;
        if (job.state !== 'done') throw new Error(`${route} ${from}→${to} ended ${job.state}: ${job.error?.message ?? ''}`);
        const data = (job.stats?.dataProcessed ?? 0) / 1048576;
        const row = { route, from: `${from.toUpperCase()}→${to.toUpperCase()}`, total, downtime: job.downtimeMs ?? NaN, data, relayed: job.relayedBytes / 1048576 };
        results.push(row);
        console.log(
          `${route.padEnd(8)} ${row.from.padEnd(7)}  ${round1(total).toFixed(1).padStart(7)}  ${String(row.downtime).padStart(11)}  ${round1(data).toFixed(1).padStart(8)}  ${round1(data / total).toFixed(1).padStart(9)}  ${round1(row.relayed).toFixed(1).padStart(11)}`,
        );
      }
    }
    const rate = (route: string) => median(results.filter((x) => x.route === route).map((x) => x.data / x.total));
    const time = (route: string) => median(results.filter((x) => x.route === route).map((x) => x.total));
    const down = (route: string) => median(results.filter((x) => x.route === route).map((x) => x.downtime));
    for (const route of ['direct', 'relayed']) console.log(`median ${route}: total ${round1(time(route))} s, downtime ${down(route)} ms, ${round1(rate(route))} MiB/s`);
    console.log(`relayed / direct throughput: ${(rate('relayed') / rate('direct')).toFixed(2)} (goal ≥ 0.8)`);
    return 0;
  } finally {
    await removeThrowawayGuests(lab, hosts, PREFIX).catch(() => undefined);
    await hosts.close();
  }
}
