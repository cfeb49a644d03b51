import type { DomainState } from '../../../preload/api-contract';
import type { TypedParam } from '../../libvirt/client/typed-params';

/** One guest as one bulk stats call reports it (CONNECT_LIST_ALL_DOMAINS + GET_ALL_DOMAIN_STATS). */
export interface DomainSample {
  uuid: string;
  name: string;
  state: DomainState;
  persistent: boolean;
  autostart: boolean;
  vcpus: number;
  memoryKiB: number;
  maxMemoryKiB: number;
  /** Total guest CPU time in nanoseconds (cpu.time), as bigint: it exceeds 2^53 on long-running guests. */
  cpuTimeNs: bigint;
  /** The bulk stats record's typed parameters (the metrics history reads balloon, block and net figures). */
  params?: readonly TypedParam[];
}

export type DomainEventKind =
  | 'defined'
  | 'undefined'
  | 'started'
  | 'suspended'
  | 'resumed'
  | 'stopped'
  | 'shutdown'
  | 'pmsuspended'
  | 'crashed';

/**
 * What the fleet service needs from a host's libvirt connection. Kept narrow so the fleet logic does
 * not depend on the RPC client's full surface.
 */
export interface FleetLibvirtPort {
  /**
   * Every domain (active and inactive) with its bulk stats, in one round of calls (NOWAIT). `full`
   * also reads which guests are persistent and autostart (two more listings); otherwise the port may
   * answer those from its last full read.
   */
  sampleDomains(options?: { full?: boolean }): Promise<DomainSample[]>;
  /** Guest addresses (agent, else DHCP lease) for running domains; may be slow, called rarely. */
  domainAddresses?(uuid: string): Promise<string[]>;
  /** Domain lifecycle events; returns an unsubscribe function. */
  onDomainEvent(listener: (event: { uuid: string; kind: DomainEventKind }) => void): () => void;
}
