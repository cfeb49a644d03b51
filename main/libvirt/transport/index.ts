/**
 * Byte streams to libvirt's RPC protocol: over an SshConnection (ssh-socket: direct-streamlocal to the
 * daemon socket; ssh-helper: libvirt's own virt-ssh-helper/nc command), or locally (local-socket).
 */
export {
  createLibvirtDialer,
  type LibvirtDialer,
  type LibvirtDialerOptions,
  type LibvirtDialInfo,
  type LibvirtTransportChoice,
  type LibvirtTransportKind,
} from './dialer';
export { LibvirtTransportError, type LibvirtTransportErrorCode } from './errors';
export {
  parseLibvirtUri,
  systemSocketCandidates,
  legacySocketPath,
  modularDaemonFor,
  LibvirtUriError,
  type LibvirtUri,
} from './libvirt-uri';
export {
  buildSshHelperCommand,
  libvirtEscapeShell,
  libvirtDoubleEscapeShell,
  openSshHelperStream,
  explainUnexpectedLibvirtBytes,
  type SshHelperProxy,
  type SshHelperCommandOptions,
} from './ssh-helper';
export { openSshSocketStream, findLibvirtSocket, socketProbeCommand, pickProbedSocket } from './ssh-socket';
export { openLocalSocketStream, localSocketCandidates } from './local-socket';
