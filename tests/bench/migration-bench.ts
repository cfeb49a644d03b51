/**
 * Migration benchmark (a measurement, not a test): a throwaway lab guest (256 MiB RAM, a qcow2 disk of N
 * MiB random data in host A's private disk directory) migrated live with storage copy through VirtDeck's
 * migration service and its own connections, per round: A → B direct, B → A direct, A → B relayed,
 * B → A relayed (the relayed route forced, so both routes run in the same lab state). Per migration:
 *
 *   total_s       start → job done (Begin … Confirm, as the user waits for it)
 *   data_s        the data phase: Perform (disks over NBD, then memory, then the switch-over), as the job's steps say
 *   libvirt_s     libvirt's own time for the migration job (time_elapsed of the completed job on the destination)
 *   downtime_ms   the guest's actual pause at the switch-over (libvirt's completed job statistics)
 *   mem_mib       libvirt's completed-job data_processed on the destination: MEMORY ONLY (see below)
 *   disk_mib      disk bytes copied (disk_processed of the last statistics polled during Perform)
 *   moved_mib     mem_mib + disk_mib: what the data phase moved
 *   data_mib_s    moved_mib / data_s (the route's data-phase throughput)
 *   relay_fwd/back  bytes VirtDeck carried source → destination and back (relayed route)
 *   cpu_s         CPU time this (VirtDeck) process used during the data phase (user + system)
 *   busy          cores the whole machine kept busy during the data phase (/proc/stat; of `nproc`): near the
 *                 core count, the data phase is CPU-bound (both QEMUs, both sshds, VirtDeck and the rest)
 *   split         (second line) when the disk copy ended and how long the memory part took, from the job's
 *                 statistics polled every 100 ms during Perform; per relayed connection (conn N) bytes and pieces
 *                 per direction and its turns (direction changes: a request/reply protocol turns twice per round trip);
 *                 under it, how often the connection paused the source side, and its destination channel's send window:
 *                 WINDOW_ADJUSTs, how often the window was used up and for how long, and the window round trip (from
 *                 VirtDeck handing host B's sshd a byte to the adjust that credits it back: W / round trip bounds the
 *                 channel's rate); then VirtDeck's event loop delay and garbage collections during Perform
 *   conns/open_ms relayed connections (the migration stream, the NBD connections) and the longest wait for a
 *                 destination channel: the fixed cost per connection, against data_s
 *
 * Why the relay carries more than libvirt's "data processed": with storage copy the disks go first, over
 * NBD (drive-mirror), and only then the memory. libvirt's completed-job statistics on the destination hold
 * the memory stream's counters only (data_processed = memory_processed, disk_* absent), while the relay
 * carries both streams: relay_fwd ≈ mem_mib + disk_mib (+ NBD/migration protocol overhead), and relay_back
 * the NBD replies. The bench prints the completed job's fields once to show it.
 *
 * Then the relay without QEMU: a plain byte stream (--stream-mib MiB, A → B) between two python3 sockets on
 * the lab hosts, host to host directly vs through VirtDeck's relay (host A's sshd → VirtDeck → host B's sshd),
 * so VirtDeck's relay cost shows apart from QEMU's; wait_ms = time the relay paused host A's side because
 * the channel to host B had a full queue (waiting on host B's SSH window).
 *
 * The relayed throughput against the direct one in the same run (goal ≥ 0.8), for the data phase and the total.
 *
 * `--only relay-threads`: the relay without QEMU, one thread against two (relayThreadsBench below): the
 * relay as it is vs host B's side on its own connection in a worker thread (relay-worker.ts), --rounds
 * pairs back to back with the load average on every line. Not in the default run.
 *
 *   npm run bench -- migration [--mib 64] [--rounds 2] [--stream-mib 256] [--only migration|stream|relay-threads]
 *
 * Everything is named vd-bench-mig-… and removed; run it under the lab lock (flock /tmp/virtdeck-lab-tests.lock).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { MigrationJob, MigrationOptions } from '../../preload/api-contract';
import { shellQuote } from '../../main/ssh';
import { migrationStats } from '../../main/services/migration/migration-params';
import { MigrationRelay } from '../../main/services/migration/migration-relay';
import { BulkConnection, type WorkerConnectParams } from './relay-worker';
import { MigrationService } from '../../main/services/migration/migration-service';
import type { MigrationHost } from '../../main/services/migration/migration-job';
import { ensureLab, labIsolate, requireHostB } from '../support/lab';
import { connectLabHosts, removeThrowawayGuests, startThrowawayGuest } from '../support/migration-lab';

/** ssh2's crypto module: whether its native (OpenSSL) AEAD binding was built and loaded at install. */
const ssh2Crypto = createRequire(import.meta.url)('ssh2/lib/protocol/crypto') as {
  bindingAvailable: boolean;
};
const PREFIX = 'vd-bench-mig-';
const GUEST = `${PREFIX}1`;
const MiB = 1048576;
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (n: number) => Math.round(n * 10) / 10;
const f1 = (n: number, width: number) => (Number.isFinite(n) ? round1(n).toFixed(1) : '-').padStart(width);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.floor(sorted.length / 2)] as number);
};
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** The machine's CPU time so far (/proc/stat's first line, in ticks): busy and total. */
interface MachineCpu {
  busy: number;
  total: number;
}
function machineCpu(): MachineCpu {
  const fields =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}
