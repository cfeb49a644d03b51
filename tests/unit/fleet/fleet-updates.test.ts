import { describe, expect, it } from 'vitest';
import type { FleetDomain, FleetHostDomains } from '../../../preload/api-contract';
import { fleetDomain as domain } from '../../support/fleet-rows';
import { FLEET_MAX_HOLD_MS, FLEET_QUIET_MS, FleetUpdates, SPARKLINE_POINTS, applyDelay } from '../../../renderer/src/fleet/fleet-updates';
import { sparklinePoints } from '../../../renderer/src/fleet/sparkline-points';


const update = (hostId: string, sampledAt: number, domains: FleetDomain[]): FleetHostDomains => ({ hostId, sampledAt, domains });

describe('fleet updates', () => {
  it('merges updates as they come and hands over every row and sparkline once per take', () => {
    const fleet = new FleetUpdates();
    expect(fleet.take()).toBeNull();
    fleet.add(update('h1', 1, [domain('h1', 'a', { cpuPercent: 10 }), domain('h1', 'b', { state: 'shutoff' })]));
    fleet.add(update('h2', 1, [domain('h2', 'c', { cpuPercent: 20 })]));
    const first = fleet.take();
    expect(first?.domains.map((row) => row.name)).toEqual(['a', 'b', 'c']);
    expect(Object.fromEntries(first?.cpuHistory ?? [])).toEqual({ 'h1/h1-a': [10], 'h2/h2-c': [20] });
    // Nothing new: nothing to apply.
    expect(fleet.take()).toBeNull();

    // h1 ticks twice before the next take; h2 once.
    fleet.add(update('h1', 2, [domain('h1', 'a', { cpuPercent: 11 }), domain('h1', 'b', { state: 'shutoff' })]));
    fleet.add(update('h1', 3, [domain('h1', 'a', { cpuPercent: 12 }), domain('h1', 'b', { state: 'shutoff' })]));
    fleet.add(update('h2', 2, [domain('h2', 'c', { cpuPercent: 21 })]));
    const second = fleet.take();
    expect(second?.domains.map((row) => [row.name, row.cpuPercent])).toEqual([
      ['a', 12],
      ['b', null],
      ['c', 21],
    ]);
    // The shut-off row that did not change keeps its object (its search text and rendered row are kept).
    expect(second?.domains[1]).toBe(first?.domains[1]);
    expect(second?.domains[0]).not.toBe(first?.domains[0]);
    expect(Object.fromEntries(second?.cpuHistory ?? [])).toEqual({ 'h1/h1-a': [10, 11, 12], 'h2/h2-c': [20, 21] });
    // Sparkline arrays are replaced, never mutated.
    expect(first?.cpuHistory.get('h1/h1-a')).toEqual([10]);
  });

  it('ignores an update older than the host has, and keeps a stopped guest’s points', () => {
    const fleet = new FleetUpdates();
    fleet.add(update('h1', 5, [domain('h1', 'a', { cpuPercent: 50 })]));
    fleet.take();
    fleet.add(update('h1', 4, [domain('h1', 'a', { cpuPercent: 99 })]));
    expect(fleet.take()).toBeNull();
    fleet.add(update('h1', 6, [domain('h1', 'a', { state: 'shutoff', cpuPercent: null })]));
    const after = fleet.take();
    expect(after?.domains[0]?.state).toBe('shutoff');
    expect(after?.cpuHistory.get('h1/h1-a')).toEqual([50]);
    // A host gone empty: its rows and points go.
    fleet.add(update('h1', 7, []));
    expect(fleet.take()).toEqual({ domains: [], cpuHistory: new Map() });
  });

  it('keeps the last SPARKLINE_POINTS points per guest', () => {
    const fleet = new FleetUpdates();
    for (let i = 0; i < SPARKLINE_POINTS + 5; i++) fleet.add(update('h1', i, [domain('h1', 'a', { cpuPercent: i })]));
    const points = fleet.take()?.cpuHistory.get('h1/h1-a');
    expect(points).toHaveLength(SPARKLINE_POINTS);
    expect(points?.[0]).toBe(5);
    expect(points?.at(-1)).toBe(SPARKLINE_POINTS + 4);
  });
});

