/**
 * Issue 16's export and diagnosis against the real lab, through the app's own services (createAppServices
 * connected to the lab host over real SSH):
 *  - a REAL Prometheus (Debian's package, started here with its own config and a temporary data dir)
 *    scrapes VirtDeck's /metrics every second: the lab guests' series appear, and a PromQL query of a
 *    lab guest's CPU matches what the app shows; vCPUs and memory match exactly;
 *  - host I/O: the lab host's block devices as iostat computes them, and per-VM disk latency;
 *  - the guest agent: a lab guest without an agent channel says so; a throwaway guest with the channel
 *    (and no agent inside: busybox) reports the channel and libvirt's "not connected" in its words;
 *  - the fio benchmark on the lab pool (small size and duration) reports figures; a cancelled run leaves
 *    no file. Everything created is named vd-test-export-* and removed afterwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostIoSample } from '../../preload/api-contract';
import type { AppServices } from '../../main/app-services';
import { openLabApp, type LabApp } from '../support/lab-app';
import { ApiFailure } from '../../main/services/api-failure';
import { HOST_DISK_AWAIT_METRIC } from '../../main/services/host-io/host-io-service';
import { throwawayGuestXml } from '../support/throwaway-guest';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(probe: () => Promise<T | null | undefined> | T | null | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await tick(200);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

const virsh = (...args: string[]) => execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8' });

/**
 * Prometheus under a small shell that holds it by its stdin: closing the pipe (stopPrometheus, or this
 * process dying however it dies) makes the shell kill Prometheus and wait for it, so no run leaves one behind.
 */
