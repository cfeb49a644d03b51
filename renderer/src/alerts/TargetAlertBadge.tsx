import { AlertBadge } from './AlertBadge';
import { activeByTarget, useAlerts } from './use-alerts';

/** The badge of a host's open alerts (host page title, navigation). */
export function HostAlertBadge({ hostId }: { hostId: string }) {
  const alerts = useAlerts();
  return <AlertBadge alert={activeByTarget(alerts).get(hostId)} />;
}
