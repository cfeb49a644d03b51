import { useCallback, useEffect, useState } from 'react';
import type { TuningContext } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';

/** The tuning context of one guest (definition, form values, live values, host topology), reloadable. */
export function useTuningContext(hostId: string, uuid: string, running: boolean) {
  const api = useApi();
  const [context, setContext] = useState<TuningContext | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let live = true;
    api.call('domainTuning.context', { hostId, uuid }).then(
      (value) => live && (setContext(value), setError(null)),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, uuid, running, generation]);
  return { context, error, reload };
}
