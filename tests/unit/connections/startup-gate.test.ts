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
});
