/**
 * Metrics history benchmark (a measurement, not a test): the real store and service the app uses
 * (main/services/metrics-history: MetricsHistoryService → MetricsStore → series-format) in a temporary
 * directory, on a simulated clock (the store takes every sample's time explicitly and its `now` for
 * retention and tier choice), so a day of history is written in seconds. Nothing touches the lab.
 *
 *   npm run bench -- history [--hosts 100] [--vms 30] [--ticks 330] [--chart-vms 3] [--reads 20]
 *
 * 1. Write cost: --hosts × --vms running VMs plus the hosts, one stats tick every 2 s (simulated) for
 *    --ticks ticks. Each tick is what the app does on the fleet tick: `recordHost` and `recordDomains` per
 *    host with bulk-stats typed parameters (cpu.time, balloon.*, block.0.*, net.0.*) that change every
 *    tick, i.e. metric extraction + append to the in-memory rows + 1-minute and 10-minute downsampling;
 *    the store's flush (in the app a 15 s timer) runs on the tick that crosses each 15 s of simulated
 *    time, and prune (a 10 min timer) on each 10 min. CPU per tick is process.cpuUsage() (user + system,
 *    all threads: the appends run on libuv's pool) around all of that, awaited, expressed as % of one
 *    core at a 2 s tick. The first tick (it creates every entity's directory and meta.json) is reported
 *    on its own.
 * 2. Bytes on disk per day: measured = the bytes the store appended during the run (its own counter,
 *    and the segment files by tier on disk) scaled from the simulated run length to 24 h; computed = rows
 *    per day × the tier row sizes of series-format.ts (raw every 2 s, 1 440 one-minute and 144
 *    ten-minute buckets per entity). Both are printed; the measured per-tick raw row size must equal the
 *    computed one.
 * 3. 24 h chart: --chart-vms VMs of one host written through the same service for 24 h of simulated
 *    2 s ticks (43 200 each), then a NEW service on that directory (as after a restart: nothing in
 *    memory) answers the VM page's query, metricsHistory.read(entity, now − 24 h, now) with every metric:
 *    the first (cold) read and the median of --reads further ones, and the JSON size of the answer (what
 *    serve mode sends over its WebSocket). Only the read is timed here, not the chart's drawing in the
 *    browser: tests/e2e/history-chart-24h.spec.ts times that (a day of rows for a lab guest, the VM
 *    page's 15 min → 24 h switch in Chromium, click to painted).
 *
 * Prints one JSON line (`[history-bench] {...}`), then a human summary.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { HOST_METRICS, VM_METRICS, type MetricsEntity } from '../../preload/api-contract';
import type { TypedParam } from '../../main/libvirt/client/typed-params';
import type { DomainSample } from '../../main/services/fleet/fleet-port';
import { MetricsHistoryService } from '../../main/services/metrics-history/metrics-history-service';
import { TIERS, bucketRowBytes, rawRowBytes } from '../../main/services/metrics-history/series-format';

const TICK_MS = 2_000;
const FLUSH_MS = 15_000;
const PRUNE_MS = 10 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** Long enough that the service's own timers never fire during the bench: it flushes and prunes on the simulated clock. */
const NEVER_MS = 20 * DAY_MS;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.floor(sorted.length / 2)] as number);
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number);
};
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

const hostId = (h: number) => `00000000-0000-4000-8000-${String(h).padStart(12, '0')}`;
const vmUuid = (h: number, v: number) => `${String(h).padStart(8, '0')}-0000-4000-9000-${String(v).padStart(12, '0')}`;

