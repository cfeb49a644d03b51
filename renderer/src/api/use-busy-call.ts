import { useCallback, useState } from 'react';
import { errorMessage } from './api-client';

/**
 * A dialog's or panel's calls, one at a time: `busy` while `run`'s action runs (buttons disable on it),
 * and the message of its failure in `error` (cleared when the next action starts; `setError` for
 * failures found elsewhere, such as the first load).
 */
export function useBusyCall(): {
  busy: boolean;
  error: string | null;
  setError: (error: string | null) => void;
  run: (action: () => Promise<void>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
