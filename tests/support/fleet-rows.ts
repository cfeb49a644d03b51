import type { FleetDomain } from '../../preload/api-contract';

/** A fleet table row for unit tests: a running 1-vCPU guest `name` on `hostId` (UUID `hostId-name`), then `patch`. */
export function fleetDomain(hostId: string, name: string, patch: Partial<FleetDomain> = {}): FleetDomain {
  return {
    hostId,
    uuid: `${hostId}-${name}`,
    name,
    state: 'running',
    persistent: true,
    autostart: false,
    vcpus: 1,
    memoryKiB: 1024,
    maxMemoryKiB: 1024,
    cpuPercent: null,
    addresses: [],
    ...patch,
  };
}
