/**
 * fio on a host: the command that runs the four tests on one temporary file and always removes it,
 * and the reading of fio's JSON output (--output-format=json).
 */
import type { BenchmarkTest, BenchmarkTestName } from '../../../preload/api-contract';

export const BENCHMARK_TESTS: ReadonlyArray<{ name: BenchmarkTestName; rw: string; bs: string }> = [
  { name: 'randread4k', rw: 'randread', bs: '4k' },
  { name: 'randwrite4k', rw: 'randwrite', bs: '4k' },
  { name: 'seqread1m', rw: 'read', bs: '1M' },
  { name: 'seqwrite1m', rw: 'write', bs: '1M' },
];

/** How long a stopped fio may take to end before it is killed. */
export const FIO_KILL_AFTER_SEC = 5;

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * A shell script that lays out the file, runs the four tests one after the other (stonewall), prints
 * fio's JSON, and removes the file however it ends: at exit, on a signal, and when its stdin closes —
 * which is how VirtDeck cancels it, and what happens when the SSH connection drops.
 *
 * fio runs in its own process group (setsid, where the host has it); a fio that has not ended
 * FIO_KILL_AFTER_SEC after its SIGTERM gets SIGKILL, with its job processes. fio 3.33 was seen to hang
 * for good (its processes waiting on a futex) when SIGTERM came while it laid out the file: without the
 * SIGKILL the script waited on it forever and the file stayed.
 */
export function fioScript(options: { file: string; sizeMiB: number; runtimeSec: number; direct: boolean }): string {
  const f = quote(options.file);
  const jobs = BENCHMARK_TESTS.map((t) => `--name=${t.name} --rw=${t.rw} --bs=${t.bs} --stonewall`).join(' ');
  const fio = [
    'fio --output-format=json',
    `--filename=${f}`,
    `--size=${options.sizeMiB}M`,
    '--ioengine=psync',
    `--direct=${options.direct ? 1 : 0}`,
    '--time_based',
    `--runtime=${options.runtimeSec}`,
    '--percentile_list=50:95:99:99.9',
    jobs,
  ].join(' ');
  return [
    `F=${f}`,
    // A background list's stdin is /dev/null in a non-interactive shell: keep the real one as fd 3.
    'exec 3<&0',
    'OUT=$(mktemp) || exit 70',
    'S=; command -v setsid >/dev/null 2>&1 && S=setsid',
    // The signal to fio's process group (its own, with setsid), or to fio alone without setsid.
    'sig() { kill -s "$1" -- -"$pid" 2>/dev/null || kill -s "$1" "$pid" 2>/dev/null; }',
    'cleanup() { [ -n "${pid:-}" ] && sig KILL; rm -f -- "$F"; }',
    'trap \'cleanup; rm -f -- "$OUT"; exit 143\' HUP INT TERM',
    `$S ${fio} >"$OUT" 2>"$OUT.err" </dev/null 3<&- &`,
    'pid=$!',
    // The watchdog: stdin at EOF (cancel, or the connection dropped) stops fio, and kills it if it hangs.
    // SIGTERM to fio itself (it stops its jobs); a SIGTERM to its job processes as well made it hang.
    // Its output goes nowhere: a sleep still holding the script's stdout would hold the channel open.
    `( cat <&3; kill "$pid"; sleep ${FIO_KILL_AFTER_SEC}; sig KILL ) >/dev/null 2>&1 &`,
    'wd=$!',
    'wait "$pid"; rc=$?',
    'kill "$wd" 2>/dev/null',
    'rm -f -- "$F"',
    'cat "$OUT"; cat "$OUT.err" >&2; rm -f -- "$OUT" "$OUT.err"',
    'exit $rc',
  ].join('\n');
}

interface FioJob {
  jobname?: string;
  error?: number;
  read?: FioSide;
  write?: FioSide;
}
interface FioSide {
  iops?: number;
  bw_bytes?: number;
  clat_ns?: { mean?: number; percentile?: Record<string, number> };
  lat_ns?: { mean?: number };
}

/** fio's JSON (it may print warnings before the object) → one result per test. */
export function parseFioJson(text: string): { version: string; tests: BenchmarkTest[] } {
  const start = text.indexOf('{');
  if (start < 0) throw new Error('fio printed no JSON');
  const json = JSON.parse(text.slice(start)) as { 'fio version'?: string; jobs?: FioJob[] };
  const tests: BenchmarkTest[] = [];
  for (const spec of BENCHMARK_TESTS) {
    const job = json.jobs?.find((j) => j.jobname === spec.name);
    if (!job) continue;
    if (job.error) throw new Error(`fio's ${spec.name} failed (error ${job.error})`);
    const side = (spec.rw.includes('read') ? job.read : job.write) ?? {};
    const p = side.clat_ns?.percentile ?? {};
    const pct = (key: string) => (p[key] ?? 0) / 1000;
    tests.push({
      name: spec.name,
      iops: side.iops ?? 0,
      bandwidthBps: side.bw_bytes ?? 0,
      latencyUs: {
        mean: (side.clat_ns?.mean ?? side.lat_ns?.mean ?? 0) / 1000,
        p50: pct('50.000000'),
        p95: pct('95.000000'),
        p99: pct('99.000000'),
        p999: pct('99.900000'),
      },
    });
  }
  return { version: json['fio version'] ?? 'fio', tests };
}
