import { BrowserWindow, Notification } from 'electron';
import type { Alert } from '../../preload/api-contract';
import type { AppServices } from '../app-services';

/**
 * Desktop notifications for alerts that fire (Electron's Notification, shown by main even when no window
 * is on that page): a click brings the window up and asks it to open the VM or host.
 */
export function installAlertNotifications(services: AppServices, mainWindow: () => BrowserWindow | null): () => void {
  const events = services.deps.events;
  return events.subscribe('alerts.fired', (alert: Alert) => {
    if (!Notification.isSupported()) return;
    const values = alert.peak === null ? '' : ` (peak ${alert.peak.toFixed(1)})`;
    const notification = new Notification({
      title: `${alert.ruleName}: ${alert.targetName}`,
      body: alert.detail ?? `${alert.metric} ${alert.comparison} ${alert.threshold} for ${alert.durationSec} s${values}`,
    });
    notification.on('click', () => {
      const window = mainWindow() ?? BrowserWindow.getAllWindows()[0] ?? null;
      if (window) {
        if (window.isMinimized()) window.restore();
        window.show();
        window.focus();
      }
      events.publish('alerts.open', alert.target);
    });
    notification.show();
  });
}
