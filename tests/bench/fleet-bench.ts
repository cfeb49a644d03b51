/**
 * Fleet benchmark (a measurement, not a test): N host entries, all pointing at one sshd of the lab (so N
 * real SSH connections and N libvirt connections), connected the way the app does it: all at once.
 * Optionally behind the loopback delay proxy (run as its own process, so its CPU is not VirtDeck's).
 *
 *   npm run bench -- fleet [--hosts 100] [--runs 1] [--account operator|root] [--delay-ms 0]
 *                          [--ticks 5] [--ssh-reference on|off] [--ssh-concurrency N] [--sshd bench|lab]
 *                          [--profile steady.cpuprofile] [--tick-ms 2000]
 *
 * --tick-ms N: the stats tick (the app's "statistics interval" setting, 1000–60000; default 2000). A
 * longer tick lets a lab that cannot answer every host within 2 s answer every host on every tick, so
 * VirtDeck's CPU per host sample is measured with all N hosts sampled (`steady.cpu_ms_per_sample`).
 *
 * --profile FILE: a V8 CPU profile of the steady phase only (the ticks, not the start-up), sampled every
 * 0.5 ms, and beside it (FILE's name with .heapprofile) a sampling allocation profile of the same span,
 * collected objects included; the profilers' own cost is in that phase's CPU figures, so compare profiled
 * runs with profiled runs.
 *
 * --sshd bench (default): the lab's bench sshd (127.0.0.1:2732, `lab.sh up` starts it): the same accounts
 * and host key as the lab sshd, with MaxStartups 1200:30:2400 and LoginGraceTime 300, so 1000 parallel
 * OpenSSH logins are not refused by sshd's own admission limits; --sshd lab: the lab sshd (2722).
 *
 * One JSON line per run with three parts:
 *   - `openssh`: the same number of parallel OpenSSH logins (`ssh host true`) over the same link,
 *     at most --ssh-concurrency at once (default: all of them): time until all returned, their CPU
 *     seconds (user+sys, from /usr/bin/time) and peak RSS per login;
 *   - `virtdeck`: time until every host is connected and inventoried, VirtDeck's CPU seconds and RSS
 *     (total and per host) for that phase;
 *   - `steady`: --ticks stats ticks after that: VirtDeck's CPU seconds per tick and per host per tick,
 *     RSS and heap per host, fleet events and their JSON bytes per tick;
 *   - and for each phase the lab's side: CPU seconds of the lab's sshd (listener and every session
 *     process), of libvirtd, and of the whole machine (/proc/stat), plus the sshd log's MaxStartups
 *     drops, so that where the lab machine rather than VirtDeck is the limit shows in numbers.
 *
 * The lab's accounts differ in their shell start-up: on machines where root's ~/.bashrc runs slow or
 * locking commands (pyenv rehash here), every command a connection runs on the host queues behind it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createServices } from '../../main/app-services';
import { PROJECT_ROOT, labStateDir, readLabInfo } from '../support/lab';

const CLK_TCK = 100;

/** The collector, also without --expose-gc: RSS and heap are read after a full collection. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** utime+stime+cutime+cstime of one process, in clock ticks (cutime/cstime: its reaped children). */
function processTicks(pid: number): { ticks: number; ppid: number; comm: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is state (field 3); utime is field 14 → index 11.
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return { ticks, ppid: Number(fields[1]), comm };
  } catch {
    return null;
  }
}

/** CPU ticks per pid of a process and all its descendants. */
function treeTicks(root: number): Map<number, number> {
  const all = new Map<number, { ticks: number; ppid: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = processTicks(Number(name));
    if (info) all.set(Number(name), info);
  }
  const result = new Map<number, number>();
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const info = all.get(pid);
    if (!info) continue;
    result.set(pid, info.ticks);
    for (const [child, childInfo] of all) if (childInfo.ppid === pid) stack.push(child);
  }
  return result;
}

