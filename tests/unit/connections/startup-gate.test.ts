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
