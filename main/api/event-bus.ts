import type { ApiEventName, ApiEvents } from '../../preload/api-contract';

type Listener<K extends ApiEventName> = (payload: ApiEvents[K]) => void;

/** Typed publish/subscribe for the events of the API contract; services publish, transports listen. */
export class ApiEventBus {
  private readonly listeners = new Map<ApiEventName, Set<Listener<ApiEventName>>>();

  subscribe<K extends ApiEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    const stored = listener as Listener<ApiEventName>;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  publish<K extends ApiEventName>(name: K, payload: ApiEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        // One broken subscriber (e.g. a closed window) must not stop delivery to the others.
        console.error(`[events] a listener of ${name} failed:`, error);
      }
    }
  }

  listenerCount(name: ApiEventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}