/** A running VM's bulk-stats record at tick n: counters that grow by a varying amount every tick. */
function domainSample(h: number, v: number, n: number): DomainSample {
  const seed = h * 31 + v;
  const wave = 1 + Math.sin((n + seed) / 7);
  const cpuNs = BigInt(Math.round(n * 2e9 * 0.3 * wave + seed * 1e9));
  const params: TypedParam[] = [
    { field: 'cpu.time', type: 'ullong', value: cpuNs },
    { field: 'balloon.current', type: 'ullong', value: 1_048_576n },
    { field: 'balloon.available', type: 'ullong', value: 1_000_000n },
    { field: 'balloon.usable', type: 'ullong', value: BigInt(400_000 + Math.round(100_000 * wave)) },
    { field: 'balloon.rss', type: 'ullong', value: 700_000n },
    { field: 'block.0.rd.bytes', type: 'ullong', value: BigInt(n * 40_960 + Math.round(wave * 4096)) },
    { field: 'block.0.rd.reqs', type: 'ullong', value: BigInt(n * 10) },
    { field: 'block.0.rd.times', type: 'ullong', value: BigInt(n * 1_000_000) },
    { field: 'block.0.wr.bytes', type: 'ullong', value: BigInt(n * 81_920) },
    { field: 'block.0.wr.reqs', type: 'ullong', value: BigInt(n * 20) },
    { field: 'block.0.wr.times', type: 'ullong', value: BigInt(n * 3_000_000) },
    { field: 'block.0.fl.reqs', type: 'ullong', value: BigInt(n) },
    { field: 'block.0.fl.times', type: 'ullong', value: BigInt(n * 500_000) },
    { field: 'net.0.rx.bytes', type: 'ullong', value: BigInt(n * 12_000 + Math.round(wave * 1000)) },
    { field: 'net.0.tx.bytes', type: 'ullong', value: BigInt(n * 6_000) },
  ];
  return {
    uuid: vmUuid(h, v),
    name: `bench-${h}-${v}`,
    state: 'running',
    persistent: true,
    autostart: false,
    vcpus: 2,
    memoryKiB: 1_048_576,
    maxMemoryKiB: 1_048_576,
    cpuTimeNs: cpuNs,
    params,
  };
}

function hostSample(h: number, n: number, at: number) {
  const wave = 1 + Math.sin((n + h) / 5);
  const ns = (x: number) => ({ field: '', type: 'ullong' as const, value: BigInt(Math.round(x)) });
  return {
    at,
    cpu: [
      { ...ns(n * 4e9 * 0.2 * wave), field: 'kernel' },
      { ...ns(n * 4e9 * 0.3), field: 'user' },
      { ...ns(n * 4e9 * 0.45), field: 'idle' },
      { ...ns(n * 4e9 * 0.05), field: 'iowait' },
    ],
    memory: [
      { ...ns(65_000_000), field: 'total' },
      { ...ns(20_000_000 + 1_000_000 * wave), field: 'free' },
      { ...ns(1_000_000), field: 'buffers' },
      { ...ns(10_000_000), field: 'cached' },
    ],
  };
}

/** Segment bytes on disk by tier (apparent size and allocated blocks), and meta.json files. */
function diskByTier(root: string): { tiers: Record<string, { files: number; bytes: number }>; metaBytes: number; allocatedBytes: number } {
  const tiers: Record<string, { files: number; bytes: number }> = { raw: { files: 0, bytes: 0 }, '1m': { files: 0, bytes: 0 }, '10m': { files: 0, bytes: 0 } };
  let metaBytes = 0;
  let allocatedBytes = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const st = statSync(path);
      allocatedBytes += st.blocks * 512;
      const tier = /^(raw|1m|10m)-\d+\.seg$/.exec(entry.name)?.[1];
      if (tier) {
        const slot = tiers[tier] as { files: number; bytes: number };
        slot.files++;
        slot.bytes += st.size;
      } else if (entry.name === 'meta.json') metaBytes += st.size;
    }
  };
  walk(root);
  return { tiers, metaBytes, allocatedBytes };
}

/** Simulated ticks through the service: per tick every host's sample and its VMs' bulk stats, then due flush/prune. */
class SimulatedFleet {
  now: number;
  private nextFlush: number;
  private nextPrune: number;
  readonly service: MetricsHistoryService;

