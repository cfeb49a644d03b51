import { useEffect, useRef } from 'react';

/**
 * For a tab or card of the VM page: calls `read` on mounting and again whenever `running` changes, but never
 * while `dialogOpen` (an open dialog keeps what the user typed; its own call is checked against the definition
 * it was built on). A change seen under an open dialog is read once the dialog has closed.
 */
export function useReadOnStateChange(read: () => void, running: boolean, dialogOpen: boolean): void {
  const readFor = useRef<boolean | null>(null);
  useEffect(() => {
    if (dialogOpen || readFor.current === running) return;
    readFor.current = running;
    read();
  }, [read, running, dialogOpen]);
}
