/**
 * "Benchmark storage": fio on the host, on a temporary file in a pool's directory (random 4k read and
 * write, sequential 1M read and write, --output-format=json), with progress and cancel; the file has a
 * unique name and is removed however the run ends (see fioScript). Results are kept per host in the
 * workstation's config directory (storage-benchmarks.json) for comparison.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchmarkCheck, BenchmarkJob, BenchmarkRequest, BenchmarkResult } from '../../../preload/api-contract';
import { writeFileAtomic } from '../../platform/atomic-file';
import { shellQuote, type SshConnection } from '../../ssh';
import { ApiFailure } from '../api-failure';
import { BENCHMARK_TESTS, fioScript, parseFioJson } from './fio';

export interface BenchmarkDeps {
  configDir: string;
  /** The host's SSH connection (null = this computer), or undefined when it is not connected. */
  ssh(hostId: string): SshConnection | null | undefined;
  pool(hostId: string, name: string): Promise<{ type: string; targetPath: string | null; availableBytes: number }>;
  publish(job: BenchmarkJob): void;
  now?(): number;
}

/** A running script: stdout/stderr collected, `stop()` closes its stdin (the script's cancel). */
interface Run {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): void;
}

const DIR_POOLS = new Set(['dir', 'fs', 'netfs']);
const KEEP_PER_HOST = 50;
/** A guess of the time to lay out the file, for the progress bar only (MiB/s). */
const LAYOUT_MIB_PER_SEC = 300;

export class StorageBenchmarkService {
  private readonly jobs = new Map<string, { job: BenchmarkJob; run: Run | null; cancelled: boolean; timer: ReturnType<typeof setInterval> | null }>();
  private saving: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: BenchmarkDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private exec(hostId: string, script: string): Run {
    const ssh = this.deps.ssh(hostId);
    if (ssh === undefined) throw new ApiFailure('not-found', 'The host is not connected');
    if (ssh === null) {
      const child = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.stdin.on('error', () => undefined);
      return {
        done: new Promise((resolve, reject) => {
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
        }),
        stop: () => child.stdin.end(),
      };
    }
    let channel: Awaited<ReturnType<SshConnection['exec']>> | null = null;
    let stopRequested = false;
    const done = (async () => {
      channel = await ssh.exec(`sh -c ${shellQuote(script)}`);
      if (stopRequested) channel.end();
      const out: Buffer[] = [];
      channel.on('data', (c: Buffer) => out.push(c));
      const status = await channel.exitStatus;
      return { code: status.code, stdout: Buffer.concat(out).toString('utf8'), stderr: status.stderr };
    })();
    return {
      done,
      stop: () => {
        stopRequested = true;
        channel?.end();
      },
    };
  }

  private async shell(hostId: string, script: string): Promise<string> {
    const run = this.exec(hostId, script);
    run.stop(); // no input
    return (await run.done).stdout;
  }

  async check(hostId: string, poolName: string): Promise<BenchmarkCheck> {
    const pool = await this.deps.pool(hostId, poolName);
    const out = await this.shell(hostId, 'command -v fio >/dev/null 2>&1 && fio --version; echo "--"; . /etc/os-release 2>/dev/null; echo "$ID $ID_LIKE"');
    const [fioPart = '', osPart = ''] = out.split('--\n');
    const os = osPart.trim().toLowerCase();
    const installHint = /debian|ubuntu/.test(os)
      ? 'apt install fio'
      : /fedora|rhel|centos|rocky|alma/.test(os)
        ? 'dnf install fio'
        : /suse/.test(os)
          ? 'zypper install fio'
          : /arch/.test(os)
            ? 'pacman -S fio'
            : /alpine/.test(os)
              ? 'apk add fio'
              : "install the package 'fio' with the host's package manager";
    return {
      fio: fioPart.trim() || null,
      installHint,
      poolPath: DIR_POOLS.has(pool.type) ? pool.targetPath : null,
      availableBytes: Number.isFinite(pool.availableBytes) ? pool.availableBytes : null,
    };
  }

  list(): BenchmarkJob[] {
    return [...this.jobs.values()].map((entry) => ({ ...entry.job }));
  }