  constructor(
    readonly directory: string,
    readonly hosts: number,
    readonly vms: number,
    start: number,
  ) {
    this.now = start;
    this.nextFlush = Math.floor(start / FLUSH_MS) * FLUSH_MS + FLUSH_MS;
    this.nextPrune = Math.floor(start / PRUNE_MS) * PRUNE_MS + PRUNE_MS;
    this.service = new MetricsHistoryService({ directory, flushMs: NEVER_MS, pruneMs: NEVER_MS, now: () => this.now });
  }

  /** One 2 s tick at `this.now` (tick number n); resolves once every row is in the store and any due flush/prune is done. */
  async tick(n: number): Promise<{ flushed: boolean; pruned: boolean }> {
    const at = this.now;
    for (let h = 0; h < this.hosts; h++) {
      this.service.recordHost(hostId(h), hostSample(h, n, at));
      const samples: DomainSample[] = [];
      for (let v = 0; v < this.vms; v++) samples.push(domainSample(h, v, n));
      this.service.recordDomains(hostId(h), samples, at);
    }
    await drain(); // the store's add() runs after its entity is loaded (already, past the first tick)
    let flushed = false;
    let pruned = false;
    if (at >= this.nextFlush) {
      await this.service.store.flush();
      this.nextFlush += FLUSH_MS;
      flushed = true;
    }
    if (at >= this.nextPrune) {
      await this.service.store.prune();
      this.nextPrune += PRUNE_MS;
      pruned = true;
    }
    return { flushed, pruned };
  }

  /** The first tick: every entity's directory and meta.json are made; waits until all of them are loaded. */
  async firstTick(): Promise<void> {
    await this.tick(0);
    // add() waits for the entity's load (mkdir, meta.json); the rows land once it is done. Loading
    // every entity is awaited through the store's public add at a time the entity already has (ignored).
    const waits: Promise<void>[] = [];
    for (let h = 0; h < this.hosts; h++) {
      waits.push(this.service.store.add(`host/${hostId(h)}`, HOST_METRICS, this.now, new Float64Array(HOST_METRICS.length)));
      for (let v = 0; v < this.vms; v++) {
        waits.push(this.service.store.add(`vm/${hostId(h)}/${vmUuid(h, v)}`, VM_METRICS, this.now, new Float64Array(VM_METRICS.length)));
      }
    }
    await Promise.all(waits);
  }
}

