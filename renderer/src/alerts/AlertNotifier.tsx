import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert, AlertTarget } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { alertSummary } from './alert-text';

/**
 * Desktop notifications for alerts that fire. In serve mode the browser's Notification API shows them
 * (asking for permission once); in the desktop app the shell shows Electron's own and tells the window
 * which VM or host to open when one is clicked ('alerts.open').
 */
export function AlertNotifier({ onOpen }: { onOpen(target: AlertTarget): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const open = useRef(onOpen);
  open.current = onOpen;

  useEffect(() => {
    const stops = [api.subscribe('alerts.open', (target) => open.current(target))];
    if (api.transport === 'serve' && typeof Notification !== 'undefined') {
      if (Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
      stops.push(
        api.subscribe('alerts.fired', (alert: Alert) => {
          if (Notification.permission !== 'granted') return;
          const notification = new Notification(t('alerts.notification.title', { rule: alert.ruleName, target: alert.targetName }), {
            body: alertSummary(alert, t),
            tag: alert.id,
          });
          notification.onclick = () => {
            window.focus();
            open.current(alert.target);
            notification.close();
          };
        }),
      );
    }
    return () => {
      for (const stop of stops) stop();
    };
  }, [api, t]);
  return null;
}
