/**
 * The state every long job publishes (clone, backup, restore): cancel in each state, the clean-up state,
 * the area's own fields reset at the end, throttled progress, and retries of clean-up calls.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LongJobProgress } from '../../../preload/api-contract';
import { LongJobState, JobCancelled } from '../../../main/services/long-job';
import { ApiFailure } from '../../../main/services/api-failure';
import { LibvirtError } from '../../../main/libvirt/client';
import type { LibvirtClient } from '../../../main/libvirt/client';

interface TestJob extends LongJobProgress {
  step: number | null;
  items: string[];
}

function newJob(published: TestJob[], options: { pollMs?: number; patienceMs?: number; sleep?: (ms: number) => Promise<void> } = {}) {
  return new LongJobState<TestJob>(
    {
      state: 'queued',
      step: 1,
      items: ['a'],
      bytesDone: 0,
      bytesTotal: null,
      bytesPerSecond: null,
      secondsLeft: null,
      startedAt: 0,
      finishedAt: null,
      error: null,
      leftovers: [],
    },
    (job) => published.push(job),
    (job) => ({ ...job, items: [...job.items], leftovers: [...job.leftovers] }),
    { pollMs: options.pollMs, cleanupPatienceMs: options.patienceMs, sleep: options.sleep, defaultPatienceMs: 60_000 },
    (job) => {
      job.step = null;
    },
  );
}

const client = {} as LibvirtClient;
const host = { libvirt: () => client };

afterEach(() => {
  vi.useRealTimers();
});

describe('LongJobState (clone, backup and restore jobs)', () => {
  it('a queued job cancelled ends at once as cancelled, and a second cancel changes nothing', () => {
    const published: TestJob[] = [];
    const s = newJob(published);
    s.cancel();
    expect(s.job.state).toBe('cancelled');
    expect(s.job.step).toBeNull();
    expect(s.finished).toBe(true);
    s.cancel();
    expect(published).toHaveLength(1);
  });

  it('a running job cancelled is cancelling until its next check throws JobCancelled', () => {
    const published: TestJob[] = [];
    const s = newJob(published);
    s.start();
    expect(s.job.state).toBe('running');
    s.checkCancelled();
    s.cancel();
    expect(s.job.state).toBe('cancelling');
    expect(() => s.checkCancelled()).toThrow(JobCancelled);
    s.cleaning();
    expect(published.at(-1)).toMatchObject({ state: 'cleaning', bytesPerSecond: null, secondsLeft: null });
    s.finish('cancelled', null);
    expect(published.at(-1)).toMatchObject({ state: 'cancelled', step: null, error: null, secondsLeft: null });
  });

  it('a cancel before start starts the job as cancelling', () => {
    const s = newJob([]);
    s.cancelRequested = true;
    s.start();
    expect(s.job.state).toBe('cancelling');
  });

  it('published records are copies: later changes do not reach what was published', () => {
    const published: TestJob[] = [];
    const s = newJob(published);
    s.start();
    s.job.items.push('b');
    s.job.leftovers.push('pool/x');
    expect(published[0]).toMatchObject({ items: ['a'], leftovers: [] });
  });

  it('a failure is published as an API error, done has no time left', () => {
    const published: TestJob[] = [];
    const s = newJob(published);
    s.start();
    s.finish('failed', new ApiFailure('conflict', 'the source was started'));
    expect(published.at(-1)?.error).toMatchObject({ code: 'conflict', message: 'the source was started' });
    const t = newJob(published);
    t.start();
    t.finish('done', null);
    expect(published.at(-1)).toMatchObject({ state: 'done', secondsLeft: 0, error: null });
  });

  it('progress is published at most twice per poll interval, with a rate and time left', () => {
    vi.useFakeTimers({ now: 10_000 });
    const published: TestJob[] = [];
    const s = newJob(published, { pollMs: 1000 });
    s.start();
    const before = published.length;
    s.progress(0, 100_000);
    vi.setSystemTime(10_100);
    s.progress(1_000, 100_000); // within half an interval of the last publish: held
    expect(published.length).toBe(before);
    vi.setSystemTime(11_000);
    s.progress(10_000, 100_000);
    expect(published.length).toBe(before + 1);
    expect(published.at(-1)).toMatchObject({ bytesDone: 10_000, bytesTotal: 100_000, bytesPerSecond: 10_000, secondsLeft: 9 });
  });

  it('retrying: again while the host is away or libvirt says busy, not for other failures, not past its patience', async () => {
    const waits: number[] = [];
    const s = newJob([], { patienceMs: 60_000, sleep: async (ms) => void waits.push(ms) });
    let calls = 0;
    const away = await s.retrying(host, async () => {
      calls += 1;
      if (calls < 3) throw new ApiFailure('not-found', 'not connected');
      return 'ok';
    });
    expect(away).toBe('ok');
    expect(waits).toEqual([500, 1000]);

    const busyError = new LibvirtError({ code: 55, domain: 0, message: 'still being allocated', level: 2, dom: null, str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null });
    let busyCalls = 0;
    await expect(
      s.retrying(
        host,
        async () => {
          busyCalls += 1;
          if (busyCalls < 2) throw busyError;
          return 'deleted';
        },
        (e) => /being allocated/.test(e.message),
      ),
    ).resolves.toBe('deleted');

    let refusedCalls = 0;
    await expect(
      s.retrying(host, async () => {
        refusedCalls += 1;
        throw new ApiFailure('conflict', 'refused');
      }),
    ).rejects.toThrow('refused');
    expect(refusedCalls).toBe(1);

    vi.useFakeTimers({ now: 0 });
    const impatient = newJob([], { patienceMs: 1_000, sleep: async (ms) => void vi.setSystemTime(Date.now() + ms) });
    let awayCalls = 0;
    await expect(
      impatient.retrying(host, async () => {
        awayCalls += 1;
        throw new ApiFailure('not-found', 'not connected');
      }),
    ).rejects.toThrow('not connected');
    expect(awayCalls).toBe(3); // at 0, 500 and 1500 ms: past the 1 s patience
  });
});