describe('fleet updates as deltas', () => {
  it('applies a delta on the update it was made from: changed rows replaced, the others keep their objects', () => {
    const fleet = new FleetUpdates();
    fleet.add(update('h1', 10, [domain('h1', 'a', { cpuPercent: 1 }), domain('h1', 'b', { state: 'shutoff' }), domain('h1', 'c', { cpuPercent: 3 })]));
    const first = fleet.take();
    fleet.add({ hostId: 'h1', sampledAt: 12, since: 10, changed: [domain('h1', 'a', { cpuPercent: 2 })] });
    const second = fleet.take();
    expect(second?.domains.map((row) => [row.name, row.cpuPercent])).toEqual([
      ['a', 2],
      ['b', null],
      ['c', 3],
    ]);
    expect(second?.domains[1]).toBe(first?.domains[1]);
    expect(second?.domains[2]).toBe(first?.domains[2]);
    // Every running guest gets a sparkline point per tick, changed or not.
    expect(Object.fromEntries(second?.cpuHistory ?? [])).toEqual({ 'h1/h1-a': [1, 2], 'h1/h1-c': [3, 3] });
    expect(fleet.needsSnapshot()).toBe(false);
  });

  it('leaves out a delta whose base it lacks and needs a snapshot until the host catches up', () => {
    const fleet = new FleetUpdates();
    // Subscribed after the host's first update: a delta on an update this listener never had.
    fleet.add({ hostId: 'h1', sampledAt: 12, since: 10, changed: [domain('h1', 'a', { cpuPercent: 2 })] });
    expect(fleet.take()).toBeNull();
    expect(fleet.needsSnapshot()).toBe(true);
    // The snapshot (the host's state at 12 or later) catches up.
    fleet.add(update('h1', 12, [domain('h1', 'a', { cpuPercent: 2 }), domain('h1', 'b', { state: 'shutoff' })]));
    expect(fleet.needsSnapshot()).toBe(false);
    // A delta made before the snapshot's state (on 10, to 12) is not news: not missed, not applied.
    fleet.add({ hostId: 'h1', sampledAt: 12, since: 10, changed: [domain('h1', 'a', { cpuPercent: 99 })] });
    expect(fleet.needsSnapshot()).toBe(false);
    expect(fleet.take()?.domains[0]?.cpuPercent).toBe(2);
    // A gap (a delta on 14 while the host is at 12): missed again.
    fleet.add({ hostId: 'h1', sampledAt: 16, since: 14, changed: [] });
    expect(fleet.needsSnapshot()).toBe(true);
    fleet.add(update('h1', 16, [domain('h1', 'a', { cpuPercent: 5 })]));
    expect(fleet.needsSnapshot()).toBe(false);
  });
});

describe('holding updates while the user types', () => {
  it('applies at once with no recent keystroke, else at the pause, but never later than the longest hold', () => {
    // No keystroke yet, or one long ago.
    expect(applyDelay(10_000, 9_000, -Infinity)).toBe(0);
    expect(applyDelay(10_000, 9_000, 10_000 - FLEET_QUIET_MS)).toBe(0);
    // A keystroke 100 ms ago: wait for the pause.
    expect(applyDelay(10_000, 9_000, 9_900)).toBe(FLEET_QUIET_MS - 100);
    // Typing on and on: held at most FLEET_MAX_HOLD_MS after the last apply.
    expect(applyDelay(10_000, 10_000 - FLEET_MAX_HOLD_MS + 50, 9_990)).toBe(50);
    expect(applyDelay(10_000, 10_000 - FLEET_MAX_HOLD_MS, 9_990)).toBe(0);
  });
});

describe('sparkline points', () => {
  it('spreads the values over the width, 0 at the bottom and max at the top, clamped', () => {
    expect(sparklinePoints([0, 50, 100], 80, 20, 100)).toBe('0,20 40,10 80,0');
    expect(sparklinePoints([-5, 150], 10, 20, 100)).toBe('0,20 10,0');
    expect(sparklinePoints([25, 25, 25, 25], 30, 22, 100)).toBe('0,16.5 10,16.5 20,16.5 30,16.5');
  });

  it('draws no line for fewer than two values', () => {
    expect(sparklinePoints([], 80, 22, 100)).toBe('');
    expect(sparklinePoints([42], 80, 22, 100)).toBe('');
  });
});
