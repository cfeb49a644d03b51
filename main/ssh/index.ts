/**
 * SSH for VirtDeck: one ssh2 connection per host carrying everything, with ~/.ssh/config, known_hosts,
 * ssh-agent, encrypted keys, passwords and keyboard-interactive as users expect from OpenSSH.
 */
export {
  SshConnection,
  connectSsh,
  orderHostKeyAlgorithms,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_MAX_SESSIONS,
  type SshConnectOptions,
  type SshConnectionInfo,
  type SshCloseReason,
  type SshExecChannel,
  type SshExecOptions,
  type SshExitStatus,
  type SshRunOptions,
  type SshRunResult,
  type SshChannelOptions,
  type HostKeyTrust,
} from './connection';
export * from './errors';
export type * from './prompter';
export { wipeSecret } from './prompter';
export {
  resolveSshTarget,
  sshConfigSources,
  defaultSshConfigSources,
  defaultSshEnvironment,
  listConfiguredHosts,
  parseProxyJump,
  parseJumpHop,
  formatProxyJump,
  expandTokens,
  type SshTarget,
  type JumpHop,
  type ResolvedSshHost,
  type SshEnvironment,
  type SshConfigSource,
  type StrictHostKeyChecking,
} from './ssh-config';
export {
  parseKnownHosts,
  checkHostKey,
  knownHostsName,
  entryMatchesName,
  hashHostName,
  hashedHostField,
  formatKnownHostsLine,
  appendKnownHostsLine,
  loadKnownHosts,
  knownKeyTypes,
  type KnownHostEntry,
  type HostKeyVerdict,
} from './known-hosts';
export {
  sha256Fingerprint,
  md5Fingerprint,
  keyTypeOfBlob,
  keyTypeLabel,
  parsePublicKeyText,
  formatPublicKey,
  inspectOpenSshPrivateKey,
} from './keys';
export { matchPattern, matchPatternList, matchHostPatterns } from './patterns';
export { shellQuote, shellJoin } from './shell-quote';