  async start(request: BenchmarkRequest): Promise<BenchmarkJob> {
    const check = await this.check(request.hostId, request.pool);
    if (!check.fio) throw new ApiFailure('conflict', `fio is not installed on this host: ${check.installHint}`);
    if (!check.poolPath) throw new ApiFailure('invalid-request', 'A benchmark needs a pool with a directory (dir, fs or netfs).', { field: 'pool' });
    const needed = request.sizeMiB * 1024 * 1024;
    if (check.availableBytes !== null && check.availableBytes < needed * 1.1) {
      throw new ApiFailure('invalid-request', `The pool has ${check.availableBytes} bytes free; the test file needs ${needed}.`, { field: 'sizeMiB' });
    }
    const runtimeSec = Math.max(1, Math.floor(request.durationSec / BENCHMARK_TESTS.length));
    const file = `${check.poolPath.replace(/\/+$/, '')}/.virtdeck-bench-${randomBytes(8).toString('hex')}.tmp`;
    const startedAt = this.now();
    const totalSec = request.sizeMiB / LAYOUT_MIB_PER_SEC + runtimeSec * BENCHMARK_TESTS.length;
    const job: BenchmarkJob = {
      jobId: randomUUID(),
      hostId: request.hostId,
      pool: request.pool,
      state: 'running',
      progress: 0,
      phase: 'layout',
      startedAt,
      secondsLeft: Math.ceil(totalSec),
      file,
      result: null,
      error: null,
    };
    const entry = { job, run: null as Run | null, cancelled: false, timer: null as ReturnType<typeof setInterval> | null };
    this.jobs.set(job.jobId, entry);
    entry.run = this.exec(request.hostId, fioScript({ file, sizeMiB: request.sizeMiB, runtimeSec, direct: true }));
    entry.timer = setInterval(() => {
      if (job.state !== 'running') return;
      const elapsed = (this.now() - startedAt) / 1000;
      const layoutSec = request.sizeMiB / LAYOUT_MIB_PER_SEC;
      const index = Math.floor((elapsed - layoutSec) / runtimeSec);
      job.phase = elapsed < layoutSec ? 'layout' : (BENCHMARK_TESTS[Math.min(index, BENCHMARK_TESTS.length - 1)]?.name ?? null);
      job.progress = Math.min(0.99, elapsed / totalSec);
      job.secondsLeft = Math.max(0, Math.ceil(totalSec - elapsed));
      this.deps.publish({ ...job });
    }, 1000);
    this.deps.publish({ ...job });
    void this.finish(entry, request, check.fio, runtimeSec);
    return { ...job };
  }

  private async finish(
    entry: { job: BenchmarkJob; run: Run | null; cancelled: boolean; timer: ReturnType<typeof setInterval> | null },
    request: BenchmarkRequest,
    fioVersion: string,
    runtimeSec: number,
  ): Promise<void> {
    const { job } = entry;
    try {
      const outcome = await entry.run!.done;
      if (entry.cancelled) {
        job.state = 'cancelled';
      } else if (outcome.code !== 0) {
        throw new Error(`fio exited with ${outcome.code ?? 'a signal'}: ${outcome.stderr.trim().slice(-500) || 'no message'}`);
      } else {
        const parsed = parseFioJson(outcome.stdout);
        const result: BenchmarkResult = {
          id: job.jobId,
          hostId: request.hostId,
          pool: request.pool,
          poolPath: job.file.slice(0, job.file.lastIndexOf('/')),
          at: this.now(),
          sizeMiB: request.sizeMiB,
          durationSec: runtimeSec * BENCHMARK_TESTS.length,
          fioVersion: parsed.version || fioVersion,
          direct: true,
          tests: parsed.tests,
        };
        await this.keep(result);
        job.result = result;
        job.state = 'done';
        job.progress = 1;
      }
    } catch (error) {
      job.state = entry.cancelled ? 'cancelled' : 'failed';
      job.error = entry.cancelled ? null : error instanceof Error ? error.message : String(error);
    } finally {
      if (entry.timer) clearInterval(entry.timer);
      job.phase = null;
      job.secondsLeft = 0;
      this.deps.publish({ ...job });
    }
  }

  cancel(jobId: string): BenchmarkJob {
    const entry = this.jobs.get(jobId);
    if (!entry) throw new ApiFailure('not-found', 'No such benchmark');
    if (entry.job.state === 'running') {
      entry.cancelled = true;
      entry.run?.stop();
    }
    return { ...entry.job };
  }

  /** Resolves when the job has ended (tests and shutdown). */
  async settled(jobId: string): Promise<BenchmarkJob | null> {
    const entry = this.jobs.get(jobId);
    if (!entry) return null;
    await entry.run?.done.catch(() => undefined);
    while (entry.job.state === 'running') await new Promise((r) => setTimeout(r, 20));
    return { ...entry.job };
  }

  private get file(): string {
    return join(this.deps.configDir, 'storage-benchmarks.json');
  }

  private async readAll(): Promise<BenchmarkResult[]> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { results?: BenchmarkResult[] };
      return Array.isArray(parsed.results) ? parsed.results : [];
    } catch {
      return [];
    }
  }

  private keep(result: BenchmarkResult): Promise<void> {
    const run = this.saving.then(async () => {
      const all = [result, ...(await this.readAll())];
      const perHost = new Map<string, number>();
      const kept = all.filter((r) => {
        const n = (perHost.get(r.hostId) ?? 0) + 1;
        perHost.set(r.hostId, n);
        return n <= KEEP_PER_HOST;
      });
      await writeFileAtomic(this.file, `${JSON.stringify({ results: kept }, null, 2)}\n`);
    });
    this.saving = run.catch(() => undefined);
    return run;
  }

  async results(hostId: string): Promise<BenchmarkResult[]> {
    return (await this.readAll()).filter((r) => r.hostId === hostId).sort((a, b) => b.at - a.at);
  }

  /** Cancels what runs (each script removes its file as its stdin closes). */
  async dispose(): Promise<void> {
    const running = [...this.jobs.values()].filter((e) => e.job.state === 'running');
    for (const entry of running) this.cancel(entry.job.jobId);
    await Promise.all(running.map((e) => e.run?.done.catch(() => undefined)));
  }
}
