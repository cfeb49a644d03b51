import { describe, expect, it } from 'vitest';
import { SnapshotLoads } from '../../../renderer/src/domain-snapshots/snapshot-loads';

describe('Snapshots tab: which answers it shows, when it reads again', () => {
  it('a state change during an operation reads nothing; the operation answers with the newest state', () => {
    const loads = new SnapshotLoads();
    const opened = loads.beginLoad(false);
    expect(opened).not.toBeNull();
    expect(loads.accept(opened as number)).toBe(true);
    // Revert: libvirt stops QEMU (shut off), starts it paused, then runs it: three state changes.
    const revert = loads.beginOperation();
    expect(loads.busy).toBe(true);
    expect([loads.beginLoad(false), loads.beginLoad(false), loads.beginLoad(false)]).toEqual([null, null, null]);
    expect(loads.accept(loads.endOperation(revert))).toBe(true);
    expect(loads.busy).toBe(false);
    // The next state change reads again.
    const later = loads.beginLoad(false);
    expect(later).not.toBeNull();
    expect(loads.accept(later as number)).toBe(true);
  });

  it('a read sent before an operation answered is not shown over its answer', () => {
    const loads = new SnapshotLoads();
    const early = loads.beginLoad(false) as number;
    const create = loads.beginOperation();
    expect(loads.accept(loads.endOperation(create))).toBe(true);
    expect(loads.accept(early)).toBe(false);
  });

  it('Refresh reads during an operation; the operation answer still wins when it comes later', () => {
    const loads = new SnapshotLoads();
    const del = loads.beginOperation();
    const refresh = loads.beginLoad(true);
    expect(refresh).not.toBeNull();
    expect(loads.accept(refresh as number)).toBe(true);
    expect(loads.accept(loads.endOperation(del))).toBe(true);
  });

  it('reads answered out of order: the older answer is dropped; a failed operation leaves the tab free to read', () => {
    const loads = new SnapshotLoads();
    const a = loads.beginLoad(false) as number;
    const b = loads.beginLoad(false) as number;
    expect(loads.accept(b)).toBe(true);
    expect(loads.accept(a)).toBe(false);
    const failed = loads.beginOperation();
    loads.endOperation(failed);
    expect(loads.busy).toBe(false);
    const again = loads.beginLoad(false) as number;
    expect(loads.accept(again)).toBe(true);
  });

  it('two operations: reads wait for both', () => {
    const loads = new SnapshotLoads();
    const one = loads.beginOperation();
    const two = loads.beginOperation();
    loads.endOperation(one);
    expect(loads.beginLoad(false)).toBeNull();
    loads.endOperation(two);
    expect(loads.beginLoad(false)).not.toBeNull();
  });
});
