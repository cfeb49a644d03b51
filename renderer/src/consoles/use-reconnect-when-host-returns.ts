import { useEffect, useRef } from 'react';
import { useHostStatuses } from '../hosts/use-host-statuses';

/**
 * A console that was dropped because its host's connection went away reconnects by itself once the host
 * is connected again (the host connection retries with backoff on its own). Runs `reconnect` once per
 * return of the host; a console the user closed, or one that ended while the host stayed connected, is
 * left alone.
 */
export function useReconnectWhenHostReturns(hostId: string, disconnected: boolean, reconnect: () => void): void {
  const status = useHostStatuses().get(hostId)?.state.kind;
  const previous = useRef(status);
  const hostWentAway = useRef(false);
  const action = useRef(reconnect);
  action.current = reconnect;
  useEffect(() => {
    const was = previous.current;
    previous.current = status;
    if (status !== undefined && status !== 'connected') hostWentAway.current = true;
    if (disconnected && hostWentAway.current && status === 'connected' && was !== 'connected') {
      hostWentAway.current = false;
      action.current();
    }
    if (!disconnected && status === 'connected') hostWentAway.current = false;
  }, [status, disconnected]);
}
