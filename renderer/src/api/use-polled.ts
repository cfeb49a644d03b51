import { useEffect, useRef, useState } from 'react';

/**
 * Calls `load` now and every `intervalMs` while `enabled`, keeping the latest answer (failures keep the
 * previous one: a missed sample is not worth an error on screen). `key` restarts the polling.
 */
export function usePolled<T>(load: () => Promise<T>, intervalMs: number, enabled: boolean, key: string): T | null {
  const [value, setValue] = useState<T | null>(null);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    setValue(null);
    if (!enabled) return;
    let live = true;
    const poll = () =>
      loader.current().then(
        (next) => live && setValue(next),
        () => undefined,
      );
    void poll();
    const timer = setInterval(() => void poll(), intervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [intervalMs, enabled, key]);
  return value;
}