function libvirtdPid(): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = processTicks(Number(name));
    if (info?.comm !== 'libvirtd') continue;
    // Host A's libvirtd listens on /run/libvirt/libvirt-sock; host B's runs in its own mount namespace.
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('hostb')) continue;
    } catch {
      continue;
    }
    const pidFile = '/run/libvirtd.pid';
    if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== name) continue;
    return Number(name);
  }
  return null;
}

/** The main thread's time on a core and runnable but waiting for one, ns (/proc/self/schedstat); null without it. */
function mainThreadSchedstat(): { runNs: number; waitNs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return run !== undefined && wait !== undefined ? { runNs: run, waitNs: wait } : null;
  } catch {
    return null;
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

/** The lab's side of a phase: sshd (listener + sessions), libvirtd, the whole machine, sshd's drops. */
class LabMeter {
  private readonly sshdPid: number | null;
  private readonly libvirtd: number | null;
  private readonly sshdLog: string;
  private sshdStart = new Map<number, number>();
  private libvirtdStart = 0;
  private machineStart = { busy: 0, total: 0 };
  private logOffset = 0;
  /** The 1-minute load average, sampled every 5 s over the phase: the machine is shared. */
  private loadTimer: NodeJS.Timeout | null = null;
  private loadMax = 0;

  constructor(sshd: SshdFiles) {
    this.sshdPid = existsSync(sshd.pidFile) ? Number(readFileSync(sshd.pidFile, 'utf8').trim()) : null;
    this.libvirtd = libvirtdPid();
    this.sshdLog = sshd.log;
  }

  start(): void {
    this.sshdStart = this.sshdPid ? treeTicks(this.sshdPid) : new Map();
    this.libvirtdStart = this.libvirtd ? (processTicks(this.libvirtd)?.ticks ?? 0) : 0;
    this.machineStart = machineTicks();
    this.logOffset = existsSync(this.sshdLog) ? statSync(this.sshdLog).size : 0;
    this.loadMax = load1();
    this.loadTimer = setInterval(() => (this.loadMax = Math.max(this.loadMax, load1())), 5_000);
  }

  stop(): Record<string, number | string> {
    if (this.loadTimer) clearInterval(this.loadTimer);
    this.loadTimer = null;
    const sshdNow = this.sshdPid ? treeTicks(this.sshdPid) : new Map<number, number>();
    let sshdTicks = 0;
    for (const [pid, ticks] of sshdNow) sshdTicks += ticks - (this.sshdStart.get(pid) ?? 0);
    const libvirtdTicks = this.libvirtd ? (processTicks(this.libvirtd)?.ticks ?? 0) - this.libvirtdStart : 0;
    const machine = machineTicks();
    const busy = machine.busy - this.machineStart.busy;
    const total = machine.total - this.machineStart.total;
    let log = '';
    if (existsSync(this.sshdLog)) {
      const buffer = readFileSync(this.sshdLog);
      log = buffer.subarray(Math.min(this.logOffset, buffer.length)).toString('utf8');
    }
    const count = (pattern: RegExp) => log.split('\n').filter((line) => pattern.test(line)).length;
    return {
      sshd_cpu_s: round(sshdTicks / CLK_TCK, 2),
      libvirtd_cpu_s: round(libvirtdTicks / CLK_TCK, 2),
      // Busy share of both cores over the phase: 2.0 means the machine had nothing left.
      machine_busy_cores: total > 0 ? round((busy / total) * 2, 2) : 0,
      sshd_maxstartups_drops: count(/drop connection|MaxStartups throttling|exceeded MaxStartups/i),
      sshd_accepted: count(/Accepted publickey/),
      load1_max: round(Math.max(this.loadMax, load1()), 1),
      load1_at_end: round(load1(), 1),
    };
  }
}

function load1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The sshd a run logs in to: its address, its pid file (for its CPU) and its log (for MaxStartups drops). */
interface SshdFiles {
  name: 'bench' | 'lab';
  host: string;
  port: number;
  pidFile: string;
  log: string;
}

function sshdFiles(which: 'bench' | 'lab'): SshdFiles {
  const lab = readLabInfo();
  if (which === 'lab') {
    return { name: 'lab', host: lab.ssh.host, port: lab.ssh.port, pidFile: join(labStateDir(), 'run', 'sshd.pid'), log: join(labStateDir(), 'logs', 'sshd.log') };
  }
  // lab.json lists it; an older lab.sh rewriting lab.json leaves it out, so its defaults are the fallback.
  const bench = lab.benchSsh ?? {
    host: '127.0.0.1',
    port: Number(process.env.VIRTDECK_LAB_BENCH_SSH_PORT ?? 2732),
    pidFile: join(labStateDir(), 'run', 'sshd-bench.pid'),
    log: join(labStateDir(), 'logs', 'sshd-bench.log'),
  };
  if (!existsSync(bench.pidFile)) {
    throw new Error('the lab has no bench sshd running: run `bash tests/lab/lab.sh up`, or pass --sshd lab');
  }
  return { name: 'bench', ...bench };
}

interface DelayProxyProcess {
  port: number;
  stop(): void;
}

/** The delay proxy as its own process (its CPU must not count as VirtDeck's). */
async function startDelayProxyProcess(targetHost: string, targetPort: number, delayMs: number): Promise<DelayProxyProcess> {
  const child: ChildProcess = spawn(
    'npx',
    ['tsx', 'tests/bench/delay-proxy.ts', '--listen', '127.0.0.1:0', '--target', `${targetHost}:${targetPort}`, '--delay-ms', String(delayMs)],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const stderr = child.stderr;
  if (!stderr) throw new Error('the delay proxy has no stderr');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the delay proxy did not start within 30 s')), 30_000);
    createInterface({ input: stderr }).on('line', (line) => {
      const match = /^delay-proxy: [^ ]+:(\d+) →/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`the delay proxy exited with ${code}`)));
  });
  return {
    port,
    stop: () => {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    },
  };
}

