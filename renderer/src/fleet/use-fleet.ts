import { startTransition, useEffect, useRef, useState } from 'react';
import type { FleetDomain } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { FleetUpdates, applyDelay } from './fleet-updates';

/**
 * Host updates reach the table at most this often: with 1,000 hosts ticking every 2 s the updates come
 * as ~20 batches per tick, and each applied batch re-sorts and re-filters every row and renders the
 * table again (work that typing then has to wait for).
 */
export const FLEET_APPLY_INTERVAL_MS = 1000;

export interface FleetData {
  domains: FleetDomain[];
  cpuHistory: ReadonlyMap<string, readonly number[]>;
  loaded: boolean;
  /**
   * The user typed, sorted or scrolled: updates wait for a pause (see applyDelay). Stable for the
   * hook's life.
   */
  interacted(): void;
}

/**
 * All guests of all hosts, live: the snapshot, then batches of host updates (`fleet.hosts`, one
 * message per ~100 ms however many hosts ticked; a host's rows that changed, mostly). Each message is
 * merged as it arrives (FleetUpdates);
 * the table gets the result at the next animation frame the first time, later at most once per
 * FLEET_APPLY_INTERVAL_MS, and not while the user types, sorts or scrolls (`interacted`: up to
 * FLEET_MAX_HOLD_MS), rendered in a transition, so a keystroke is rarely queued behind a stats tick's
 * render.
 */
export function useFleet(): FleetData {
  const api = useApi();
  const lastInteraction = useRef(-Infinity);
  const [interacted] = useState(() => () => {
    lastInteraction.current = performance.now();
  });
  const [data, setData] = useState<FleetData>({ domains: [], cpuHistory: new Map(), loaded: false, interacted });
  const [updates] = useState(() => new FleetUpdates());

  useEffect(() => {
    let live = true;
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastApplied = -Infinity;
    const flush = () => {
      frame = 0;
      timer = undefined;
      const wait = applyDelay(performance.now(), lastApplied, lastInteraction.current);
      if (wait > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          frame = requestAnimationFrame(flush);
        }, wait);
        return;
      }
      lastApplied = performance.now();
      const next = updates.take();
      if (!live || !next) return;
      startTransition(() => setData({ ...next, loaded: true, interacted }));
      // For performance observers (DevTools, the scale spec): when updates were applied. Not kept in the
      // page's timeline buffer, which would grow by one entry a second for the page's life.
      performance.measure('virtdeck:fleet-apply', { start: lastApplied });
      performance.clearMeasures('virtdeck:fleet-apply');
    };
    const schedule = () => {
      if (frame || timer !== undefined) return;
      const wait = lastApplied + FLEET_APPLY_INTERVAL_MS - performance.now();
      if (wait <= 0) frame = requestAnimationFrame(flush);
      else timer = setTimeout(() => {
        timer = undefined;
        frame = requestAnimationFrame(flush);
      }, wait);
    };
    // The whole fleet: at the start, and again when a delta came for an update this page never had
    // (sent before it subscribed) and is still behind once the request in flight is answered.
    let fetching = false;
    const fetchSnapshot = () => {
      fetching = true;
      api.call('fleet.snapshot', null).then(
        (snapshot) => {
          fetching = false;
          if (!live) return;
          for (const update of snapshot) updates.add(update);
          schedule();
          if (snapshot.length === 0) setData((current) => ({ ...current, loaded: true }));
          if (updates.needsSnapshot()) fetchSnapshot();
        },
        () => {
          fetching = false;
          if (live) setData((current) => ({ ...current, loaded: true }));
        },
      );
    };
    const unsubscribe = api.subscribe('fleet.hosts', ({ updates: batch }) => {
      for (const update of batch) updates.add(update);
      schedule();
      if (!fetching && updates.needsSnapshot()) fetchSnapshot();
    });
    fetchSnapshot();
    return () => {
      live = false;
      if (frame) cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe();
    };
  }, [api, updates, interacted]);
  return data;
}
