import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTimeLimit } from '../../../main/platform/time-limit';

describe('withTimeLimit', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes on a value that comes in time', async () => {
    await expect(withTimeLimit(Promise.resolve(4), 1_000, 'reading')).resolves.toBe(4);
  });

  it('passes on a failure that comes in time', async () => {
    await expect(withTimeLimit(Promise.reject(new Error('refused')), 1_000, 'reading')).rejects.toThrow('refused');
  });

  it('rejects with what did not complete, and hands a late value to onLate', async () => {
    let deliver!: (value: string) => void;
    const late = vi.fn();
    const limited = withTimeLimit(new Promise<string>((resolve) => (deliver = resolve)), 500, 'dialing', late);
    const outcome = expect(limited).rejects.toThrow('dialing did not complete within 500 ms');
    await vi.advanceTimersByTimeAsync(500);
    await outcome;
    deliver('socket');
    await vi.advanceTimersByTimeAsync(0);
    expect(late).toHaveBeenCalledWith('socket');
  });

  it('has no limit when the limit is not a positive finite number', async () => {
    const slow = new Promise<number>((resolve) => setTimeout(() => resolve(1), 10_000));
    const limited = withTimeLimit(slow, 0, 'x');
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(limited).resolves.toBe(1);
  });
});
