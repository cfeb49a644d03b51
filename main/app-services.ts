import type { AppInfo, TransportKind } from '../preload/api-contract';
import { ApiRouter } from './api/api-router';
import { createCallHandlers, createStreamHandlers, type CallHandlerDeps } from './api/call-handlers';
import { ApiEventBus } from './api/event-bus';
import { HostStore } from './services/hosts/host-store';
import { HostConnections, type HostConnector } from './services/connections/host-connections';
import { HostPromptBroker } from './services/connections/host-prompts';
import type { LibvirtHostLink } from './services/connections/libvirt-host-link';
import { createSshLibvirtConnector } from './services/connections/ssh-libvirt-connector';
import { RemoteViewerSessions } from './services/consoles/spice-remote-viewer';
import { DomainActions } from './services/domains/domain-actions';
import { createHostConfigService } from './services/host-config/host-config-wiring';
import { SshConnectionPool, type SshPoolOptions } from './services/connections/ssh-pool';
import { FleetService } from './services/fleet/fleet-service';
import { SettingsStore } from './services/settings/settings-store';
import { StorageService } from './services/storage/storage-service';
import { MetricsExportService } from './services/metrics-export/metrics-export-service';
import { HostIoService, localHostFiles, sftpHostFiles } from './services/host-io/host-io-service';
import { GuestAgentService } from './services/guest-agent/guest-agent-service';
import { StorageBenchmarkService } from './services/storage-benchmark/storage-benchmark-service';
import { ApiFailure } from './services/api-failure';
import { createMonitoring } from './services/alerts/monitoring-wiring';
import { userConfigDir } from './platform/user-dirs';
import { APP_NAME, APP_VERSION } from './app-version';

export interface AppServicesOptions {
  transport: TransportKind;
  configDir?: string;
  /** How hosts are reached; the real SSH + libvirt connector unless a caller brings its own. */
  connector?: HostConnector<LibvirtHostLink>;
  /** Connect every saved host at start (default true). */
  connectOnLaunch?: boolean;
}

export interface AppServices {
  router: ApiRouter;
  deps: CallHandlerDeps;
  /** Stops background work (connections, timers) so the process can exit. */
  dispose(): Promise<void>;
}

/**
 * Where SSH looks for known hosts and its config, as OpenSSH would (~/.ssh of the account), unless
 * overridden: VIRTDECK_KNOWN_HOSTS (a file) and VIRTDECK_SSH_CONFIG (a file, or "none").
 */
export function sshOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SshPoolOptions {
  const options: SshPoolOptions = {};
  if (env.VIRTDECK_KNOWN_HOSTS) options.knownHostsFiles = [env.VIRTDECK_KNOWN_HOSTS];
  if (env.VIRTDECK_SSH_CONFIG) options.sshConfigFile = env.VIRTDECK_SSH_CONFIG === 'none' ? null : env.VIRTDECK_SSH_CONFIG;
  return options;
}

