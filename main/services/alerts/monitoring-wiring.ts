import type { Alert, AlertTarget, ApiEventName, ApiEvents, HostEntry, HostStatus } from '../../../preload/api-contract';
import type { SshConnection } from '../../ssh';
import type { LibvirtHostLink } from '../connections/libvirt-host-link';
import type { FleetService } from '../fleet/fleet-service';
import { sftpHostFiles } from '../host-io/host-io-service';
import { MetricsHistoryService } from '../metrics-history/metrics-history-service';
import { AlertsService } from './alerts-service';
import { withTimeLimit } from '../../platform/time-limit';

interface Events {
  publish<K extends ApiEventName>(name: K, payload: ApiEvents[K]): void;
  subscribe<K extends ApiEventName>(name: K, listener: (payload: ApiEvents[K]) => void): () => void;
}

export interface Monitoring {
  history: MetricsHistoryService;
  alerts: AlertsService;
  linkUp(hostId: string, link: LibvirtHostLink): void;
  linkDown(hostId: string): void;
  dispose(): Promise<void>;
}

/** How often the load average is read (libvirt does not report it). */
const LOAD_EVERY_MS = 10_000;

/**
 * /proc/loadavg of a host over its SSH connection: read through the connection's SFTP session (no
 * process starts on the host). Only a host without SFTP gets `cat` (a shell and a process every time:
 * with 1000 hosts every 10 s, that was most of what the hosts' sshd spent on VirtDeck between ticks).
 */
export async function readRemoteLoadavg(ssh: Pick<SshConnection, 'sftp' | 'run'>): Promise<string> {
  try {
    return await withTimeLimit(sftpHostFiles(() => ssh.sftp()).readFile('/proc/loadavg'), 5_000, 'reading /proc/loadavg over SFTP');
  } catch {
    return (await ssh.run('cat /proc/loadavg', { timeoutMs: 5_000 })).stdout;
  }
}

/**
 * The metrics history and the alert rules, fed from the fleet's stats tick, the host sample on the same
 * tick, host statuses and libvirt lifecycle events: everything is evaluated here in main, with no window.
 */
export function createMonitoring(options: {
  configDir: string;
  events: Events;
  fleet: FleetService;
  hosts: { list(): Promise<HostEntry[]> };
}): Monitoring {
  const { events, fleet } = options;
  const directory = MetricsHistoryService.directoryIn(options.configDir);
  const alerts = new AlertsService({
    configDir: options.configDir,
    historyDir: directory,
    publishChanged: (alert: Alert) => events.publish('alerts.changed', alert),
    publishFired: (alert: Alert) => events.publish('alerts.fired', alert),
  });
  const history = new MetricsHistoryService({
    directory,
    onValues: (entity, at, values, name) => alerts.evaluate(entity as AlertTarget, at, values, entity.kind === 'vm' ? name : undefined),
  });
  const unsubscribers: Array<() => void> = [];
  unsubscribers.push(fleet.onSamples((hostId, samples, at) => history.recordDomains(hostId, samples, at)));
  unsubscribers.push(events.subscribe('hosts.status', (status: HostStatus) => alerts.hostStatus(status.hostId, status.state)));
  unsubscribers.push(
    events.subscribe('hosts.changed', ({ hosts }: { hosts: HostEntry[] }) => {
      alerts.setHosts(hosts);
      const ids = new Set(hosts.map((h) => h.id));
      for (const hostId of perHost.keys()) if (!ids.has(hostId)) history.forgetHost(hostId);
    }),
  );
  const perHost = new Map<string, Array<() => void>>();
  options.hosts.list().then((list) => alerts.setHosts(list), () => undefined);

  const linkDown = (hostId: string) => {
    for (const stop of perHost.get(hostId) ?? []) stop();
    perHost.delete(hostId);
  };

  const linkUp = (hostId: string, link: LibvirtHostLink) => {
    linkDown(hostId);
    const stops: Array<() => void> = [];
    stops.push(link.onHostSample((sample) => history.recordHost(hostId, sample)));
    // Lifecycle events with their detail (crashed; paused on an I/O error), straight from libvirt.
    let stopped = false;
    let subscription: { unsubscribe(): Promise<void> } | null = null;
    void link.libvirt
      .onDomainEvent('lifecycle', (event) => {
        if (!stopped) alerts.lifecycle(hostId, event.domain.uuid, event.domain.name, event.data.event, event.data.detail);
      })
      .then(
        (sub) => {
          if (stopped) void sub.unsubscribe().catch(() => undefined);
          else subscription = sub;
        },
        () => undefined,
      );
    stops.push(() => {
      stopped = true;
      void subscription?.unsubscribe().catch(() => undefined);
    });
    // The load average: /proc/loadavg over the host's SSH connection (os.loadavg for this computer).
    // A slow host never stacks reads: a reading still under way skips the next one.
    let reading = false;
    const readLoad = async () => {
      if (reading) return;
      reading = true;
      try {
        const text = link.ssh ? await readRemoteLoadavg(link.ssh) : (await import('node:os')).loadavg().join(' ');
        const load1 = Number.parseFloat(text.trim().split(/\s+/)[0] ?? '');
        if (Number.isFinite(load1) && !stopped) history.recordHostMetric(hostId, 'host.load1', load1);
      } catch {
        // no SFTP nor shell access, or no /proc (not Linux): no load figure
      } finally {
        reading = false;
      }
    };
    void readLoad();
    const timer = setInterval(() => void readLoad(), LOAD_EVERY_MS);
    timer.unref?.();
    stops.push(() => clearInterval(timer));
    perHost.set(hostId, stops);
  };

  return {
    history,
    alerts,
    linkUp,
    linkDown,
    dispose: async () => {
      for (const hostId of [...perHost.keys()]) linkDown(hostId);
      for (const stop of unsubscribers) stop();
      await history.dispose();
      await alerts.dispose();
    },
  };
}
