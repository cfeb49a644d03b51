import { describe, expect, it } from 'vitest';
import { isLeftoverIncoming, mayDestroyLeftoverIncoming } from '../../../main/services/migration/migration-plan';

// virDomainState: 1 running, 3 paused, 5 shut off. virDomainPausedReason: 1 user, 2 migration, 12 post-copy, 13 post-copy failed.
const running = { state: 1, reason: 1 };
const pausedByUser = { state: 3, reason: 1 };
const incoming = { state: 3, reason: 2 };

describe('a leftover paused incoming guest on the destination', () => {
  it('is a guest paused for migration, not one paused by the user, in post-copy, running or absent', () => {
    expect(isLeftoverIncoming(incoming)).toBe(true);
    expect(isLeftoverIncoming(pausedByUser)).toBe(false);
    expect(isLeftoverIncoming({ state: 3, reason: 12 })).toBe(false);
    expect(isLeftoverIncoming({ state: 3, reason: 13 })).toBe(false);
    expect(isLeftoverIncoming(running)).toBe(false);
    expect(isLeftoverIncoming({ state: 5, reason: 0 })).toBe(false);
    expect(isLeftoverIncoming(null)).toBe(false);
  });

  it('is destroyed only while the source runs the guest (running or paused by the user) with no job on it', () => {
    expect(mayDestroyLeftoverIncoming(incoming, running, 'none')).toBe(true);
    expect(mayDestroyLeftoverIncoming(incoming, pausedByUser, 'none')).toBe(true);
  });

  it('is kept while a migration of it runs on the source (any job there), or the source guest is paused for one', () => {
    expect(mayDestroyLeftoverIncoming(incoming, running, 'unbounded')).toBe(false);
    expect(mayDestroyLeftoverIncoming(incoming, running, 'bounded')).toBe(false);
    expect(mayDestroyLeftoverIncoming(incoming, running, null)).toBe(false); // the job could not be read
    expect(mayDestroyLeftoverIncoming(incoming, { state: 3, reason: 2 }, 'none')).toBe(false);
    expect(mayDestroyLeftoverIncoming(incoming, { state: 3, reason: 12 }, 'none')).toBe(false);
    expect(mayDestroyLeftoverIncoming(incoming, { state: 3, reason: 13 }, 'none')).toBe(false);
  });

  it('is kept when the source does not run the guest (the destination may hold its only copy)', () => {
    expect(mayDestroyLeftoverIncoming(incoming, null, 'none')).toBe(false);
    expect(mayDestroyLeftoverIncoming(incoming, { state: 5, reason: 0 }, 'none')).toBe(false);
  });

  it('nothing is destroyed that is not a leftover incoming guest', () => {
    expect(mayDestroyLeftoverIncoming(running, running, 'none')).toBe(false);
    expect(mayDestroyLeftoverIncoming(pausedByUser, running, 'none')).toBe(false);
    expect(mayDestroyLeftoverIncoming({ state: 3, reason: 12 }, running, 'none')).toBe(false);
    expect(mayDestroyLeftoverIncoming(null, running, 'none')).toBe(false);
  });
});