/** Builds every service once and wires them together; both transports use the result. */
export function createServices(options: AppServicesOptions): CallHandlerDeps {
  const configDir = options.configDir ?? userConfigDir();
  const events = new ApiEventBus();
  const hosts = new HostStore(configDir);
  const appInfo: AppInfo = {
    name: APP_NAME,
    version: APP_VERSION,
    transport: options.transport,
    platform: process.platform,
    configDir,
  };
  const prompts = new HostPromptBroker((prompt) => events.publish('hosts.prompt', prompt));
  const fleet = new FleetService(
    (update) => events.publish('fleet.host', update),
    (hostId, error) => console.warn(`[fleet] sampling ${hostId} failed: ${error instanceof Error ? error.message : String(error)}`),
    undefined,
    undefined,
    (updates) => events.publish('fleet.hosts', { updates }),
  );
  const monitoring = createMonitoring({ configDir, events, fleet, hosts });
  const remoteViewers = new RemoteViewerSessions({ log: (line) => console.info(line) });
  // One SSH connection per host, shared by the host link (libvirt, consoles, SFTP) and the configuration editor.
  const sshPool = new SshConnectionPool(sshOptionsFromEnv());
  const connections = new HostConnections<LibvirtHostLink>(options.connector ?? createSshLibvirtConnector(sshOptionsFromEnv(), sshPool), prompts, {
    status: (status) => events.publish('hosts.status', status),
    linkUp: (hostId, link) => {
      fleet.attach(hostId, link.fleet);
      monitoring.linkUp(hostId, link);
    },
    linkDown: (hostId) => {
      fleet.detach(hostId);
      monitoring.linkDown(hostId);
      void remoteViewers.closeHost(hostId);
    },
  });
  const hostConfig = createHostConfigService({ hosts, prompts, sshPool });
  const actions = new DomainActions(
    (hostId) => connections.link(hostId)?.lifecycle ?? null,
    (progress) => events.publish('domains.actionProgress', progress),
    (hostId) => void fleet.refresh(hostId),
  );

  // Keep connections in step with the saved hosts; new hosts connect at once.
  const known = new Set<string>();
  const sync = (list: Awaited<ReturnType<HostStore['list']>>) => {
    connections.syncHosts(list);
    for (const host of list) {
      if (!known.has(host.id) && (options.connectOnLaunch ?? true)) connections.connect(host.id);
      known.add(host.id);
    }
    for (const id of [...known]) {
      if (!list.some((host) => host.id === id)) {
        known.delete(id);
        fleet.remove(id);
        hostConfig.forget(id);
      }
    }
  };
  events.subscribe('hosts.changed', ({ hosts: list }) => sync(list));
  hosts.list().then(sync, (error: unknown) => console.warn(`[hosts] ${error instanceof Error ? error.message : String(error)}`));

  const storage = new StorageService({
    link: (hostId) => connections.link(hostId),
    hostUri: async (hostId) => (await hosts.list()).find((host) => host.id === hostId)?.libvirtUri ?? 'qemu:///system',
    publishTransfer: (status) => events.publish('storage.transfer', status),
  });
  const settings = new SettingsStore(configDir);
  settings.get().then((value) => fleet.setTickMs(value.statsIntervalMs), () => undefined);
  fleet.setStartupBusy(() => sshPool.startup.waiting > 0);
  const sshConfigFile = sshOptionsFromEnv().sshConfigFile;
  const hostIo = new HostIoService(
    (hostId) => {
      const link = connections.link(hostId);
      if (!link) return null;
      const ssh = link.ssh;
      return ssh ? sftpHostFiles(() => ssh.sftp()) : localHostFiles;
    },
    (sample) => events.publish('hostIo.sample', sample),
  );
  const guestAgent = new GuestAgentService((hostId) => connections.link(hostId)?.libvirt ?? null);
  const storageBenchmark = new StorageBenchmarkService({
    configDir,
    ssh: (hostId) => {
      const link = connections.link(hostId);
      return link ? link.ssh : undefined;
    },
    pool: async (hostId, name) => {
      const found = (await storage.pools(hostId)).find((pool) => pool.name === name);
      if (!found) throw new ApiFailure('not-found', `No pool ${name} on this host`);
      return { type: found.type, targetPath: found.targetPath, availableBytes: found.availableBytes };
    },
    publish: (job) => events.publish('storageBenchmark.progress', job),
  });
  const metricsExport = new MetricsExportService({
    configDir,
    hosts: async () => (await hosts.list()).map((host) => ({ id: host.id, name: host.displayName })),
    connected: (hostId) => connections.link(hostId) !== null,
    hostFigures: (hostId) => {
      const history = connections.link(hostId)?.hostHistory();
      const last = history ? history.times.length - 1 : -1;
      return {
        cpuPercent: history && last >= 0 ? (history.cpuPercent[last] ?? null) : null,
        memoryUsedKiB: history && last >= 0 ? (history.memoryUsedKiB[last] ?? null) : null,
        memoryTotalKiB: history && history.memoryTotalKiB > 0 ? history.memoryTotalKiB : null,
      };
    },
    hostDisks: (hostId) => hostIo.latest(hostId)?.devices ?? [],
    staleMs: async () => 3 * (await settings.get()).statsIntervalMs + 5_000,
  });
  fleet.onSampleStart((hostId) => hostIo.begin(hostId));
  fleet.onSamples((hostId, samples, at) => {
    metricsExport.record(hostId, samples, at);
    void hostIo.tick(hostId, samples, at);
  });
  events.subscribe('hosts.changed', ({ hosts: list }) => {
    const ids = new Set(list.map((host) => host.id));
    hostIo.retain(ids);
    metricsExport.retain(ids);
  });
  void metricsExport.start().catch((error: unknown) => console.warn(`[metrics-export] ${error instanceof Error ? error.message : String(error)}`));
  return { appInfo, hosts, events, connections, prompts, fleet, actions, settings, sshConfigFile, remoteViewers, hostConfig, sshPool, storage, metricsExport, hostIo, guestAgent, storageBenchmark, monitoring };
}

/** The composition root shared by Electron and serve mode. Nothing here may import Electron. */
export function createAppServices(options: AppServicesOptions): AppServices {
  const deps = createServices(options);
  const router = new ApiRouter(createCallHandlers(deps), createStreamHandlers(deps), deps.events);
  return {
    router,
    deps,
    dispose: async () => {
      deps.fleet.dispose();
      await deps.metricsExport.dispose();
      await deps.storageBenchmark.dispose();
      await deps.monitoring.dispose();
      await deps.remoteViewers.dispose();
      await deps.storage.dispose();
      await deps.hostConfig.dispose();
      // libvirt first (CONNECT_CLOSE over a live channel), then the SSH connections it runs over: cutting
      // SSH first ends every libvirt connection without a goodbye, which libvirtd 9.0 can crash on when a
      // deregistration is still being dispatched (see LibvirtClient.close).
      await deps.connections.dispose();
      await deps.sshPool.dispose();
    },
  };
}
