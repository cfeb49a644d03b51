/**
 * Hosts: saved entries, connections and their prompts, and the host page (overview, checks, history).
 */

import type { AssertNever } from './channel-names';

/** How VirtDeck reaches libvirt on a host. */
export type LibvirtTransportChoice = 'auto' | 'ssh-helper' | 'ssh-socket' | 'local-socket';

/** A host as the user saved it. Never contains secrets (passwords, passphrases, keys). */
export interface HostEntry {
  id: string;
  displayName: string;
  ssh: {
    user: string;
    host: string;
    port: number;
    /** Path to a private key file on this computer; absent means ssh-agent / ~/.ssh/config. */
    identityFile?: string;
    /** OpenSSH ProxyJump syntax: `user@jump1:22,jump2`. */
    proxyJump?: string;
  };
  libvirtUri: string;
  transport: LibvirtTransportChoice;
  tags: string[];
  group?: string;
}

/** What the user fills in to add or edit a host; the id is assigned by main. */
export type HostDraft = Omit<HostEntry, 'id'>;

/** A `Host` entry of the user's ~/.ssh/config, resolved as ssh would, offered for import. */
export interface SshConfigCandidate {
  alias: string;
  hostName: string;
  user: string;
  port: number;
  proxyJump: string | null;
}

/** How a host's connection stands. Always visible per host in the UI. */
export type HostConnectionState =
  | { kind: 'disconnected' }
  /** `queued`: waiting for one of the start-up slots (many hosts connect at once; see startup-gate.ts). */
  | { kind: 'connecting'; step: 'queued' | 'ssh' | 'libvirt' }
  | {
      kind: 'connected';
      hostname: string;
      libvirtVersion: string;
      hypervisorVersion: string;
      /** How the libvirt stream is carried. */
      transport: Exclude<LibvirtTransportChoice, 'auto'>;
    }
  /** Waiting for the user: a host key to confirm or a secret to type; see {@link HostPrompt}. */
  | { kind: 'needs-input'; promptId: string }
  /** Could not connect; `reason` is the real one (refused, timeout, auth, changed host key…). */
  | { kind: 'unreachable'; reason: string; hostKeyChanged: boolean }
  /** Was connected and lost it; retrying with backoff. */
  | { kind: 'lost'; reason: string; attempt: number; retryAt: number };

export interface HostStatus {
  hostId: string;
  state: HostConnectionState;
  /** Epoch ms of the last state change. */
  since: number;
}

/** Something a host connection needs from the user, asked once per host per session. */
export type HostPrompt =
  | {
      promptId: string;
      hostId: string;
      kind: 'host-key';
      host: string;
      port: number;
      keyType: string;
      /** `SHA256:` + unpadded base64, exactly as `ssh-keygen -lf` prints it. */
      fingerprint: string;
    }
  | {
      promptId: string;
      hostId: string;
      kind: 'secret';
      secret: 'passphrase' | 'password' | 'keyboard-interactive';
      /** What the server or key asks, e.g. "Passphrase for ~/.ssh/id_ed25519". */
      message: string;
      echo: boolean;
    };

export type HostPromptAnswer =
  | { promptId: string; kind: 'host-key'; decision: 'accept-once' | 'accept-and-save' | 'reject' }
  | { promptId: string; kind: 'secret'; value: string | null };

/** What the host page shows about a host. */
export interface HostOverview {
  hostId: string;
  hostname: string;
  libvirtVersion: string;
  hypervisorVersion: string;
  node: {
    cpuModel: string;
    cpus: number;
    mhz: number;
    numaNodes: number;
    sockets: number;
    cores: number;
    threads: number;
    memoryKiB: number;
  };
  /** From the capabilities XML. */
  capabilities: { arch: string; domainTypes: string[]; machines: string[] };
  storagePools: Array<{
    name: string;
    active: boolean;
    capacityBytes: number;
    allocationBytes: number;
    availableBytes: number;
  }>;
}

/** Host CPU and memory use over time (oldest first), sampled by the fleet tick. */
export interface HostHistory {
  hostId: string;
  times: number[];
  cpuPercent: number[];
  memoryUsedKiB: number[];
  memoryTotalKiB: number;
}

/** One read-only check of a host (virtualisation support, IOMMU, hugepages…), with its evidence. */
export interface HostCheck {
  id: 'cpu-virtualization' | 'kvm-modules' | 'dev-kvm' | 'iommu' | 'hugepages' | 'virt-host-validate';
  status: 'ok' | 'info' | 'warn' | 'fail';
  /** Message variant and its values; the renderer translates `hostChecks.<id>.<variant>`. */
  variant: string;
  values: Record<string, string | number>;
  /** What the host printed (the raw evidence, untranslated). */
  evidence: string;
}

export interface HostsCalls {
  'hosts.list': { request: null; response: HostEntry[] };
  'hosts.add': { request: HostDraft; response: HostEntry };
  'hosts.update': { request: HostEntry; response: HostEntry };
  'hosts.remove': { request: { hostId: string }; response: null };
  'hosts.statuses': { request: null; response: HostStatus[] };
  'hosts.sshConfigCandidates': { request: null; response: SshConfigCandidate[] };
  /** The local libvirt socket when this computer runs libvirt and this account may use it. */
  'hosts.localSocket': { request: null; response: string | null };
  'hosts.connect': { request: { hostId: string }; response: null };
  'hosts.disconnect': { request: { hostId: string }; response: null };
  /** Questions still waiting for an answer (host keys, secrets). */
  'hosts.prompts': { request: null; response: HostPrompt[] };
  'hosts.answerPrompt': { request: HostPromptAnswer; response: null };
  'host.overview': { request: { hostId: string }; response: HostOverview };
  'host.checks': { request: { hostId: string }; response: HostCheck[] };
  'host.history': { request: { hostId: string }; response: HostHistory | null };
}

export const HOSTS_CALLS = [
  'hosts.list',
  'hosts.add',
  'hosts.update',
  'hosts.remove',
  'hosts.statuses',
  'hosts.sshConfigCandidates',
  'hosts.localSocket',
  'hosts.connect',
  'hosts.disconnect',
  'hosts.prompts',
  'hosts.answerPrompt',
  'host.overview',
  'host.checks',
  'host.history',
] as const satisfies readonly (keyof HostsCalls)[];
export type _HostsCallsListed = AssertNever<Exclude<keyof HostsCalls, (typeof HOSTS_CALLS)[number]>>;

export interface HostsEvents {
  'hosts.changed': { hosts: HostEntry[] };
  'hosts.status': HostStatus;
  /** A new question for the user, or `closed` when it was answered or withdrawn. */
  'hosts.prompt': HostPrompt | { kind: 'closed'; promptId: string; hostId: string };
}

export const HOSTS_EVENTS = [
  'hosts.changed',
  'hosts.status',
  'hosts.prompt',
] as const satisfies readonly (keyof HostsEvents)[];
export type _HostsEventsListed = AssertNever<Exclude<keyof HostsEvents, (typeof HOSTS_EVENTS)[number]>>;
