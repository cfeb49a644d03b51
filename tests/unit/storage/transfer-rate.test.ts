import { describe, expect, it } from 'vitest';
import { TransferRate, secondsLeftAt } from '../../../main/services/transfer-rate';

describe('TransferRate (the rate and time left of every progress line)', () => {
  it('measures over the last window only, so a stall shows as a falling rate', () => {
    const rate = new TransferRate(3_000);
    expect(rate.sample(0, 0)).toBeNull(); // no span yet
    expect(rate.sample(10_000_000, 1_000)).toBe(10_000_000);
    expect(rate.sample(20_000_000, 2_000)).toBe(10_000_000);
    expect(rate.sample(30_000_000, 3_000)).toBe(10_000_000);
    // Stalled from 3 s on: at 6 s the window holds 3 s … 6 s only, so the rate is 0, not 5 MB/s overall.
    rate.sample(30_000_000, 4_000);
    rate.sample(30_000_000, 5_000);
    expect(rate.sample(30_000_000, 6_000)).toBe(0);
  });

  it('gives no rate over a span shorter than its minimum', () => {
    const rate = new TransferRate(5_000, 400);
    rate.sample(0, 0);
    expect(rate.sample(1_000, 300)).toBeNull();
    expect(rate.sample(2_000, 500)).toBe(4_000);
  });

  it('time left needs a total and a positive rate', () => {
    expect(secondsLeftAt(100, 40, 20)).toBe(3);
    expect(secondsLeftAt(null, 40, 20)).toBeNull();
    expect(secondsLeftAt(100, 40, 0)).toBeNull();
    expect(secondsLeftAt(100, 40, null)).toBeNull();
    expect(secondsLeftAt(100, 120, 20)).toBe(0);
  });
});
