/**
 * "Benchmark storage" on a pool: fio on the host, on a temporary file in the pool's directory.
 */

import type { AssertNever } from './channel-names';

export interface BenchmarkCheck {
  /** fio's version on the host, or null when it is not installed. */
  fio: string | null;
  /** How to install fio on that host's distribution (when missing). */
  installHint: string;
  /** The pool's directory, or null when the pool has none (a benchmark needs one). */
  poolPath: string | null;
  /** Free space in the pool (bytes), when known. */
  availableBytes: number | null;
}

export interface BenchmarkRequest {
  hostId: string;
  pool: string;
  /** Size of the temporary file (default 1024 MiB). */
  sizeMiB: number;
  /** Total time of the four tests (default 60 s). */
  durationSec: number;
}

export type BenchmarkTestName = 'randread4k' | 'randwrite4k' | 'seqread1m' | 'seqwrite1m';

export interface BenchmarkTest {
  name: BenchmarkTestName;
  iops: number;
  bandwidthBps: number;
  /** Completion latency in microseconds. */
  latencyUs: { mean: number; p50: number; p95: number; p99: number; p999: number };
}

export interface BenchmarkResult {
  id: string;
  hostId: string;
  pool: string;
  poolPath: string;
  /** Epoch ms when it finished. */
  at: number;
  sizeMiB: number;
  durationSec: number;
  fioVersion: string;
  /** Whether O_DIRECT was used (false where the file system refuses it, e.g. tmpfs). */
  direct: boolean;
  tests: BenchmarkTest[];
}

export type BenchmarkState = 'running' | 'done' | 'failed' | 'cancelled';

export interface BenchmarkJob {
  jobId: string;
  hostId: string;
  pool: string;
  state: BenchmarkState;
  /** 0–1, by time (fio's run time is fixed; laying out the file comes first). */
  progress: number;
  /** The test running now. */
  phase: BenchmarkTestName | 'layout' | null;
  startedAt: number;
  /** Seconds left (estimate). */
  secondsLeft: number;
  /** The temporary file (removed when the job ends, however it ends). */
  file: string;
  result: BenchmarkResult | null;
  error: string | null;
}

export interface StorageBenchmarkCalls {
  'storageBenchmark.check': { request: { hostId: string; pool: string }; response: BenchmarkCheck };
  'storageBenchmark.start': { request: BenchmarkRequest; response: BenchmarkJob };
  'storageBenchmark.cancel': { request: { jobId: string }; response: BenchmarkJob };
  'storageBenchmark.jobs': { request: null; response: BenchmarkJob[] };
  /** Results kept for this host (newest first), for comparison. */
  'storageBenchmark.results': { request: { hostId: string }; response: BenchmarkResult[] };
}

export const STORAGE_BENCHMARK_CALLS = [
  'storageBenchmark.check',
  'storageBenchmark.start',
  'storageBenchmark.cancel',
  'storageBenchmark.jobs',
  'storageBenchmark.results',
] as const satisfies readonly (keyof StorageBenchmarkCalls)[];
export type _StorageBenchmarkCallsListed = AssertNever<Exclude<keyof StorageBenchmarkCalls, (typeof STORAGE_BENCHMARK_CALLS)[number]>>;

export interface StorageBenchmarkEvents {
  'storageBenchmark.progress': BenchmarkJob;
}

export const STORAGE_BENCHMARK_EVENTS = ['storageBenchmark.progress'] as const satisfies readonly (keyof StorageBenchmarkEvents)[];
export type _StorageBenchmarkEventsListed = AssertNever<Exclude<keyof StorageBenchmarkEvents, (typeof STORAGE_BENCHMARK_EVENTS)[number]>>;
