import { useEffect, useRef, useState, type Dispatch, type MutableRefObject, type SetStateAction } from 'react';
import type { ApiEventName, ApiEvents } from '../../../preload/api-contract';
import { useApi } from './api-context';

/** The events that report a long job's progress: their payload names the job. */
export type JobEventName = { [E in ApiEventName]: ApiEvents[E] extends { jobId: string } ? E : never }[ApiEventName];

/**
 * The one job a dialog follows, kept up to date from `event`: set `jobId.current` before the call that
 * starts it (updates may arrive before the call answers), or to a running job found on open.
 */
export function useJobUpdates<E extends JobEventName>(
  event: E,
): { job: ApiEvents[E] | null; setJob: Dispatch<SetStateAction<ApiEvents[E] | null>>; jobId: MutableRefObject<string | null> } {
  const api = useApi();
  const [job, setJob] = useState<ApiEvents[E] | null>(null);
  const jobId = useRef<string | null>(null);
  useEffect(
    () =>
      api.subscribe(event, (update) => {
        if ((update as { jobId: string }).jobId === jobId.current) setJob(update);
      }),
    [api, event],
  );
  return { job, setJob, jobId };
}
