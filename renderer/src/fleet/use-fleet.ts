import { startTransition, useEffect, useRef, useState } from 'react';
import type { FleetDomain, FleetHostDomains } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { domainKey, keepUnchangedRows } from './fleet-query';

/** Points kept per guest for the table's sparklines (the VM page asks main for the full history). */
const SPARKLINE_POINTS = 30;

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
}

/**
 * All guests of all hosts, live: the snapshot, then batches of host updates (`fleet.hosts`, one
 * message per ~100 ms however many hosts ticked). The first updates are applied at the next animation
 * frame, later ones coalesced, at most once per FLEET_APPLY_INTERVAL_MS, and rendered in a transition,
 * so a keystroke is never queued behind a stats tick (React interrupts the tick's render for it). They
 * cost what changed: a host's sparkline arrays are replaced (never mutated, so rows whose history did
 * not change keep their arrays and do not redraw), rows that did not change keep their objects, and only
 * the updated hosts' keys are visited.
 */
export function useFleet(): FleetData {
  const api = useApi();
  const [data, setData] = useState<FleetData>({ domains: [], cpuHistory: new Map(), loaded: false });
  const byHost = useRef(new Map<string, FleetHostDomains>());
  /** Sparkline points per host, then per domain key. */
  const history = useRef(new Map<string, Map<string, readonly number[]>>());

  useEffect(() => {
    let live = true;
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastApplied = -Infinity;
    const queued: FleetHostDomains[] = [];
    const flush = () => {
      frame = 0;
      timer = undefined;
      lastApplied = performance.now();
      let changed = false;
      for (const update of queued.splice(0)) {
        const previous = byHost.current.get(update.hostId);
        if (previous && previous.sampledAt > update.sampledAt) continue;
        // Unchanged rows keep their objects, so their search text and rendered rows are reused.
        byHost.current.set(update.hostId, { ...update, domains: keepUnchangedRows(previous?.domains, update.domains) });
        changed = true;
        if (previous?.sampledAt === update.sampledAt) continue;
        const before = history.current.get(update.hostId);
        const after = new Map<string, readonly number[]>();
        for (const domain of update.domains) {
          // Most guests are shut off (no CPU figure, no history): no key made for them.
          if (domain.cpuPercent === null && !before?.size) continue;
          const key = domainKey(domain);
          const points = before?.get(key);
          if (domain.cpuPercent === null) {
            if (points) after.set(key, points);
            continue;
          }
          const next = points ? points.slice(Math.max(0, points.length + 1 - SPARKLINE_POINTS)) : [];
          next.push(domain.cpuPercent);
          after.set(key, next);
        }
        if (after.size > 0) history.current.set(update.hostId, after);
        else history.current.delete(update.hostId);
      }
      if (!live || !changed) return;
      const cpuHistory = new Map<string, readonly number[]>();
      for (const perHost of history.current.values()) for (const [key, points] of perHost) cpuHistory.set(key, points);
      const domains: FleetDomain[] = [];
      for (const host of byHost.current.values()) for (const domain of host.domains) domains.push(domain);
      startTransition(() => setData({ domains, cpuHistory, loaded: true }));
      // For performance observers (DevTools, the scale spec): when updates were applied. Not kept in the
      // page's timeline buffer, which would grow by one entry a second for the page's life.
      performance.measure('virtdeck:fleet-apply', { start: lastApplied });
      performance.clearMeasures('virtdeck:fleet-apply');
    };
    const enqueue = (update: FleetHostDomains) => {
      queued.push(update);
      if (frame || timer !== undefined) return;
      const wait = lastApplied + FLEET_APPLY_INTERVAL_MS - performance.now();
      if (wait <= 0) frame = requestAnimationFrame(flush);
      else timer = setTimeout(() => {
        timer = undefined;
        frame = requestAnimationFrame(flush);
      }, wait);
    };
    const unsubscribe = api.subscribe('fleet.hosts', ({ updates }) => {
      for (const update of updates) enqueue(update);
    });
    api.call('fleet.snapshot', null).then(
      (snapshot) => {
        for (const update of snapshot) enqueue(update);
        if (snapshot.length === 0 && live) setData((current) => ({ ...current, loaded: true }));
      },
      () => live && setData((current) => ({ ...current, loaded: true })),
    );
    return () => {
      live = false;
      if (frame) cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe();
    };
  }, [api]);
  return data;
}