function startPrometheus(args: string[]): ChildProcess {
  const child = spawn('sh', ['-c', 'prometheus "$@" & p=$!; read -r _; kill $p 2>/dev/null; wait $p', 'prometheus', ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  child.stdin?.on('error', () => undefined);
  return child;
}

async function stopPrometheus(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin?.end();
  // The shell waits for Prometheus's own shutdown; past 10 s, kill both.
  const timer = setTimeout(() => {
    try {
      if (child.pid) execFileSync('pkill', ['-KILL', '-P', String(child.pid)]);
    } catch {
      // already gone
    }
    child.kill('SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

const GUEST = 'vd-test-export-agent';

describe.skipIf(SKIP)(`monitoring: export, host I/O, guest agent, benchmark${SKIP_REASON}`, () => {
  let app: AppServices;
  let hostId = '';
  let tmp = '';
  let prometheus: ChildProcess | null = null;
  let promUrl = '';
  let labApp: LabApp | null = null;

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    tmp = mkdtempSync(join(tmpdir(), 'vd-test-export-'));
    labApp = await openLabApp(lab, { displayName: 'vd-test-export-lab', configDir: join(tmp, 'config') });
    app = labApp.app;
    hostId = labApp.hostId;
  }, 60_000);

  afterAll(async () => {
    if (prometheus) await stopPrometheus(prometheus);
    try {
      virsh('destroy', GUEST);
    } catch {
      // not running
    }
    try {
      virsh('undefine', GUEST);
    } catch {
      // never defined
    }
    await labApp?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('a real Prometheus scrapes /metrics: the lab guests appear, and its CPU figure for a lab guest matches the app', async () => {
    const { metricsExport, fleet } = app.deps;
    const state = await metricsExport.configure({ enabled: true, address: '127.0.0.1', port: await freePort() });
    expect(state.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const target = new URL(state.url ?? '');
    const promPort = await freePort();
    writeFileSync(
      join(tmp, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: virtdeck\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: ['${target.host}']\n`,
    );
    prometheus = startPrometheus([
      `--config.file=${join(tmp, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(tmp, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    let promLog = '';
    prometheus.stderr?.on('data', (c: Buffer) => (promLog = (promLog + c.toString()).slice(-4000)));
    promUrl = `http://127.0.0.1:${promPort}`;
    const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => null);
      if (!response?.ok) return [];
      const body = (await response.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.data.result;
    };

    const running = availability.available ? availability.lab.guests.filter((g) => g.running).map((g) => g.name) : [];
    const series = await waitFor(
      async () => {
        const result = await query('libvirt_domain_info_virtual_cpus{host="vd-test-export-lab"}');
        return running.every((name) => result.some((r) => r.metric.domain === name)) ? result : null;
      },
      60_000,
      `the lab guests' series in Prometheus (log: ${promLog})`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${promLog}`);
    });
    expect((await query('libvirt_up{host="vd-test-export-lab"}'))[0]?.value[1]).toBe('1');
    const guestName = running[0] ?? 'vd-vnc-1';
    const row = fleet.snapshot().flatMap((h) => h.domains).find((d) => d.name === guestName);
    expect(row).toBeDefined();
    expect(Number(series.find((s) => s.metric.domain === guestName)?.value[1])).toBe(row?.vcpus);
    expect(series.find((s) => s.metric.domain === guestName)?.metric.uuid).toBe(row?.uuid);
    const memory = await query(`libvirt_domain_info_memory_usage_bytes{domain="${guestName}"}`);
    expect(Number(memory[0]?.value[1])).toBe((row?.memoryKiB ?? 0) * 1024);
    const disks = await query(`libvirt_domain_block_stats_read_requests_total{domain="${guestName}"}`);
    expect(disks.length).toBeGreaterThan(0);
    expect(disks[0]?.metric.target_device).toMatch(/^[vsh]d[a-z]$/);

    // CPU: Prometheus's rate over the last 20 s against the app's own per-tick figures over the same 20 s
    // (the guest's row as each tick publishes it).
    const appTicks: { t: number; v: number }[] = [];
    const stopWatching = app.deps.events.subscribe('fleet.host', (update) => {
      const domain = update.hostId === hostId ? update.domains.find((d) => d.uuid === row?.uuid) : undefined;
      if (domain && domain.cpuPercent !== null) appTicks.push({ t: update.sampledAt, v: domain.cpuPercent });
    });
    await tick(22_000);
    stopWatching();
    const promCpu = await query(
      `100 * rate(libvirt_domain_info_cpu_time_seconds_total{domain="${guestName}"}[20s]) / on(domain) libvirt_domain_info_virtual_cpus{domain="${guestName}"}`,
    );
    const now = Date.now();
    const recent = appTicks.filter((p) => p.t >= now - 20_000);
    const appCpu = recent.reduce((sum, p) => sum + p.v, 0) / Math.max(1, recent.length);
    const prom = Number(promCpu[0]?.value[1]);
    console.info(`[export] ${guestName}: CPU in Prometheus ${prom.toFixed(2)} %, in VirtDeck ${appCpu.toFixed(2)} % (${recent.length} ticks)`);
    expect(Number.isFinite(prom)).toBe(true);
    expect(recent.length).toBeGreaterThanOrEqual(5);
    expect(Math.abs(prom - appCpu)).toBeLessThanOrEqual(Math.max(1.5, appCpu * 0.25));
    expect((await metricsExport.state()).scrapes).toBeGreaterThan(10);
  }, 180_000);

  it("host I/O: the lab host's devices as iostat -x computes them, per-VM disk latency, and host.disk.await_ms for alerts", async () => {
    const { hostIo } = app.deps;
    const seen: HostIoSample[] = [];
    const stop = hostIo.onSample((sample) => seen.push(sample));
    try {
      const sample = await waitFor(() => seen.find((s) => s.hostId === hostId && s.devices.length > 0), 20_000, 'a host I/O sample');
      expect(sample.error).toBeNull();
      expect(sample.intervalMs).toBeGreaterThan(500);
      const devices = readdirSync('/sys/block');
      for (const device of sample.devices) expect(devices).toContain(device.device);
      expect(typeof sample.metrics[HOST_DISK_AWAIT_METRIC]).toBe('number');
      const withDisk = await waitFor(() => seen.find((s) => s.hostId === hostId && s.vmDisks.length > 0), 20_000, 'per-VM disk figures');
      expect(withDisk.vmDisks[0]?.target).toMatch(/^[vsh]d[a-z]$/);
      expect(hostIo.latest(hostId)).not.toBeNull();
    } finally {
      stop();
    }
  }, 60_000);

  it('guest agent: a lab guest without the channel says so; a guest with the channel but no agent gives libvirt\'s reason', async () => {
    const { guestAgent, fleet } = app.deps;
    const lab = availability.available ? availability.lab : null;
    const labGuest = fleet.snapshot().flatMap((h) => h.domains).find((d) => d.name === 'vd-vnc-1');
    expect(labGuest).toBeDefined();
    const none = await guestAgent.info(hostId, labGuest?.uuid ?? '');
    expect(none).toMatchObject({ available: false, channel: 'absent' });
    expect(none.reason).toMatch(/no guest agent channel/);

    const xml = throwawayGuestXml(virsh('dumpxml', '--inactive', 'vd-vnc-1'), {
      name: GUEST,
      stateDir: lab?.stateDir ?? '',
      serialLog: join(tmp, `${GUEST}.serial.log`),
      devices: ["<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"],
    });
    writeFileSync(join(tmp, `${GUEST}.xml`), xml);
    virsh('define', join(tmp, `${GUEST}.xml`));
    virsh('start', GUEST);
    const uuid = virsh('domuuid', GUEST).trim();
    const info = await guestAgent.info(hostId, uuid);
    expect(info.available).toBe(false);
    expect(info.channel).toBe('disconnected');
    expect(info.reason).toMatch(/agent/i);
    expect(info.reason).toMatch(/not (connected|responding)|unresponsive|does not answer/i);
    await expect(guestAgent.freeze(hostId, uuid, [])).rejects.toBeInstanceOf(ApiFailure);
    await expect(guestAgent.setTime(hostId, uuid, false)).rejects.toThrow(/guest agent/);
  }, 90_000);

  it('benchmark: fio on the lab pool reports figures and removes its file; a cancelled run leaves no file', async () => {
    const { storageBenchmark } = app.deps;
    const check = await storageBenchmark.check(hostId, 'vd-lab-pool');
    expect(check.fio).toMatch(/^fio-/);
    expect(check.poolPath).toBeTruthy();
    const pool = check.poolPath ?? '';
    const leftovers = () => readdirSync(pool).filter((f) => f.startsWith('.virtdeck-bench-'));
    const before = leftovers();

    const job = await storageBenchmark.start({ hostId, pool: 'vd-lab-pool', sizeMiB: 16, durationSec: 4 });
    const done = await storageBenchmark.settled(job.jobId);
    expect(done?.error ?? null).toBeNull();
    expect(done?.state).toBe('done');
    expect(done?.result?.tests.map((t) => t.name)).toEqual(['randread4k', 'randwrite4k', 'seqread1m', 'seqwrite1m']);
    for (const test of done?.result?.tests ?? []) {
      expect(test.iops).toBeGreaterThan(0);
      expect(test.bandwidthBps).toBeGreaterThan(0);
      expect(test.latencyUs.p99).toBeGreaterThan(0);
    }
    console.info(`[benchmark] ${JSON.stringify(done?.result?.tests.map((t) => [t.name, Math.round(t.iops), Math.round(t.bandwidthBps / 1048576), t.latencyUs.p99]))}`);
    expect(existsSync(job.file)).toBe(false);
    expect((await storageBenchmark.results(hostId))[0]?.id).toBe(job.jobId);

    const long = await storageBenchmark.start({ hostId, pool: 'vd-lab-pool', sizeMiB: 64, durationSec: 120 });
    await waitFor(() => existsSync(long.file), 20_000, 'the benchmark file');
    await tick(1500);
    storageBenchmark.cancel(long.jobId);
    const cancelled = await storageBenchmark.settled(long.jobId);
    expect(cancelled?.state).toBe('cancelled');
    await waitFor(() => !existsSync(long.file), 10_000, 'the file removed after cancel');
    expect(leftovers()).toEqual(before);
  }, 120_000);
});