interface Target {
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
}

/** N `ssh host true` logins, at most `concurrency` at once, each under /usr/bin/time. */
async function openSshReference(target: Target, sshd: SshdFiles, count: number, concurrency: number): Promise<Record<string, number | string>> {
  const meter = new LabMeter(sshd);
  meter.start();
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let cpuSeconds = 0;
  const rssKiB: number[] = [];
  const errors = new Map<string, number>();
  const one = () =>
    new Promise<void>((resolve) => {
      const child = spawn(
        '/usr/bin/time',
        [
          '-f', 'VDTIME %U %S %M',
          'ssh', '-q', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=yes',
          '-o', `UserKnownHostsFile=${target.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null',
          '-o', 'ConnectTimeout=120', '-F', 'none', '-i', target.identityFile, '-p', String(target.port),
          `${target.user}@${target.host}`, 'true',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('close', (code) => {
        const match = /VDTIME ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
        if (match) {
          cpuSeconds += Number(match[1]) + Number(match[2]);
          rssKiB.push(Number(match[3]));
        }
        if (code !== 0) {
          failed += 1;
          const reason = stderr.replace(/VDTIME.*\n?/, '').replace(/Command exited.*\n?/, '').trim().split('\n')[0] || `exit ${code}`;
          errors.set(reason, (errors.get(reason) ?? 0) + 1);
        }
        resolve();
      });
    });
  const worker = async () => {
    while (next < count) {
      next += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const wallMs = performance.now() - started;
  rssKiB.sort((a, b) => a - b);
  return {
    logins: count,
    concurrency: Math.min(concurrency, count),
    all_done_ms: Math.round(wallMs),
    failed,
    ...(errors.size > 0 ? { errors: [...errors].map(([reason, n]) => `${n}× ${reason}`).join('; ') } : {}),
    cpu_s: round(cpuSeconds, 2),
    cpu_ms_per_host: round((cpuSeconds * 1000) / count, 1),
    rss_mb_per_login_median: round((rssKiB[Math.floor(rssKiB.length / 2)] ?? 0) / 1024, 1),
    ...prefixedPerLogin(meter.stop(), count),
  };
}

/** The lab's side of a phase, plus the sshd's CPU per login (the number to compare between both). */
function prefixedPerLogin(lab: Record<string, number | string>, logins: number): Record<string, number | string> {
  return {
    ...prefixed('lab_', lab),
    lab_sshd_cpu_ms_per_login: round((Number(lab.sshd_cpu_s) * 1000) / logins, 1),
    lab_libvirtd_cpu_ms_per_host: round((Number(lab.libvirtd_cpu_s) * 1000) / logins, 1),
  };
}

function prefixed(prefix: string, record: Record<string, number | string>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [`${prefix}${key}`, value]));
}

interface RunOptions {
  hosts: number;
  account: 'root' | 'operator';
  delayMs: number;
  ticks: number;
  sshReference: boolean;
  sshConcurrency: number;
  sshd: 'bench' | 'lab';
  /** Write a V8 CPU profile of the steady phase only (the ticks) to this file. */
  profile: string | null;
  /** The stats tick (the app's setting), ms. */
  tickMs: number;
}

/** A CPU profile of one span of this process (node:inspector, so the start-up is not in it). */
async function startProfile(): Promise<() => Promise<object>> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as Record<string, unknown>))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  // Allocations too (sampled every 32 KiB, objects collected since included): where the GC's work comes from.
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = await post('Profiler.stop');
    const { profile: heap } = await post('HeapProfiler.stopSampling');
    session.disconnect();
    return { cpu: profile, heap };
  };
}

async function runOnce(options: RunOptions): Promise<Record<string, unknown>> {
  const { hosts: hostCount, account } = options;
  const lab = readLabInfo();
  const sshd = sshdFiles(options.sshd);
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const configDir = mkdtempSync(join(tmpdir(), 'virtdeck-fleet-bench-'));
  const proxy = options.delayMs > 0 ? await startDelayProxyProcess(sshd.host, sshd.port, options.delayMs) : null;
  try {
    const port = proxy?.port ?? sshd.port;
    // The lab's host key (both sshds have it), under the address the bench dials (the proxy's port when there is one).
    const knownHostsFile = join(configDir, 'known_hosts');
    writeFileSync(knownHostsFile, `[${sshd.host}]:${port} ${lab.ssh.hostKey}\n`);
    const target: Target = {
      host: sshd.host,
      port,
      user: lab.accounts[account].user,
      identityFile: lab.accounts[account].identityFile,
      knownHostsFile,
    };

    const openssh = options.sshReference ? await openSshReference(target, sshd, hostCount, options.sshConcurrency) : null;
    if (openssh) console.error(`[fleet-bench] openssh ${JSON.stringify(openssh)}`);

    // Hosts first, connections later: the services connect every saved host at start, as the app does.
    const setup = createServices({ transport: 'serve', configDir, connectOnLaunch: false });
    for (let i = 0; i < hostCount; i++) {
      await setup.hosts.add({
        displayName: `lab-${i}`,
        ssh: { user: target.user, host: target.host, port: target.port, identityFile: target.identityFile },
        libvirtUri: lab.libvirtUri,
        transport: 'auto',
        tags: ['bench'],
      });
    }
    await setup.settings.set({ ...(await setup.settings.get()), statsIntervalMs: options.tickMs });
    await setup.connections.dispose();
    setup.fleet.dispose();

    gc();
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    const meter = new LabMeter(sshd);
    meter.start();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    process.env.VIRTDECK_KNOWN_HOSTS = knownHostsFile;
    process.env.VIRTDECK_SSH_CONFIG = 'none';
    const services = createServices({ transport: 'serve', configDir });
    const connected = new Set<string>();
    const inventoried = new Set<string>();
    let connectedMs = 0;
    let domains = 0;
    const failures = new Map<string, string>();
    let events = 0;
    let countBytes = false;
    let peakRss = 0;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
    // One per host sample that came back (the count per tick says how many of the hosts the lab answered).
    services.events.subscribe('fleet.host', () => {
      events += 1;
    });
    // What a window receives (the batches of deltas), made into JSON as serve mode sends it: part of
    // VirtDeck's cost per tick with a window open. (Until 2026-12-07 this stringified every host's full
    // update instead: 485 KB per tick at 300 hosts, work no window does.)
    let batchBytes = 0;
    services.events.subscribe('fleet.hosts', (batch) => {
      if (countBytes) batchBytes += JSON.stringify(batch).length;
    });
    // Done when every host is inventoried or has failed for good (unreachable: it waits for the user);
    // a host that stays neither for 300 s is counted as not done.
    const unreachable = new Set<string>();
    // Hosts that waited for a start-up slot (shown as "queued", not failed).
    const queued = new Set<string>();
    let timedOut = false;
    // When a quarter, half and 90 % of the hosts were inventoried: how the pace changes as hosts pile up.
    const milestones: string[] = [];
    await new Promise<void>((resolve) => {
      const settle = () => {
        if (inventoried.size + unreachable.size >= hostCount) {
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, 300_000);
      services.events.subscribe('hosts.status', (status) => {
        if (status.state.kind === 'connecting' && status.state.step === 'queued') queued.add(status.hostId);
        if (status.state.kind === 'connected') {
          connected.add(status.hostId);
          failures.delete(status.hostId);
          unreachable.delete(status.hostId);
          if (connected.size === hostCount) connectedMs = performance.now() - started;
        } else if (status.state.kind === 'unreachable' || status.state.kind === 'needs-input' || status.state.kind === 'lost') {
          failures.set(status.hostId, status.state.kind === 'needs-input' ? 'needs input' : status.state.reason);
          if (status.state.kind !== 'lost') unreachable.add(status.hostId);
          settle();
        }
      });
      services.events.subscribe('fleet.host', (update) => {
        if (update.domains.length === 0 || inventoried.has(update.hostId)) return;
        inventoried.add(update.hostId);
        for (const share of [0.25, 0.5, 0.9]) {
          if (inventoried.size === Math.ceil(hostCount * share)) milestones.push(`${share * 100} % at ${round((performance.now() - started) / 1000, 1)} s`);
        }
        domains += update.domains.length;
        settle();
      });
    });
    const inventoriedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const lab1 = meter.stop();
    gc();
    const memory = process.memoryUsage();
    const reasons = new Map<string, number>();
    for (const reason of failures.values()) reasons.set(reason.replace(/127\.0\.0\.1:\d+/g, 'HOST'), (reasons.get(reason.replace(/127\.0\.0\.1:\d+/g, 'HOST')) ?? 0) + 1);
    const virtdeck = {
      inventoried: inventoried.size,
      failed: unreachable.size,
      shown_queued: queued.size,
      ...(reasons.size > 0 ? { errors: [...reasons].map(([reason, n]) => `${n}× ${reason}`).join('; ') } : {}),
      ...(timedOut ? { not_done_after_300_s: hostCount - inventoried.size - unreachable.size } : {}),
      all_connected_ms: connectedMs > 0 ? Math.round(connectedMs) : null,
      // Until every host was inventoried or had failed for good.
      all_inventoried_ms: Math.round(inventoriedMs),
      inventoried_milestones: milestones.join(', '),
      domains,
      // VirtDeck's own CPU time in that span: what is left of the wall time went to sshd and libvirtd.
      cpu_s: round((cpu.user + cpu.system) / 1e6, 2),
      cpu_ms_per_host: round((cpu.user + cpu.system) / 1000 / hostCount, 1),
      peak_rss_mb: Math.round(Math.max(peakRss, memory.rss) / 1048576),
      rss_mb: Math.round(memory.rss / 1048576),
      rss_growth_mb_per_host: round((memory.rss - rssBefore) / 1048576 / hostCount, 2),
      heap_used_mb: Math.round(memory.heapUsed / 1048576),
      // The adaptive start-up limit: how far it went down while handshakes were slow.
      startup_gate: { ...services.sshPool.startup.stats },
      ...prefixedPerLogin(lab1, hostCount),
    };

    // Steady state: `ticks` stats ticks with every host connected.
    let steady: Record<string, number | string> | null = null;
    if (options.ticks > 0) {
      const tickMs = (await services.settings.get()).statsIntervalMs;
      const settle = performance.now();
      await new Promise((resolve) => setTimeout(resolve, tickMs)); // let the start-up burst end
      const meter2 = new LabMeter(sshd);
      meter2.start();
      const eventsBefore = events;
      countBytes = true;
      const stopProfile = options.profile ? await startProfile() : null;
      const cpu2 = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      const sched0 = mainThreadSchedstat();
      const t0 = performance.now();
      peakRss = 0;
      await new Promise((resolve) => setTimeout(resolve, tickMs * options.ticks));
      const spanMs = performance.now() - t0;
      const used = process.cpuUsage(cpu2);
      const loop = performance.eventLoopUtilization(elu);
      const sched1 = mainThreadSchedstat();
      countBytes = false;
      if (stopProfile && options.profile) {
        const { cpu, heap } = (await stopProfile()) as { cpu: object; heap: object };
        writeFileSync(options.profile, JSON.stringify(cpu));
        writeFileSync(options.profile.replace(/(\.cpuprofile)?$/, '.heapprofile'), JSON.stringify(heap));
      }
      const lab2 = meter2.stop();
      gc();
      const after = process.memoryUsage();
      const ticks = spanMs / tickMs;
      const cpuSeconds = (used.user + used.system) / 1e6;
      steady = {
        ticks: round(ticks, 1),
        tick_ms: tickMs,
        cpu_s_per_tick: round(cpuSeconds / ticks, 3),
        // Share of one core, on average: the goal is "well under one core".
        cores: round(cpuSeconds / (spanMs / 1000), 3),
        cpu_ms_per_host_per_tick: round((cpuSeconds * 1000) / ticks / hostCount, 3),
        event_loop_utilization: round(loop.utilization, 3),
        // Of the span, the share the main thread ran on a core and the share it was runnable but waited
        // for one (the kernel's schedstat): busy-but-waiting says the machine, not VirtDeck, set the pace.
        ...(sched0 && sched1
          ? {
              main_thread_on_cpu_share: round((sched1.runNs - sched0.runNs) / 1e6 / spanMs, 3),
              main_thread_runqueue_wait_share: round((sched1.waitNs - sched0.waitNs) / 1e6 / spanMs, 3),
            }
          : {}),
        fleet_events_per_tick: round((events - eventsBefore) / ticks, 1),
        // Per host sample that came back: with fewer samples than hosts per tick (a lab that cannot answer
        // every host in time), the cost per host per tick understates what a full tick would cost.
        cpu_ms_per_sample: round((cpuSeconds * 1000) / Math.max(1, events - eventsBefore), 3),
        // Host samples back per tick (every host would be `hosts`) and the window's JSON per tick.
        window_json_kb_per_tick: round(batchBytes / 1024 / ticks, 1),
        peak_rss_mb: Math.round(Math.max(peakRss, after.rss) / 1048576),
        rss_mb_per_host: round((after.rss - rssBefore) / 1048576 / hostCount, 2),
        heap_mb_per_host: round((after.heapUsed - heapBefore) / 1048576 / hostCount, 3),
        settle_ms: Math.round(t0 - settle),
        ...prefixed('lab_', lab2),
        lab_sshd_cpu_ms_per_host_per_tick: round((Number(lab2.sshd_cpu_s) * 1000) / ticks / hostCount, 2),
        lab_libvirtd_cpu_ms_per_host_per_tick: round((Number(lab2.libvirtd_cpu_s) * 1000) / ticks / hostCount, 2),
      };
    }
    clearInterval(rssTimer);
    await services.connections.dispose();
    services.fleet.dispose();
    await services.sshPool.dispose();
    // Where the lab machine rather than VirtDeck was the limit: both cores busy and the lab's sshd and
    // libvirtd using more CPU than VirtDeck in that phase.
    const labCpu = Number(lab1.sshd_cpu_s) + Number(lab1.libvirtd_cpu_s);
    const limit =
      Number(lab1.machine_busy_cores) >= 1.8 && labCpu > virtdeck.cpu_s
        ? `lab machine: both cores busy (${lab1.machine_busy_cores} of 2) while the lab's sshd used ${lab1.sshd_cpu_s} s and libvirtd ${lab1.libvirtd_cpu_s} s of CPU vs VirtDeck's ${virtdeck.cpu_s} s`
        : `not the lab machine: ${lab1.machine_busy_cores} of 2 cores busy; sshd ${lab1.sshd_cpu_s} s + libvirtd ${lab1.libvirtd_cpu_s} s CPU vs VirtDeck ${virtdeck.cpu_s} s`;
    return {
      sshd: `${sshd.name} (${sshd.host}:${sshd.port})`,
      loadavg_at_start: loadAtStart,
      loadavg_at_end: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      account: target.user,
      hosts: hostCount,
      delay_ms_each_way: options.delayMs,
      ...(openssh ? { openssh } : {}),
      virtdeck,
      limit_connect_phase: limit,
      ...(steady ? { steady } : {}),
      ...(openssh
        ? {
            ratio_time_vs_openssh: round(inventoriedMs / Number(openssh.all_done_ms), 2),
            ratio_cpu_vs_openssh: round(Number(virtdeck.cpu_s) / Math.max(0.01, Number(openssh.cpu_s)), 2),
          }
        : {}),
    };
  } finally {
    proxy?.stop();
  }
}

export async function runFleetBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '100' },
      runs: { type: 'string', default: '1' },
      account: { type: 'string', default: 'operator' },
      'delay-ms': { type: 'string', default: '0' },
      ticks: { type: 'string', default: '5' },
      'ssh-reference': { type: 'string', default: 'on' },
      'ssh-concurrency': { type: 'string' },
      sshd: { type: 'string', default: 'bench' },
      profile: { type: 'string' },
      'tick-ms': { type: 'string', default: '2000' },
    },
  });
  const hosts = Number(values.hosts);
  const runs = Number(values.runs);
  const delayMs = Number(values['delay-ms']);
  const ticks = Number(values.ticks);
  const sshConcurrency = values['ssh-concurrency'] === undefined ? hosts : Number(values['ssh-concurrency']);
  if (![hosts, runs, sshConcurrency].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error('--hosts, --runs and --ssh-concurrency take positive whole numbers');
  }
  if (!(delayMs >= 0) || !Number.isInteger(ticks) || ticks < 0) throw new Error('--delay-ms and --ticks take numbers ≥ 0');
  const account = values.account;
  if (account !== 'root' && account !== 'operator') throw new Error('--account is root or operator');
  if (values['ssh-reference'] !== 'on' && values['ssh-reference'] !== 'off') throw new Error('--ssh-reference is on or off');
  const tickMs = Number(values['tick-ms']);
  if (!Number.isInteger(tickMs) || tickMs < 1000 || tickMs > 60_000) throw new Error('--tick-ms takes a whole number 1000…60000');
  const sshd = values.sshd;
  if (sshd !== 'bench' && sshd !== 'lab') throw new Error('--sshd is bench or lab');
  for (let run = 0; run < runs; run++) {
    const result = await runOnce({ hosts, account, delayMs, ticks, sshReference: values['ssh-reference'] === 'on', sshConcurrency, sshd, profile: values.profile ?? null, tickMs });
    console.log(JSON.stringify(result));
  }
}
