import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { ApiClient, ConnectionState } from './index';

const ApiContext = createContext<ApiClient | null>(null);

export function ApiProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi() outside <ApiProvider>');
  return client;
}

export function useConnectionState(): ConnectionState {
  const api = useApi();
  const [state, setState] = useState<ConnectionState>('connecting');
  useEffect(() => api.onConnectionChange(setState), [api]);
  return state;
}
