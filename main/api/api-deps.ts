import type { AppInfo } from '../../preload/api-contract';
import type { HostConnections } from '../services/connections/host-connections';
import type { HostPromptBroker } from '../services/connections/host-prompts';
import type { LibvirtHostLink } from '../services/connections/libvirt-host-link';
import type { SshConnectionPool } from '../services/connections/ssh-pool';
import type { RemoteViewerSessions } from '../services/consoles/spice-remote-viewer';
import type { DomainActions } from '../services/domains/domain-actions';
import type { FleetService } from '../services/fleet/fleet-service';
import type { HostConfigService } from '../services/host-config/host-config-service';
import type { HostStore } from '../services/hosts/host-store';
import type { SettingsStore } from '../services/settings/settings-store';
import type { StorageService } from '../services/storage/storage-service';
import type { MetricsExportService } from '../services/metrics-export/metrics-export-service';
import type { HostIoService } from '../services/host-io/host-io-service';
import type { GuestAgentService } from '../services/guest-agent/guest-agent-service';
import type { StorageBenchmarkService } from '../services/storage-benchmark/storage-benchmark-service';
import type { Monitoring } from '../services/alerts/monitoring-wiring';
import { ApiFailure } from '../services/api-failure';
import type { ApiEventBus } from './event-bus';

/** The services the API serves, built once by app-services and shared by both transports. */
export interface CallHandlerDeps {
  appInfo: AppInfo;
  hosts: HostStore;
  events: ApiEventBus;
  connections: HostConnections<LibvirtHostLink>;
  prompts: HostPromptBroker;
  fleet: FleetService;
  actions: DomainActions;
  settings: SettingsStore;
  /** ssh_config used for imports (VIRTDECK_SSH_CONFIG), undefined = OpenSSH's defaults. */
  sshConfigFile: string | null | undefined;
  /** remote-viewer sessions (SPICE), ended with the services. */
  remoteViewers: RemoteViewerSessions;
  /** The host configuration editor (qemu.conf, libvirtd.conf). */
  hostConfig: HostConfigService;
  /** The hosts' SSH connections (one each), closed at shutdown. */
  sshPool: SshConnectionPool;
  /** Pools, volumes and transfers. */
  storage: StorageService;
  /** The opt-in Prometheus /metrics endpoint. */
  metricsExport: MetricsExportService;
  /** Host block devices (iostat) and guest disk latency on the stats tick. */
  hostIo: HostIoService;
  /** The QEMU guest agent of running VMs. */
  guestAgent: GuestAgentService;
  /** fio benchmarks of pools. */
  storageBenchmark: StorageBenchmarkService;
  /** Metrics history and alerts. */
  monitoring: Monitoring;
}

/** The live link to a connected host, or a `not-found` failure the caller sees. */
export function requireLink(
  deps: { connections: { link(hostId: string): LibvirtHostLink | null } },
  hostId: string,
): LibvirtHostLink {
  const found = deps.connections.link(hostId);
  if (!found) throw new ApiFailure('not-found', 'The host is not connected');
  return found;
}
