/**
 * Host configuration editor (qemu.conf, libvirtd.conf / virtqemud.conf).
 */

import type { AssertNever } from './channel-names';

export type HostConfigKeyType = 'string' | 'bool' | 'int' | 'string-list' | 'limit';
/** A value as a form edits it: bool for 0/1, number for integers, string[] for lists. */
export type HostConfigValue = string | number | boolean | string[];

export interface HostConfigKey {
  key: string;
  type: HostConfigKeyType;
  /** The comment block above the key's commented-out example in the file, when it has one. */
  doc: string | null;
  /** The commented-out example as the shipped file writes it (often the default), e.g. `"0.0.0.0"`. */
  example: string | null;
  exampleValue: HostConfigValue | null;
}

export interface HostConfigFile {
  path: string;
  /** qemu.conf, or the daemon's own file (libvirtd.conf / virtqemud.conf). */
  role: 'qemu' | 'daemon';
  text: string;
  /** SHA-256 of the bytes read: saving requires the host's file to still have it. */
  sha256: string;
  owner: string;
  mode: string;
  /** Where the keys and types come from: the host's augeas lens, or VirtDeck's built-in copy (libvirt 9.0). */
  schemaSource: 'host-lens' | 'built-in';
  lensPath: string | null;
  /** Groups and keys in the lens's order (the order of the shipped file). */
  groups: Array<{ name: string; keys: HostConfigKey[] }>;
}

export interface HostConfigDaemon {
  name: 'libvirtd' | 'virtqemud';
  pid: number | null;
  /** How it is restarted: systemctl, OpenRC, `service`, or its own command line again (no init system). */
  manager: 'systemd' | 'openrc' | 'service' | 'direct';
  commandLine: string | null;
}

export interface HostConfigSnapshot {
  hostId: string;
  /** How VirtDeck becomes root: the account is root, or sudo (with or without a password). */
  access: 'root' | 'sudo' | 'sudo-password';
  daemon: HostConfigDaemon;
  files: HostConfigFile[];
}

export interface HostConfigDiagnostic {
  line: number;
  severity: 'error' | 'warning';
  key: string | null;
  message: string;
  suggestion?: string;
  /** The configuration rule that found it (main/services/host-config/conf-rules.ts) and its libvirt source. */
  rule?: string;
  reference?: string;
}

export interface HostConfigAnalysis {
  /** The effective value of every set key (the first occurrence), null when it cannot be read as its type. */
  values: Record<string, { value: HostConfigValue | null; line: number }>;
  diagnostics: HostConfigDiagnostic[];
}

export interface HostConfigBackup {
  path: string;
  /** The file it is a copy of. */
  target: string;
  /** When it was taken (ISO 8601). */
  takenAt: string;
  size: number;
  /** A copy of a file that made the daemon fail, kept by an automatic rollback. */
  failed: boolean;
}

export interface HostConfigRestartReport {
  daemon: string;
  manager: HostConfigDaemon['manager'];
  outcome: 'ok' | 'rolled-back' | 'failed';
  /** What happened on the host, in order. */
  steps: string[];
  /** Files put back from their backups by the rollback. */
  restored: string[];
  /** libvirt's version as a fresh connection over SSH reported it afterwards (null: it did not answer). */
  libvirtVersion: string | null;
  durationMs: number;
}

export interface HostConfigCalls {
  /** Reads qemu.conf and the daemon's .conf as root (sudo asks for its password through hosts.prompt). */
  'hostConfig.read': { request: { hostId: string }; response: HostConfigSnapshot };
  /** Values and problems of an edited text, checked as libvirt reads it (conf-rules.ts; may ask the host for users, paths…). Touches nothing. */
  'hostConfig.analyze': { request: { hostId: string; path: string; text: string }; response: HostConfigAnalysis };
  /** Applies form edits to the text (value null = remove the key); new keys go below their documentation. */
  'hostConfig.edit': {
    request: { hostId: string; path: string; text: string; edits: Array<{ key: string; value: HostConfigValue | null }> };
    response: { text: string; analysis: HostConfigAnalysis };
  };
  /** Writes `text` atomically with a backup if the host's file still has `basedOn` (SHA-256); errors block it. */
  'hostConfig.save': {
    request: { hostId: string; path: string; text: string; basedOn: string };
    response: { sha256: string; backup: HostConfigBackup };
  };
  /** Restarts the daemon, checks it answers, and rolls back the files saved since the last good restart if not. */
  'hostConfig.restart': { request: { hostId: string; timeoutSeconds?: number }; response: HostConfigRestartReport };
  'hostConfig.backups': { request: { hostId: string }; response: HostConfigBackup[] };
  /** The content of one backup (to preview a restore: restoring is saving it). */
  'hostConfig.readBackup': { request: { hostId: string; path: string }; response: { text: string; target: string } };
}

export const HOST_CONFIG_CALLS = [
  'hostConfig.read',
  'hostConfig.analyze',
  'hostConfig.edit',
  'hostConfig.save',
  'hostConfig.restart',
  'hostConfig.backups',
  'hostConfig.readBackup',
] as const satisfies readonly (keyof HostConfigCalls)[];
export type _HostConfigCallsListed = AssertNever<Exclude<keyof HostConfigCalls, (typeof HOST_CONFIG_CALLS)[number]>>;