/** CPU ticks (user + system) per process on the machine (/proc/PID/stat), keyed "comm:pid". */
function processCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      out.set(`${comm}:${pid}`, Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
/** The processes that used the most CPU between two readings, grouped by name (seconds; 100 ticks/s). */
function topCpu(from: Map<string, number>, to: Map<string, number>): string {
  const byName = new Map<string, number>();
  for (const [key, ticks] of to) {
    const used = ticks - (from.get(key) ?? 0);
    if (used <= 0) continue;
    const name = key.slice(0, key.lastIndexOf(':'));
    byName.set(name, (byName.get(name) ?? 0) + used / 100);
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 7)
    .map(([name, s]) => `${name} ${s.toFixed(2)}`)
    .join(', ');
}
/** Cores kept busy between two readings (0 … the core count). */
const busyCores = (from: MachineCpu, to: MachineCpu) =>
  to.total > from.total ? ((to.busy - from.busy) / (to.total - from.total)) * cpus().length : NaN;

/** The relays the migration jobs made, in order (recorded when their first port opens). */
const relays: MigrationRelay[] = [];
const openRelay = MigrationRelay.prototype.open;
MigrationRelay.prototype.open = function (this: MigrationRelay, target) {
  if (!relays.includes(this)) relays.push(this);
  this.traceWindows = true;
  return openRelay.call(this, target);
};
const relayConnections = (relay: MigrationRelay | undefined, stats = relay?.connectionStats) =>
  stats ? `${stats.channelOpenMs.length}/${Math.max(0, ...stats.channelOpenMs).toFixed(1)}` : '?';

/** Receives one connection on the destination (python3), counts it to EOF: port first, then "bytes seconds". */
const RECEIVER =
  'import socket,sys,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n' +
  's.bind((sys.argv[1],0))\ns.listen(1)\nprint(s.getsockname()[1],flush=True)\ns.settimeout(120)\nc,a=s.accept()\n' +
  'buf=bytearray(1<<20)\nn=0\nt0=None\nwhile True:\n  k=c.recv_into(buf)\n  if k==0: break\n' +
  '  if t0 is None: t0=time.monotonic()\n  n+=k\nt1=time.monotonic()\nc.close()\nprint(n,t1-(t0 or t1),flush=True)\n';
/** Sends N MiB of random bytes to host:port (python3), half-closes, waits for the receiver to close; prints seconds. */
const SENDER =
  'import os,socket,sys,time\nb=os.urandom(1<<20)\nn=int(sys.argv[3])\nt0=time.monotonic()\n' +
  'c=socket.create_connection((sys.argv[1],int(sys.argv[2])))\nfor i in range(n): c.sendall(b)\n' +
  'c.shutdown(socket.SHUT_WR)\nwhile c.recv(65536): pass\nprint(time.monotonic()-t0,flush=True)\n';

/** A plain byte stream A → B: directly (B listens on `bindAddress`, A connects to `connectHost`) or through a relay. */
export async function streamOnce(
  a: MigrationHost,
  b: MigrationHost,
  mib: number,
  route: 'direct' | 'relayed' | 'relayed-worker',
  hostBAddress: string,
  sharedBulk?: BulkConnection,
): Promise<{
  seconds: number;
  receiverSeconds: number;
  bytes: number;
  cpu: number;
  cpuSystem: number;
  relay: MigrationRelay | null;
}> {
  if (!a.ssh || !b.ssh) throw new Error('the stream bench needs SSH connections to both hosts');
  const receiver = await b.ssh.exec(
    `python3 -c ${shellQuote(RECEIVER)} ${route === 'direct' ? '0.0.0.0' : '127.0.0.1'}`,
  );
  let out = '';
  receiver.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const closed = new Promise<void>((resolve) => receiver.once('close', () => resolve()));
  const portBy = Date.now() + 10_000;
  while (!/^\d+\n/.test(out)) {
    if (Date.now() > portBy) throw new Error(`the receiver on host B did not start: ${out}`);
    await tick(20);
  }
  const port = Number(out.split('\n')[0]);
  let relay: MigrationRelay | null = null;
  let target = `${hostBAddress} ${port}`;
  if (route === 'relayed-worker') {
    // Host B's side on a dedicated connection in a worker thread (opened before the clock starts).
    if (!sharedBulk) throw new Error('the relayed-worker route needs the worker connection');
    const via = sharedBulk;
    relay = new MigrationRelay(a.ssh, {
      listenRemote: () => Promise.reject(new Error('not used')),
      forwardTcp: (host, p) => via.forwardTcp(host, p),
    });
    const opened = await relay.open({ hosts: ['127.0.0.1'], port });
    target = `127.0.0.1 ${opened.sourcePort}`;
  } else if (route === 'relayed') {
    relay = new MigrationRelay(a.ssh, b.ssh);
    const opened = await relay.open({ hosts: ['127.0.0.1'], port });
    target = `127.0.0.1 ${opened.sourcePort}`;
  }
  const cpu0 = process.cpuUsage();
  try {
    const sent = await a.ssh.run(`python3 -c ${shellQuote(SENDER)} ${target} ${mib}`, { timeoutMs: 300_000 });
    const used = process.cpuUsage(cpu0);
    const cpu = cpuSeconds(used);
    if (sent.code !== 0) throw new Error(`the sender on host A failed: ${sent.stderr}`);
    await Promise.race([closed, tick(10_000)]);
    const [bytes, receiverSeconds] = (out.split('\n')[1] ?? '').split(' ').map(Number);
    if (bytes !== mib * MiB) throw new Error(`host B received ${bytes} of ${mib * MiB} bytes`);
    return {
      seconds: Number(sent.stdout.trim()),
      receiverSeconds: receiverSeconds ?? NaN,
      bytes,
      cpu,
      cpuSystem: used.system / 1e6,
      relay,
    };
  } finally {
    receiver.destroy();
    await relay?.close();
  }
}

interface StepTimes {
  performAt?: number;
  performEnd?: number;
  cpuAtPerform?: NodeJS.CpuUsage;
  machineAtPerform?: MachineCpu;
  procAtPerform?: Map<string, number>;
  procAtEnd?: Map<string, number>;
  busy?: number;
  cpu?: number;
  /** VirtDeck's event loop delay during Perform (perf_hooks, 1 ms resolution): ms. */
  loopDelay?: { mean: number; p50: number; p99: number; max: number };
  /** Garbage collections during Perform: count, summed and longest pause (ms), by kind (minor/major). */
  gc?: { count: number; totalMs: number; maxMs: number; majorCount: number; majorMs: number };
  diskProcessed: number;
  /** The job's statistics as polled during Perform: [ms since Perform, disk_processed, memory_processed]. */
  timeline: Array<[number, number, number]>;
}

/**
 * The data phase split from the polled timeline: when the disk copy ended (disk_processed reached its
 * last value) and when the memory stream started (memory_processed > 0), ms since Perform; both are up
 * to one poll late.
 */
function splitDataPhase(times: StepTimes): { diskEndMs: number; memStartMs: number } {
  const last = times.timeline.at(-1);
  const finalDisk = last?.[1] ?? 0;
  const diskEnd = times.timeline.find(([, disk]) => finalDisk > 0 && disk >= finalDisk);
  const memStart = times.timeline.find(([, , mem]) => mem > 0);
  return { diskEndMs: diskEnd?.[0] ?? NaN, memStartMs: memStart?.[0] ?? NaN };
}

export async function migrationBenchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      mib: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '2' },
      'stream-mib': { type: 'string', default: '256' },
      only: { type: 'string' },
    },
  });
  const only = values.only;
  if (only !== undefined && only !== 'migration' && only !== 'stream' && only !== 'relay-threads') {
    console.error('migration bench: --only takes migration, stream or relay-threads');
    return 2;
  }
  const mib = Number(values.mib);
  const rounds = Number(values.rounds);
  const streamMib = Number(values['stream-mib']);
  const found = ensureLab(() => undefined);
  if (!found.available) {
    console.error(`migration bench: no lab (${found.reason})`);
    return 1;
  }
  const lab = found.lab;
  const hostB = requireHostB(lab);
  labIsolate(false);
  const hosts = await connectLabHosts(lab);
  for (const [name, host] of [
    ['A', hosts.a],
    ['B', hosts.b],
  ] as const) {
    const chosen = host.ssh?.info.negotiated;
    console.log(
      `SSH to host ${name}: ${chosen ? `cipher ${chosen.cipher.join(' / ')}, MAC ${chosen.mac.map((mac) => mac || 'in the AEAD cipher').join(' / ')}, kex ${chosen.kex}` : 'algorithms not reported'}; ssh2 native crypto binding ${ssh2Crypto.bindingAvailable ? 'loaded' : 'NOT loaded (pure JS ciphers)'}`,
    );
  }
  // The data phase of each job, from the steps it publishes (Perform starts → Finish starts).
  const loopMonitor = monitorEventLoopDelay({ resolution: 1 });
  // Garbage collections of this process during a Perform (the job being measured).
  let gcNow: NonNullable<StepTimes['gc']> | null = null;
  const gcObserver = new PerformanceObserver((list) => {
    if (!gcNow) return;
    for (const entry of list.getEntries()) {
      gcNow.count++;
      gcNow.totalMs += entry.duration;
      gcNow.maxMs = Math.max(gcNow.maxMs, entry.duration);
      // NODE_PERFORMANCE_GC_MAJOR = 4
      if (((entry as { detail?: { kind?: number } }).detail?.kind ?? 0) === 4) {
        gcNow.majorCount++;
        gcNow.majorMs += entry.duration;
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const steps = new Map<string, StepTimes>();
  const onJob = (job: MigrationJob) => {
    const times = steps.get(job.jobId) ?? { diskProcessed: 0, timeline: [] };
    steps.set(job.jobId, times);
    if (job.step === 'perform' && times.performAt === undefined) {
      times.performAt = performance.now();
      times.cpuAtPerform = process.cpuUsage();
      times.machineAtPerform = machineCpu();
      times.procAtPerform = processCpu();
      loopMonitor.reset();
      loopMonitor.enable();
      gcNow = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMs: 0 };
      times.gc = gcNow;
    }
    if (job.step === 'perform' && job.stats?.diskProcessed)
      times.diskProcessed = Math.max(times.diskProcessed, job.stats.diskProcessed);
    if (job.step === 'perform' && job.stats && times.performAt !== undefined)
      times.timeline.push([
        performance.now() - times.performAt,
        job.stats.diskProcessed ?? 0,
        job.stats.memoryProcessed ?? 0,
      ]);
    if (job.step !== 'perform' && times.performAt !== undefined && times.performEnd === undefined) {
      times.performEnd = performance.now();
      times.cpu = cpuSeconds(process.cpuUsage(times.cpuAtPerform));
      if (times.machineAtPerform) times.busy = busyCores(times.machineAtPerform, machineCpu());
      times.procAtEnd = processCpu();
      loopMonitor.disable();
      gcNow = null;
      const ms = (ns: number) => ns / 1e6;
      times.loopDelay = {
        mean: ms(loopMonitor.mean),
        p50: ms(loopMonitor.percentile(50)),
        p99: ms(loopMonitor.percentile(99)),
        max: ms(loopMonitor.max),
      };
    }
  };
  const service = new MigrationService(
    {
      host: (id) => (id === hosts.a.hostId ? hosts.a : id === hosts.b.hostId ? hosts.b : null),
      connected: async () => [
        { hostId: hosts.a.hostId, name: 'A' },
        { hostId: hosts.b.hostId, name: 'B' },
      ],
    },
    onJob,
    { pollMs: 100, reconcileForMs: 20_000 },
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
  const results: Array<{
    route: string;
    total: number;
    dataS: number;
    libvirtS: number;
    downtime: number;
    moved: number;
  }> = [];
  let shownCompleted = false;
  try {
    console.log(
      `load average at start: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`,
    );
    if (only === 'relay-threads') {
      if (!hosts.b.ssh) throw new Error('the relay bench needs an SSH connection to host B');
      // The worker's own connection to host B: as connectLabHosts connects, host key pinned to the accepted one.
      await relayThreadsBench(hosts.a, hosts.b, streamMib, rounds, hostB.ssh.host, {
        target: {
          host: hostB.ssh.host,
          port: hostB.ssh.port,
          user: hostB.accounts.root.user,
          identityFile: hostB.accounts.root.identityFile,
        },
        options: { knownHostsFiles: [hostB.ssh.knownHostsFile], sshConfigFile: null, agent: null },
        pinnedHostKey: hosts.b.ssh.info.hostKey.fingerprint,
      });
      return 0;
    }
    if (only !== 'stream') {
      await removeThrowawayGuests(lab, hosts, PREFIX);
      const uuid = await startThrowawayGuest(lab, hosts.a, GUEST, {
        memoryMiB: 256,
        diskMiB: mib,
        where: 'private',
      });
      await tick(5_000); // let it boot
      console.log(
        `migration bench: ${GUEST}, 256 MiB RAM, ${mib} MiB disk (random, qcow2), storage copy, ${rounds} round(s)`,
      );
      console.log(
        'route    from→to  total_s  data_s  libvirt_s  downtime_ms  mem_mib  disk_mib  moved_mib  data_mib_s  relay_fwd  relay_back  cpu_s  busy  conns/open_ms',
      );
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
          await service.start({
            hostId: hosts[from].hostId,
            uuid,
            destinationHostId: hosts[to].hostId,
            jobId,
            options: options(route),
          });
          let job: MigrationJob | undefined;
          for (;;) {
            job = service.list().find((j) => j.jobId === jobId);
            if (job && ['done', 'failed', 'cancelled'].includes(job.state)) break;
            await tick(100);
          }
          const total = (Date.now() - started) / 1000;
          if (job.state !== 'done')
            throw new Error(`${route} ${from}→${to} ended ${job.state}: ${job.error?.message ?? ''}`);
          const times = steps.get(jobId) ?? { diskProcessed: 0, timeline: [] };
          const dataS =
            times.performAt !== undefined && times.performEnd !== undefined
              ? (times.performEnd - times.performAt) / 1000
              : NaN;
          // The completed job's statistics on the destination (libvirt keeps them there after the migration):
          // libvirt's own elapsed time and the memory stream's bytes; the last polled figures are up to a poll behind.
          const completed = await hosts[to].libvirt.migration
            .jobStats({ uuid }, 1 /* COMPLETED */)
            .catch(() => null);
          const final =
            completed && completed.type !== 'none' ? migrationStats(completed.params, false) : null;
          if (!shownCompleted && completed) {
            shownCompleted = true;
            const fields = completed.params
              .filter((p) => /^(data|memory|disk)_(processed|total|remaining)$/.test(p.field))
              .map((p) => `${p.field}=${(Number(p.value) / MiB).toFixed(1)}`);
            console.log(
              `  (completed job on the destination, MiB: ${fields.join(' ') || '(none)'}; disk_processed polled during Perform: ${(times.diskProcessed / MiB).toFixed(1)})`,
            );
          }
          const mem = (final?.dataProcessed ?? job.stats?.dataProcessed ?? 0) / MiB;
          const disk = times.diskProcessed / MiB;
          const moved = mem + disk;
          const libvirtS =
            final?.elapsedMs !== null && final?.elapsedMs !== undefined ? final.elapsedMs / 1000 : NaN;
          const downtime = job.downtimeMs ?? NaN;
          results.push({ route, total, dataS, libvirtS, downtime, moved });
          const relayed = route === 'relayed';
          const relay = relayed ? relays.shift() : undefined;
          const split = splitDataPhase(times);
          const diskS = split.diskEndMs / 1000;
          const memS = dataS - split.memStartMs / 1000;
          console.log(
            `${route.padEnd(8)} ${`${from.toUpperCase()}→${to.toUpperCase()}`.padEnd(7)}  ${f1(total, 7)}  ${f1(dataS, 6)}  ${f1(libvirtS, 9)}  ${String(downtime).padStart(11)}  ${f1(mem, 7)}  ${f1(disk, 8)}  ${f1(moved, 9)}  ${f1(moved / dataS, 10)}  ${relayed ? f1(job.relayedToDestination / MiB, 9) : '        -'}  ${relayed ? f1(job.relayedToSource / MiB, 10) : '         -'}  ${f1(times.cpu ?? NaN, 5)}  ${(times.busy ?? NaN).toFixed(2).padStart(4)}  ${relayed ? relayConnections(relay) : '-'}${final?.dataProcessed !== null && final?.dataProcessed !== undefined ? '' : '  (mem: last polled)'}`,
          );
          console.log(
            `         split: disk copy ended at ${f1(diskS, 4)} s (${f1(disk / diskS, 5)} MiB/s), memory from ${f1(split.memStartMs / 1000, 4)} s to the end of Perform: ${f1(memS, 4)} s (${f1(mem / memS, 5)} MiB/s); ${times.timeline.length} polls`,
          );
          if (relay)
            console.log(
              `         relay paused the source side for the destination's channel: ${relay.waits.toDestinationTimes} times, ${Math.round(relay.waits.toDestinationMs)} ms in all (the other way ${relay.waits.toSourceTimes}, ${Math.round(relay.waits.toSourceMs)} ms)`,
            );
          for (const [i, c] of (relay?.connectionStats.connections ?? []).entries()) {
            const spanS =
              c.firstAt !== null && c.lastToDestinationAt !== null
                ? (c.lastToDestinationAt - c.firstAt) / 1000
                : NaN;
            const gap = (d: 'toSource' | 'toDestination') =>
              (c.turnGapMs[d] / Math.max(1, c.turns[d])).toFixed(2);
            console.log(
              `         conn ${i + 1}: fwd ${f1(c.bytes.toDestination / MiB, 6)} MiB in ${c.pieces.toDestination} pieces over ${f1(spanS, 4)} s, back ${c.bytes.toSource} B in ${c.pieces.toSource} pieces; destination window at open ${c.destinationWindow === null ? '?' : `${(c.destinationWindow / MiB).toFixed(2)} MiB`}; turns to source ${c.turns.toSource} (mean gap ${gap('toSource')} ms, sum ${Math.round(c.turnGapMs.toSource)}), to destination ${c.turns.toDestination} (mean gap ${gap('toDestination')} ms, sum ${Math.round(c.turnGapMs.toDestination)})`,
            );
            const w = c.window;
            const rtt = w ? [...w.roundTripsMs].sort((x, y) => x - y) : [];
            const q = (f: number) =>
              rtt.length
                ? (rtt[Math.min(rtt.length - 1, Math.floor(rtt.length * f))] as number).toFixed(1)
                : '-';
            console.log(
              `                 paused source ${c.paused.toDestination.times}× ${Math.round(c.paused.toDestination.ms)} ms; destination window: ${w ? `${w.adjusts} adjusts, used up ${w.stalls}× for ${Math.round(w.stalledMs)} ms, window round trip (sent → credited back) median ${q(0.5)} p90 ${q(0.9)} max ${q(1)} ms` : '?'}`,
            );
          }
          if (times.loopDelay)
            console.log(
              `         VirtDeck event loop delay during Perform: mean ${times.loopDelay.mean.toFixed(1)} ms, p50 ${times.loopDelay.p50.toFixed(1)}, p99 ${times.loopDelay.p99.toFixed(1)}, max ${times.loopDelay.max.toFixed(1)}${times.gc ? `; GC ${times.gc.count}× ${Math.round(times.gc.totalMs)} ms (longest ${times.gc.maxMs.toFixed(1)}), of it major ${times.gc.majorCount}× ${Math.round(times.gc.majorMs)} ms` : ''}`,
            );
          if (times.procAtPerform && times.procAtEnd)
            console.log(
              `         CPU s during Perform by process: ${topCpu(times.procAtPerform, times.procAtEnd)}`,
            );
        }
      }
      const of = (route: string) => results.filter((x) => x.route === route);
      const dataRate = (route: string) => median(of(route).map((x) => x.moved / x.dataS));
      const totalRate = (route: string) => median(of(route).map((x) => x.moved / x.total));
      const jobRate = (route: string) => median(of(route).map((x) => x.moved / x.libvirtS));
      for (const route of ['direct', 'relayed'])
        console.log(
          `median ${route}: total ${round1(median(of(route).map((x) => x.total)))} s, data phase ${round1(median(of(route).map((x) => x.dataS)))} s, downtime ${median(of(route).map((x) => x.downtime))} ms, data phase ${round1(dataRate(route))} MiB/s, libvirt job ${round1(median(of(route).map((x) => x.libvirtS)))} s = ${round1(jobRate(route))} MiB/s, overall ${round1(totalRate(route))} MiB/s`,
        );
      console.log(
        `relayed / direct throughput: data phase (Perform) ${(dataRate('relayed') / dataRate('direct')).toFixed(2)}, libvirt job ${(jobRate('relayed') / jobRate('direct')).toFixed(2)}, total ${(totalRate('relayed') / totalRate('direct')).toFixed(2)} (goal ≥ 0.8)`,
      );
      console.log(
        `load average after the migrations: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`,
      );
    }

    if (only !== 'migration') {
      // The relay without QEMU: a plain byte stream A → B.
      await removeThrowawayGuests(lab, hosts, PREFIX);
      console.log(
        `relay without QEMU: ${streamMib} MiB of random bytes A → B, python3 socket to python3 socket`,
      );
      console.log(
        'route    seconds  mib_per_s  receiver_mib_s  cpu_s  (sys)  cpu_s_per_256mib  relay_fwd  wait_ms  packet_kib  open_ms',
      );
      const streamRates: Record<string, number[]> = { direct: [], relayed: [] };
      for (let r = 0; r < rounds; r++) {
        for (const route of ['direct', 'relayed'] as const) {
          const s = await streamOnce(hosts.a, hosts.b, streamMib, route, hostB.ssh.host);
          streamRates[route]?.push(streamMib / s.seconds);
          console.log(
            `${route.padEnd(8)} ${f1(s.seconds, 7)}  ${f1(streamMib / s.seconds, 9)}  ${f1(streamMib / s.receiverSeconds, 14)}  ${f1(s.cpu, 5)}  ${s.cpuSystem.toFixed(2).padStart(5)}  ${(Math.round((s.cpu * 256 * 100) / streamMib) / 100).toFixed(2).padStart(16)}  ${s.relay ? f1(s.relay.bytes.toDestination / MiB, 9) : '        -'}  ${s.relay ? String(Math.round(s.relay.waits.toDestinationMs)).padStart(7) : '      -'}  ${s.relay ? f1(s.relay.bytes.toDestination / 1024 / Math.max(1, s.relay.connectionStats.pieces.toDestination), 10) : '         -'}  ${
              s.relay
                ? s.relay.connectionStats.channelOpenMs
                    .map((ms) => ms.toFixed(1))
                    .join(',')
                    .padStart(7)
                : '      -'
            }`,
          );
        }
      }
      const sd = median(streamRates.direct ?? []);
      const sr = median(streamRates.relayed ?? []);
      console.log(
        `relay without QEMU: median direct ${round1(sd)} MiB/s, relayed ${round1(sr)} MiB/s (${(sr / sd).toFixed(2)})`,
      );
    }
    console.log(
      `load average at the end: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`,
    );
    return 0;
  } finally {
    gcObserver.disconnect();
    await removeThrowawayGuests(lab, hosts, PREFIX).catch(() => undefined);
    await hosts.close();
  }
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * The relay without QEMU, one thread against two (`--only relay-threads`): the same stream A → B through
 * the relay with host B's side on VirtDeck's main connection (all on the main thread, as the relayed
 * route does today) and on a dedicated connection in a worker thread (relay-worker.ts: host B's
 * encryption, packets and socket writes off the main thread). Pairs back to back, the order alternating;
 * each line has the load average before it and the machine's busy cores during it.
 */
async function relayThreadsBench(
  a: MigrationHost,
  b: MigrationHost,
  mib: number,
  rounds: number,
  hostBAddress: string,
  workerParams: WorkerConnectParams,
): Promise<void> {
  console.log(`relay without QEMU, one thread vs two: ${mib} MiB of random bytes A → B, ${rounds} pairs`);
  const openedAt = performance.now();
  const cpuOpen = process.cpuUsage();
  const bulk = await BulkConnection.open(workerParams);
  console.log(
    `worker thread with its own connection to host B: ready in ${Math.round(performance.now() - openedAt)} ms, ${cpuSeconds(process.cpuUsage(cpuOpen)).toFixed(2)} s CPU (${bulk.cipher}); kept for all runs`,
  );
  // Warm-up (not counted): the first stream through each path in a process runs cold code.
  await streamOnce(a, b, 32, 'relayed', hostBAddress);
  await streamOnce(a, b, 32, 'relayed-worker', hostBAddress, bulk);
  console.log('pair  route           mib_per_s  cpu_s  cpu_s_per_256mib  busy  wait_ms  load_before');
  const rates: Record<string, number[]> = { relayed: [], 'relayed-worker': [] };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order =
      r % 2 === 0 ? (['relayed', 'relayed-worker'] as const) : (['relayed-worker', 'relayed'] as const);
    const pair: Record<string, number> = {};
    for (const route of order) {
      const load = loadavg();
      const m0 = machineCpu();
      const s = await streamOnce(a, b, mib, route, hostBAddress, bulk);
      const busy = busyCores(m0, machineCpu());
      const rate = mib / s.seconds;
      pair[route] = rate;
      rates[route]?.push(rate);
      console.log(
        `${String(r + 1).padStart(4)}  ${route.padEnd(14)}  ${f1(rate, 9)}  ${f1(s.cpu, 5)}  ${(Math.round((s.cpu * 256 * 100) / mib) / 100).toFixed(2).padStart(16)}  ${busy.toFixed(2)}  ${String(Math.round(s.relay?.waits.toDestinationMs ?? 0)).padStart(7)}  ${load}`,
      );
    }
    ratios.push((pair['relayed-worker'] ?? NaN) / (pair.relayed ?? NaN));
  }
  await bulk.close();
  const one = median(rates.relayed ?? []);
  const two = median(rates['relayed-worker'] ?? []);
  console.log(
    `median one thread ${round1(one)} MiB/s, two threads ${round1(two)} MiB/s; per pair two/one: ${ratios.map((x) => x.toFixed(2)).join(' ')}; load average at the end ${loadavg()}`,
  );
}
