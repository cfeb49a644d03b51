import { useEffect, useRef, useState } from 'react';
import type { FleetDomain, FleetHostDomains } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { domainKey } from './fleet-query';

/** Points kept per guest for the table's sparklines (the VM page asks main for the full history). */
const SPARKLINE_POINTS = 30;

export interface FleetData {
  domains: FleetDomain[];
  cpuHistory: ReadonlyMap<string, readonly number[]>;
  loaded: boolean;
}

/**
 * All guests of all hosts, live: the snapshot, then one event per host per change. Updates are applied
 * once per animation frame, so 100 hosts ticking at once cost one render.
 */
export function useFleet(): FleetData {
  const api = useApi();
  const [data, setData] = useState<FleetData>({ domains: [], cpuHistory: new Map(), loaded: false });
  const byHost = useRef(new Map<string, FleetHostDomains>());
  const history = useRef(new Map<string, number[]>());

  useEffect(() => {
    let live = true;
    let frame = 0;
    const queued: FleetHostDomains[] = [];
    const flush = () => {
      frame = 0;
      for (const update of queued.splice(0)) {
        const previous = byHost.current.get(update.hostId);
        if (previous && previous.sampledAt > update.sampledAt) continue;
        byHost.current.set(update.hostId, update);
        if (previous?.sampledAt === update.sampledAt) continue;
        const present = new Set<string>();
        for (const domain of update.domains) {
          const key = domainKey(domain);
          present.add(key);
          if (domain.cpuPercent === null) continue;
          const points = history.current.get(key) ?? [];
          points.push(domain.cpuPercent);
          if (points.length > SPARKLINE_POINTS) points.splice(0, points.length - SPARKLINE_POINTS);
          history.current.set(key, points);
        }
        for (const key of [...history.current.keys()]) {
          if (key.startsWith(`${update.hostId}/`) && !present.has(key)) history.current.delete(key);
        }
      }
      if (!live) return;
      setData({
        domains: [...byHost.current.values()].flatMap((host) => host.domains),
        cpuHistory: new Map([...history.current].map(([key, points]) => [key, [...points]])),
        loaded: true,
      });
    };
    const enqueue = (update: FleetHostDomains) => {
      queued.push(update);
      if (!frame) frame = requestAnimationFrame(flush);
    };
    const unsubscribe = api.subscribe('fleet.host', enqueue);
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
      unsubscribe();
    };
  }, [api]);
  return data;
}