export async function historyBenchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      hosts: { type: 'string', default: '100' },
      vms: { type: 'string', default: '30' },
      ticks: { type: 'string', default: '330' },
      'chart-vms': { type: 'string', default: '3' },
      reads: { type: 'string', default: '20' },
    },
  });
  const hosts = Number(values.hosts);
  const vms = Number(values.vms);
  const ticks = Number(values.ticks);
  const chartVms = Number(values['chart-vms']);
  const reads = Number(values.reads);
  const root = mkdtempSync(join(tmpdir(), 'virtdeck-history-bench-'));
  try {
    // ---- 1. write cost --------------------------------------------------------------------------
    // Simulated time starts on a 10-minute boundary a little in the past, so 1-minute and 10-minute
    // buckets close during the run.
    const start = Math.floor((Date.now() - 2 * 60 * 60_000) / PRUNE_MS) * PRUNE_MS;
    const fleet = new SimulatedFleet(join(root, 'fleet'), hosts, vms, start);
    const firstCpu = process.cpuUsage();
    const firstWall = performance.now();
    await fleet.firstTick();
    const first = { cpu_ms: round(cpuMs(firstCpu)), wall_ms: round(performance.now() - firstWall) };
    const bytesAfterFirst = fleet.service.store.bytesWritten;
    const perTick: number[] = [];
    const flushTicks: number[] = [];
    const plainTicks: number[] = [];
    const runCpu = process.cpuUsage();
    const runWall = performance.now();
    for (let n = 1; n <= ticks; n++) {
      fleet.now += TICK_MS;
      const before = process.cpuUsage();
      const { flushed } = await fleet.tick(n);
      const ms = cpuMs(before);
      perTick.push(ms);
      (flushed ? flushTicks : plainTicks).push(ms);
    }
    const totalCpuMs = cpuMs(runCpu);
    const totalWallMs = performance.now() - runWall;
    // The rows still buffered are appended too, so the bytes cover every tick (not timed).
    await fleet.service.store.flush();
    const written = fleet.service.store.bytesWritten - bytesAfterFirst;
    // Segment files opened over the run (kept open between flushes: about one per entity and tier).
    const filesOpened = fleet.service.store.files.opens;
    const disk = diskByTier(fleet.directory);
    const memory = process.memoryUsage();
    await fleet.service.dispose();

    const entities = hosts * vms + hosts;
    const simulatedMs = ticks * TICK_MS;
    const meanCpuMs = totalCpuMs / ticks;
    const rawVm = rawRowBytes(VM_METRICS.length);
    const rawHost = rawRowBytes(HOST_METRICS.length);
    const bucketVm = bucketRowBytes(VM_METRICS.length);
    const bucketHost = bucketRowBytes(HOST_METRICS.length);
    const ticksPerDay = DAY_MS / TICK_MS;
    const bucketsPerDay = DAY_MS / (TIERS['1m'].bucketMs as number) + DAY_MS / (TIERS['10m'].bucketMs as number);
    const computedPerDay = hosts * vms * (ticksPerDay * rawVm + bucketsPerDay * bucketVm) + hosts * (ticksPerDay * rawHost + bucketsPerDay * bucketHost);
    const computedRawPerTick = hosts * vms * rawVm + hosts * rawHost;
    // Raw rows on disk: the first tick's row plus one per timed tick (the warm-up add at the same time is ignored by the store).
    const measuredRawPerTick = (disk.tiers.raw?.bytes ?? 0) / (ticks + 1);
    const write = {
      hosts,
      vms_per_host: vms,
      entities,
      ticks,
      simulated_s: simulatedMs / 1000,
      first_tick: first,
      cpu_ms_per_tick: {
        mean: round(meanCpuMs, 2),
        median: round(median(perTick), 2),
        p95: round(percentile(perTick, 0.95), 2),
        max: round(Math.max(...perTick), 2),
        median_without_flush: round(median(plainTicks), 2),
        median_with_flush: round(median(flushTicks), 2),
        flushes: flushTicks.length,
      },
      cpu_percent_of_one_core: round((100 * meanCpuMs) / TICK_MS, 2),
      segment_files_opened: filesOpened,
      wall_s: round(totalWallMs / 1000, 2),
      rss_mib: round(memory.rss / 2 ** 20),
      heap_used_mib: round(memory.heapUsed / 2 ** 20),
    };
    const bytes = {
      measured: {
        appended_bytes: written,
        on_disk_by_tier: disk.tiers,
        meta_json_bytes: disk.metaBytes,
        allocated_bytes: disk.allocatedBytes,
        raw_bytes_per_tick: round(measuredRawPerTick, 1),
        // The run covers ticks + 1 ticks of rows (the first tick included).
        per_day_scaled_from_run: Math.round((written / (simulatedMs + TICK_MS)) * DAY_MS),
      },
      computed: {
        raw_bytes_per_tick: computedRawPerTick,
        row_bytes: { raw_vm: rawVm, raw_host: rawHost, bucket_vm: bucketVm, bucket_host: bucketHost },
        per_day: computedPerDay,
        per_vm_per_day: ticksPerDay * rawVm + bucketsPerDay * bucketVm,
      },
    };

    // ---- 3. 24 h chart read ---------------------------------------------------------------------
    const chartDir = join(root, 'chart');
    const end = Math.floor(Date.now() / TICK_MS) * TICK_MS;
    const chart = new SimulatedFleet(chartDir, 1, chartVms, end - DAY_MS);
    const fillWall = performance.now();
    await chart.firstTick();
    for (let n = 1; chart.now < end; n++) {
      chart.now += TICK_MS;
      await chart.tick(n);
    }
    await chart.service.dispose();
    const fillS = (performance.now() - fillWall) / 1000;
    // As after a restart: a new service on the same directory, nothing in memory.
    const reader = new MetricsHistoryService({ directory: chartDir, flushMs: NEVER_MS, pruneMs: NEVER_MS, now: () => end });
    const entity = (v: number): MetricsEntity => ({ kind: 'vm', hostId: hostId(0), uuid: vmUuid(0, v) });
    const timedRead = async (v: number, span: number) => {
      const t0 = performance.now();
      const history = await reader.read(entity(v), end - span, end);
      const readMs = performance.now() - t0;
      const t1 = performance.now();
      const json = JSON.stringify(history);
      return { readMs, jsonMs: performance.now() - t1, history, jsonBytes: Buffer.byteLength(json) };
    };
    const cold = await timedRead(0, DAY_MS);
    const warm: number[] = [];
    const jsonTimes: number[] = [];
    for (let i = 0; i < reads; i++) {
      const r = await timedRead(i % chartVms, DAY_MS);
      warm.push(r.readMs);
      jsonTimes.push(r.jsonMs);
    }
    const quarter: number[] = [];
    let quarterPoints = 0;
    for (let i = 0; i < reads; i++) {
      const r = await timedRead(i % chartVms, 15 * 60_000);
      quarter.push(r.readMs);
      quarterPoints = r.history.times.length;
    }
    await reader.dispose();
    const chartDisk = diskByTier(chartDir);
    const chartResult = {
      vms: chartVms,
      simulated_ticks_per_vm: DAY_MS / TICK_MS,
      fill_s: round(fillS, 1),
      range: '24h',
      resolution: cold.history.resolution,
      points: cold.history.times.length,
      metrics: Object.keys(cold.history.series).length,
      first_read_ms: round(cold.readMs, 2),
      read_ms_median: round(median(warm), 2),
      read_ms_max: round(Math.max(...warm), 2),
      json_bytes: cold.jsonBytes,
      json_stringify_ms_median: round(median(jsonTimes), 2),
      range_15m: { points: quarterPoints, read_ms_median: round(median(quarter), 2) },
      render_timed: false,
      on_disk_by_tier: chartDisk.tiers,
    };

    const result = { write, bytes, chart: chartResult };
    console.log(`[history-bench] ${JSON.stringify(result)}`);
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    console.log(
      [
        `history store, ${hosts} hosts × ${vms} VMs (${entities} entities) at a 2 s tick, ${ticks} ticks (${simulatedMs / 1000} s simulated):`,
        `  CPU per tick: mean ${write.cpu_ms_per_tick.mean} ms (${write.cpu_percent_of_one_core} % of one core), median ${write.cpu_ms_per_tick.median} ms, ` +
          `p95 ${write.cpu_ms_per_tick.p95} ms, max ${write.cpu_ms_per_tick.max} ms; ticks with a flush: median ${write.cpu_ms_per_tick.median_with_flush} ms (${flushTicks.length})`,
        `  first tick (creates ${entities} directories): ${first.cpu_ms} ms CPU, ${first.wall_ms} ms wall`,
        `  bytes: measured ${written} appended over the run → ${mb(bytes.measured.per_day_scaled_from_run)} per day scaled; ` +
          `raw ${bytes.measured.raw_bytes_per_tick} B per tick measured vs ${computedRawPerTick} computed; computed from row sizes: ${mb(computedPerDay)} per day ` +
          `(${mb(bytes.computed.per_vm_per_day)} per VM)`,
        `24 h chart of one VM (${chartVms} VMs filled with ${DAY_MS / TICK_MS} ticks each in ${chartResult.fill_s} s), read by a fresh service:`,
        `  ${chartResult.points} points × ${chartResult.metrics} metrics at ${chartResult.resolution}: first read ${chartResult.first_read_ms} ms, then median ${chartResult.read_ms_median} ms ` +
          `(max ${chartResult.read_ms_max}); JSON ${chartResult.json_bytes} B, stringify ${chartResult.json_stringify_ms_median} ms; 15 min range: ${quarterPoints} points in ${chartResult.range_15m.read_ms_median} ms`,
        `  only the read is timed here (the drawing in Chromium: tests/e2e/history-chart-24h.spec.ts)`,
      ].join('\n'),
    );
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
