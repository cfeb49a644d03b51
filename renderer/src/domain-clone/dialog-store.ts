import { useSyncExternalStore } from 'react';

/** Which guest the clone or rename dialog is open for (one at a time, for the whole window). */
export interface DomainDialogTarget {
  kind: 'clone' | 'rename';
  hostId: string;
  uuid: string;
  name: string;
}

let current: DomainDialogTarget | null = null;
const listeners = new Set<() => void>();

function set(next: DomainDialogTarget | null): void {
  current = next;
  for (const listener of [...listeners]) listener();
}

/** Opens the clone or rename dialog for a guest (from the fleet's menus or the VM page). */
export function openDomainDialog(kind: DomainDialogTarget['kind'], domain: { hostId: string; uuid: string; name: string }): void {
  set({ kind, hostId: domain.hostId, uuid: domain.uuid, name: domain.name });
}

export function closeDomainDialog(): void {
  set(null);
}

export function useDomainDialog(): DomainDialogTarget | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
