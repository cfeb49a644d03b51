/**
 * Binds every call and stream of the contract to the service that serves it: one file per area
 * (main/api/<area>-calls.ts, beside preload/contract/<area>.ts), assembled here. A missing or extra
 * channel is a type error.
 */
import { createAppCalls } from './app-calls';
import type { CallHandlerDeps } from './api-deps';
import type { CallHandlers, StreamHandlers } from './api-router';
import { createConsolesCalls, createConsolesStreams } from './consoles-calls';
import { createDomainBackupsCalls } from './domain-backups-calls';
import { createDomainCloneCalls } from './domain-clone-calls';
import { createDomainMediaCalls } from './domain-media-calls';
import { createDomainSnapshotsCalls } from './domain-snapshots-calls';
import { createDomainHardwareCalls } from './domain-hardware-calls';
import { createDomainTuningCalls } from './domain-tuning-calls';
import { createDomainXmlCalls } from './domain-xml-calls';
import { createDomainsCalls } from './domains-calls';
import { createFleetCalls } from './fleet-calls';
import { createHostConfigCalls } from './host-config-calls';
import { createHostDevicesCalls } from './host-devices-calls';
import { createHostsCalls } from './hosts-calls';
import { createMigrationCalls } from './migration-calls';
import { createNewVmCalls } from './new-vm-calls';
import { createNetworksCalls } from './networks-calls';
import { createSettingsCalls } from './settings-calls';
import { createStorageCalls, createStorageStreams } from './storage-calls';
import { createMetricsExportCalls } from './metrics-export-calls';
import { createHostIoCalls } from './host-io-calls';
import { createGuestAgentCalls } from './guest-agent-calls';
import { createStorageBenchmarkCalls } from './storage-benchmark-calls';
import { createMetricsHistoryCalls } from './metrics-history-calls';
import { createAlertsCalls } from './alerts-calls';

export type { CallHandlerDeps } from './api-deps';

export function createCallHandlers(deps: CallHandlerDeps): CallHandlers {
  return {
    ...createAppCalls(deps),
    ...createSettingsCalls(deps),
    ...createHostsCalls(deps),
    ...createDomainsCalls(deps),
    ...createFleetCalls(deps),
    ...createConsolesCalls(deps),
    ...createDomainXmlCalls(deps),
    ...createDomainTuningCalls(deps),
    ...createDomainCloneCalls(deps),
    ...createDomainMediaCalls(deps),
    ...createDomainSnapshotsCalls(deps),
    ...createDomainHardwareCalls(deps),
    ...createHostConfigCalls(deps),
    ...createNewVmCalls(deps),
    ...createNetworksCalls(deps),
    ...createHostDevicesCalls(deps),
    ...createStorageCalls(deps),
    ...createMetricsExportCalls(deps),
    ...createHostIoCalls(deps),
    ...createGuestAgentCalls(deps),
    ...createStorageBenchmarkCalls(deps),
    ...createMetricsHistoryCalls(deps),
    ...createAlertsCalls(deps),
    ...createMigrationCalls(deps),
    ...createDomainBackupsCalls(deps),
  };
}

export function createStreamHandlers(deps: CallHandlerDeps): StreamHandlers {
  return { ...createConsolesStreams(deps.connections), ...createStorageStreams(deps) };
}
