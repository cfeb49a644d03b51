import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StartupGate } from '../../../main/services/connections/startup-gate';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const never = () => new Promise<never>(() => undefined);

describe('StartupGate', () => {
  it('runs at most `concurrency` start-ups at once, first come first served', async () => {
    const gate = new StartupGate({ concurrency: 2, slotMs: 10_000 });
    const order: number[] = [];
    const finishers: Array<() => void> = [];
    const runs = [0, 1, 2, 3].map((i) =>
      gate.run(
        () =>
          new Promise<void>((resolve) => {
            order.push(i);
            finishers[i] = resolve;
          }),
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1]);
    expect(gate.running).toBe(2);
    expect(gate.waiting).toBe(2);
    finishers[1]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1, 2]);
    finishers[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1, 2, 3]);
    finishers[2]?.();
    finishers[3]?.();
    await Promise.all(runs);
    expect(gate.running).toBe(0);
  });

  it('hung start-ups give their slots up after slotMs: the queue behind them moves on', async () => {
    const gate = new StartupGate({ concurrency: 2, slotMs: 3_000 });
    void gate.run(never);
    void gate.run(never);
    let started = 0;
    const others = Array.from({ length: 4 }, () => gate.run(async () => void (started += 1)));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(started).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(others);
    expect(started).toBe(4);
    // The hung ones still run (outside the limit) and count no more.
    expect(gate.running).toBe(0);
  });

  it('a start-up that makes progress keeps its slot past slotMs (a slow sshd is not a hung one): the limit holds', async () => {
    const gate = new StartupGate({ concurrency: 2, slotMs: 3_000 });
    const finishers: Array<() => void> = [];
    const progressOf: Array<() => void> = [];
    let started = 0;
    const runs = Array.from({ length: 5 }, (_, i) =>
      gate.run(
        (progress) =>
          new Promise<void>((resolve) => {
            started += 1;
            progressOf[i] = progress;
            finishers[i] = resolve;
          }),
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toBe(2);
    // Bytes from the server every 2 s for 20 s: both keep their slots, nobody else starts.
    for (let t = 0; t < 10; t++) {
      await vi.advanceTimersByTimeAsync(2_000);
      progressOf[0]?.();
      progressOf[1]?.();
    }
    expect(started).toBe(2);
    expect(gate.running).toBe(2);
    expect(gate.waiting).toBe(3);
    // The first one stops progressing (hangs): 3 s later its slot goes to the next in the queue.
    for (let t = 0; t < 2; t++) {
      await vi.advanceTimersByTimeAsync(1_500);
      progressOf[1]?.();
    }
    expect(started).toBe(3);
    // A late progress call from the one that gave its slot up takes no slot back.
    progressOf[0]?.();
    expect(gate.running).toBe(2);
    finishers.forEach((finish) => finish());
    await vi.advanceTimersByTimeAsync(0);
    finishers.forEach((finish) => finish());
    await vi.advanceTimersByTimeAsync(0);
    finishers.forEach((finish) => finish());
    await Promise.all(runs);
    expect(gate.running).toBe(0);
  });

  it('once the server has answered, a start-up may stall for answeredSlotMs (a busy sshd) before its slot goes', async () => {
    const gate = new StartupGate({ concurrency: 1, slotMs: 3_000, answeredSlotMs: 15_000 });
    let progress: (serverAnswered?: boolean) => void = () => undefined;
    void gate.run((p) => {
      progress = p;
      return never();
    });
    let next = false;
    const second = gate.run(async () => void (next = true));
    await vi.advanceTimersByTimeAsync(1_000);
    progress(true); // the server's first bytes, 1 s in
    await vi.advanceTimersByTimeAsync(14_999);
    expect(next).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await second;
    expect(next).toBe(true);
  });

  it('start-ups that gave their slot up after their server answered still count against the overflow: a slow sshd is not flooded', async () => {
    const gate = new StartupGate({ concurrency: 2, slotMs: 1_000, answeredSlotMs: 2_000, targetMs: 0, overflow: 0.5 });
    // Every server answers at once, then stalls for 20 s (a busy sshd) before the handshake settles.
    let started = 0;
    const runs = Array.from({ length: 12 }, () =>
      gate.run(async (progress) => {
        started += 1;
        progress(true);
        await new Promise((resolve) => setTimeout(resolve, 20_000));
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toBe(2);
    // After 2 s both give their slots up, but they are still handshaking: only one more (2 + 1) starts…
    await vi.advanceTimersByTimeAsync(2_000);
    expect(gate.running).toBe(1);
    expect(gate.runningOutside).toBe(2);
    expect(started).toBe(3);
    // …and no more while they run (without the bound, two more every 2 s: 20 by now).
    await vi.advanceTimersByTimeAsync(15_000);
    expect(started).toBe(3);
    expect(gate.stats.peakOutside).toBe(3);
    // The first two settle at 20 s: the queue moves on.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(gate.runningOutside).toBe(1);
    expect(started).toBe(5);
    await vi.advanceTimersByTimeAsync(200_000);
    await Promise.all(runs);
    expect(gate.runningOutside).toBe(0);
    expect(gate.stats.gaveUpAnswered).toBe(12);
  });

  it('a start-up whose slot went without an answer counts outside the limit once its server answers late; black holes never do', async () => {
    const gate = new StartupGate({ concurrency: 2, slotMs: 1_000, answeredSlotMs: 15_000, targetMs: 0, overflow: 0.5 });
    let answer: (serverAnswered?: boolean) => void = () => undefined;
    let finish: () => void = () => undefined;
    void gate.run(
      (progress) =>
        new Promise<void>((resolve) => {
          answer = progress;
          finish = resolve;
        }),
    );
    // Black holes: never a byte; they give their slots up and never hold anything back.
    for (let i = 0; i < 4; i++) void gate.run(never);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(gate.running).toBe(0);
    expect(gate.runningOutside).toBe(0);
    // Three busy hosts: answered at once, then stalled.
    let ran = 0;
    for (let i = 0; i < 3; i++) {
      void gate.run((progress) => {
        ran += 1;
        progress(true);
        return never();
      });
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toBe(2);
    // The first host's sshd answers late (5 s in): it counts outside the limit from now on.
    answer(true);
    expect(gate.runningOutside).toBe(1);
    // The two busy ones give their slots up after 15 s: 3 handshakes outside, limit 2 + overflow 1 full.
    await vi.advanceTimersByTimeAsync(16_000);
    expect(gate.runningOutside).toBe(3);
    expect(ran).toBe(2);
    // The late one settles: the third busy host starts.
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(gate.runningOutside).toBe(2);
    expect(ran).toBe(3);
  });

  it('tells a start-up that it waits in the queue, and when it starts', async () => {
    const gate = new StartupGate({ concurrency: 1, slotMs: 0 });
    const events: string[] = [];
    let finish: () => void = () => undefined;
    const first = gate.run(() => new Promise<void>((resolve) => (finish = resolve)), undefined, {
      queued: () => events.push('first queued'),
      started: () => events.push('first started'),
    });
    const second = gate.run(async () => void events.push('second ran'), undefined, {
      queued: () => events.push('second queued'),
      started: () => events.push('second started'),
    });
    await vi.advanceTimersByTimeAsync(0);
    // The first got a slot at once (never "queued"); the second waits.
    expect([...events].sort()).toEqual(['first started', 'second queued']);
    finish();
    await Promise.all([first, second]);
    expect(events.slice(2)).toEqual(['second started', 'second ran']);
  });

  it('an aborted waiter leaves the queue without running', async () => {
    const gate = new StartupGate({ concurrency: 1, slotMs: 0 });
    let release: () => void = () => undefined;
    const first = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    let ran = false;
    const second = gate.run(async () => void (ran = true), controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(second).rejects.toThrow('cancelled');
    expect(gate.waiting).toBe(0);
    release();
    await first;
    expect(ran).toBe(false);
  });

  it('a failed start-up frees its slot', async () => {
    const gate = new StartupGate({ concurrency: 1 });
    await expect(gate.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });

  describe('adaptive limit', () => {
    /** `count` start-ups whose server answers at once and that each take `ms` (or what `ms(i)` says). */
    function startups(gate: StartupGate, count: number, ms: number | ((i: number) => number), answered = true) {
      let started = 0;
      const runs = Array.from({ length: count }, (_, i) =>
        gate.run(async (progress) => {
          started += 1;
          if (answered) progress(true);
          await new Promise((resolve) => setTimeout(resolve, typeof ms === 'number' ? ms : ms(i)));
        }),
      );
      return { runs, started: () => started };
    }

    it('handshakes slowed by their own number (median over targetMs) shrink the start-ups at once, while each decrease helps', async () => {
      const gate = new StartupGate({ concurrency: 16, slotMs: 3_000, answeredSlotMs: 15_000, targetMs: 1_000, minConcurrency: 4 }, () => Date.now());
      // Each handshake takes 250 ms per handshake running at once (a server with a fixed amount of CPU).
      const { runs, started } = startups(gate, 80, () => 250 * gate.running);
      await vi.advanceTimersByTimeAsync(0);
      expect(started()).toBe(16);
      // The first 16 take 4 s: one window of 4 decides (16 → 11); the other 12 were granted under the
      // old limit and do not shrink it further.
      await vi.advanceTimersByTimeAsync(4_000);
      expect(gate.limit).toBe(11);
      expect(gate.running).toBe(11);
      expect(gate.stats.decreases).toBe(1);
      await vi.advanceTimersByTimeAsync(120_000);
      await Promise.all(runs);
      // 11 at once: 2.75 s (faster: 11 → 7); 7: 1.75 s (7 → 4); 4: 1 s, within the target.
      expect(gate.stats.decreases).toBe(3);
      expect(gate.limit).toBe(4);
      expect(gate.stats.lowestLimit).toBe(4);
      expect(gate.running).toBe(0);
    });

    it('handshakes slow for another reason (as slow with fewer at once): the limit goes back up instead of collapsing', async () => {
      const gate = new StartupGate({ concurrency: 16, targetMs: 1_000, minConcurrency: 4 }, () => Date.now());
      const { runs } = startups(gate, 80, 3_000);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(gate.limit).toBe(11);
      // 11 at once take 3 s as well: the decrease did not help, back to 16.
      await vi.advanceTimersByTimeAsync(3_000);
      expect(gate.limit).toBe(16);
      await vi.advanceTimersByTimeAsync(60_000);
      await Promise.all(runs);
      expect(gate.stats.lowestLimit).toBe(11);
    });

    it('fast handshakes while others wait grow the limit back, up to concurrency', async () => {
      const gate = new StartupGate({ concurrency: 16, targetMs: 1_000, minConcurrency: 4 }, () => Date.now());
      // 16 slow ones bring it down to 11…
      const slow = startups(gate, 16, 3_000);
      await vi.advanceTimersByTimeAsync(0);
      const fast = startups(gate, 200, 100);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(gate.limit).toBe(11);
      // …then 100 ms handshakes (under half the target) with a queue behind them: ×1.25 per window.
      await vi.advanceTimersByTimeAsync(300);
      expect(gate.limit).toBeGreaterThan(11);
      await vi.advanceTimersByTimeAsync(5_000);
      await Promise.all([...slow.runs, ...fast.runs]);
      expect(gate.limit).toBe(16);
      expect(gate.stats.increases).toBeGreaterThan(0);
    });

    it('does not grow past the start-ups there are: no queue, no increase', async () => {
      const gate = new StartupGate({ concurrency: 16, targetMs: 1_000 }, () => Date.now());
      const { runs } = startups(gate, 16, 3_000);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(gate.limit).toBe(11);
      const more = startups(gate, 8, 100);
      await vi.advanceTimersByTimeAsync(1_000);
      await Promise.all([...runs, ...more.runs]);
      expect(gate.limit).toBe(11);
    });

    it('hosts that never answer (black holes) and start-ups that waited for the user do not count', async () => {
      const gate = new StartupGate({ concurrency: 8, slotMs: 3_000, targetMs: 1_000 }, () => Date.now());
      // Never answering: each gives its slot up after 3 s (slower than the target), yet says nothing about load.
      for (let i = 0; i < 16; i++) void gate.run(never);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(gate.limit).toBe(8);
      // A prompt (host key, passphrase) of 20 s while the server had answered: the user's time.
      const prompted = Array.from({ length: 8 }, () =>
        gate.run(async (progress, slot) => {
          progress(true);
          slot.unmeasured();
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }),
      );
      await vi.advanceTimersByTimeAsync(2_000);
      await Promise.all(prompted);
      expect(gate.limit).toBe(8);
      expect(gate.stats.measured).toBe(0);
    });

    it('a start-up stalled for answeredSlotMs after the server answered counts as slow when it gives its slot up', async () => {
      const gate = new StartupGate({ concurrency: 8, slotMs: 1_000, answeredSlotMs: 4_000, targetMs: 2_000 }, () => Date.now());
      for (let i = 0; i < 8; i++) {
        void gate.run((progress) => {
          progress(true);
          return never();
        });
      }
      await vi.advanceTimersByTimeAsync(4_000);
      expect(gate.limit).toBe(5);
      expect(gate.stats.lastMedianMs).toBe(4_000);
    });

    it('targetMs 0 keeps the limit fixed', async () => {
      const gate = new StartupGate({ concurrency: 8, targetMs: 0 }, () => Date.now());
      const { runs } = startups(gate, 32, 30_000);
      await vi.advanceTimersByTimeAsync(200_000);
      await Promise.all(runs);
      expect(gate.limit).toBe(8);
    });

    it('a busy server that answers late lengthens how long an unanswered start-up keeps its slot; black holes do not', async () => {
      const gate = new StartupGate({ concurrency: 4, slotMs: 1_000, answeredSlotMs: 15_000, targetMs: 0, overflow: 10 }, () => Date.now());
      // Black holes first: never a byte, so the wait stays slotMs.
      for (let i = 0; i < 8; i++) void gate.run(never);
      await vi.advanceTimersByTimeAsync(2_000);
      expect(gate.unansweredSlotMs).toBe(1_000);
      expect(gate.running).toBe(0);
      // A busy sshd: its banner comes 3 s after the connect, the login 1 s later.
      let started = 0;
      const busy = () =>
        gate.run(async (progress) => {
          started += 1;
          await new Promise((resolve) => setTimeout(resolve, 3_000));
          progress(true);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        });
      const first = Array.from({ length: 4 }, busy);
      await vi.advanceTimersByTimeAsync(1_000);
      // The first four gave their slots up after 1 s without an answer (as a black hole would)…
      const next = Array.from({ length: 4 }, busy);
      await vi.advanceTimersByTimeAsync(0);
      expect(started).toBe(8);
      // …and answered at 3 s: now an unanswered start-up keeps its slot for twice that.
      await vi.advanceTimersByTimeAsync(2_000);
      expect(gate.unansweredSlotMs).toBe(6_000);
      const later = Array.from({ length: 4 }, busy);
      await vi.advanceTimersByTimeAsync(0);
      expect(started).toBe(12);
      // 2 s later they still have no answer, and keep their slots: whoever comes next waits.
      await vi.advanceTimersByTimeAsync(2_000);
      const more = Array.from({ length: 4 }, busy);
      await vi.advanceTimersByTimeAsync(0);
      expect(started).toBe(12);
      expect(gate.running).toBe(4);
      expect(gate.waiting).toBe(4);
      await vi.advanceTimersByTimeAsync(30_000);
      await Promise.all([...first, ...next, ...later, ...more]);
      expect(started).toBe(16);
    });
  });
});
