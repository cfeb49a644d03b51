import { useCallback, useEffect, useRef, useState } from 'react';
import type { StorageVolumeDetails, StorageVolumeList } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';

const BATCH = 200;

/**
 * A pool's volumes: the listing (names, keys, users: one call) and details fetched lazily, only for
 * the names asked for (the rows on screen), in batches, each name once until reload.
 */
export function useVolumes(hostId: string, pool: string | null) {
  const api = useApi();
  const [list, setList] = useState<StorageVolumeList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [details, setDetails] = useState<Map<string, StorageVolumeDetails>>(new Map());
  const [generation, setGeneration] = useState(0);
  const requested = useRef(new Set<string>());
  const queue = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    let live = true;
    requested.current = new Set();
    queue.current = new Set();
    setDetails(new Map());
    if (pool === null) {
      setList(null);
      return;
    }
    api.call('storage.volumes', { hostId, pool }).then(
      (value) => {
        if (!live) return;
        setList(value);
        setError(null);
      },
      (failure: unknown) => live && setError(errorMessage(failure)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, pool, generation]);

  const flush = useCallback(() => {
    timer.current = null;
    if (pool === null) return;
    const names = [...queue.current];
    queue.current = new Set();
    for (let i = 0; i < names.length; i += BATCH) {
      const batch = names.slice(i, i + BATCH);
      api.call('storage.volumeDetails', { hostId, pool, names: batch }).then(
        (found) =>
          setDetails((previous) => {
            const next = new Map(previous);
            for (const d of found) next.set(d.name, d);
            return next;
          }),
        () => {
          for (const name of batch) requested.current.delete(name);
        },
      );
    }
  }, [api, hostId, pool]);

  /** Asks for the details of these names (those not asked for yet). */
  const want = useCallback(
    (names: readonly string[]) => {
      let added = false;
      for (const name of names) {
        if (requested.current.has(name)) continue;
        requested.current.add(name);
        queue.current.add(name);
        added = true;
      }
      if (added && timer.current === null) timer.current = setTimeout(flush, 30);
    },
    [flush],
  );

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { list, error, details, want, reload };
}
