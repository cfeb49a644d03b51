import { useSyncExternalStore } from 'react';

/** Which guest the Migrate dialog is open for (one at a time, for the whole window). */
export interface MigrateTarget {
  hostId: string;
  uuid: string;
  name: string;
}

let current: MigrateTarget | null = null;
const listeners = new Set<() => void>();

function set(next: MigrateTarget | null): void {
  current = next;
  for (const listener of [...listeners]) listener();
}

/** Opens the Migrate dialog for a guest (from the fleet's menus or the VM page). */
export function openMigrateDialog(domain: { hostId: string; uuid: string; name: string }): void {
  set({ hostId: domain.hostId, uuid: domain.uuid, name: domain.name });
}

export function closeMigrateDialog(): void {
  set(null);
}

export function useMigrateTarget(): MigrateTarget | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
