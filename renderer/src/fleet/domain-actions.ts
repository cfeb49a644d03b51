import type { DomainAction, DomainState, FleetDomain } from '../../../preload/api-contract';

/** In which states an action makes sense (libvirt would refuse it otherwise). */
const APPLIES: Record<DomainAction, (domain: FleetDomain) => boolean> = {
  start: (d) => d.state === 'shutoff' || d.state === 'crashed',
  shutdown: (d) => isActive(d.state),
  reboot: (d) => d.state === 'running' || d.state === 'blocked',
  destroy: (d) => isActive(d.state),
  reset: (d) => d.state === 'running' || d.state === 'blocked' || d.state === 'paused',
  suspend: (d) => d.state === 'running' || d.state === 'blocked',
  resume: (d) => d.state === 'paused' || d.state === 'pmsuspended',
  managedSave: (d) => (d.state === 'running' || d.state === 'paused') && d.persistent,
  autostartOn: (d) => d.persistent && !d.autostart,
  autostartOff: (d) => d.persistent && d.autostart,
  delete: () => true,
};

function isActive(state: DomainState): boolean {
  return state !== 'shutoff' && state !== 'crashed' && state !== 'nostate';
}

export function actionApplies(action: DomainAction, domain: FleetDomain): boolean {
  return APPLIES[action](domain);
}

/** Menu order, grouped; `shortcut` is a Mantine hotkey ("mod" = Ctrl or ⌘). */
export const ACTION_MENU: Array<{ action: DomainAction; shortcut?: string; danger?: boolean; divider?: boolean }> = [
  { action: 'start', shortcut: 'mod+shift+S' },
  { action: 'shutdown', shortcut: 'mod+shift+D' },
  { action: 'reboot', shortcut: 'mod+shift+R' },
  { action: 'suspend', shortcut: 'mod+shift+P' },
  { action: 'resume', shortcut: 'mod+shift+U' },
  { action: 'managedSave', divider: true },
  { action: 'autostartOn' },
  { action: 'autostartOff' },
  { action: 'reset', danger: true, divider: true },
  { action: 'destroy', danger: true },
  { action: 'delete', shortcut: 'Delete', danger: true },
];

/** Shortcut text as the user's platform writes it. */
export function shortcutLabel(shortcut: string, mac: boolean): string {
  return shortcut
    .split('+')
    .map((part) => (part === 'mod' ? (mac ? '⌘' : 'Ctrl') : part === 'shift' ? (mac ? '⇧' : 'Shift') : part))
    .join(mac ? '' : '+');
}
