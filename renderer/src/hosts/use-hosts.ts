import { useEffect, useState } from 'react';
import type { HostEntry } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { errorMessage } from '../api';

export type HostsState =
  | { status: 'loading' }
  | { status: 'ready'; hosts: HostEntry[] }
  | { status: 'error'; message: string };

/** The saved hosts, kept current by the hosts.changed event. */
export function useHosts(): HostsState {
  const api = useApi();
  const [state, setState] = useState<HostsState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    const unsubscribe = api.subscribe('hosts.changed', ({ hosts }) => {
      if (live) setState({ status: 'ready', hosts });
    });
    api.call('hosts.list', null).then(
      (hosts) => live && setState({ status: 'ready', hosts }),
      (error: unknown) =>
        live && setState({ status: 'error', message: errorMessage(error) }),
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  return state;
}
