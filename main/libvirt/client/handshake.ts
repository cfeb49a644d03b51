/**
 * The connection handshake, in the order libvirt's remote driver uses (doRemoteOpen):
 *
 * 1. AUTH_LIST (66). An empty list or NONE: nothing to do. POLKIT: AUTH_POLKIT (70) — the daemon
 *    asks polkit about the peer's uid (over SSH the peer is virt-ssh-helper running as the SSH
 *    user). SASL is not supported (not needed over SSH: the unix socket's permissions or polkit
 *    decide).
 * 2. CONNECT_SUPPORTS_FEATURE(VIR_DRV_FEATURE_PROGRAM_KEEPALIVE = 10) — only after auth.
 * 3. CONNECT_OPEN (1) with the URI (qemu:///system, qemu:///session, test:///default, …).
 * 4. CONNECT_SUPPORTS_FEATURE 14 (REMOTE_EVENT_CALLBACK) and 15 (REMOTE_CLOSE_CALLBACK), in one
 *    round trip — optionally with REGISTER_CLOSE_CALLBACK (360) alongside.
 *
 * Steps 1–3 stay strictly sequential as in libvirt (features only after auth, OPEN only after
 * auth). Keepalive and event registrations are started by the caller afterwards.
 */
import { remoteProcedures as P } from '../protocol';
import type { CallOptions, RpcConnection } from '../rpc';

export const VIR_DRV_FEATURE_PROGRAM_KEEPALIVE = 10;
export const VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK = 14;
export const VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK = 15;

export const REMOTE_AUTH_NONE = 0;
export const REMOTE_AUTH_SASL = 1;
export const REMOTE_AUTH_POLKIT = 2;

export interface HandshakeOptions {
  /** Connection URI on the daemon's side; null lets the daemon pick its default. */
  readonly uri: string | null;
  readonly readOnly?: boolean;
  /** Timeout for each handshake call (ms). */
  readonly timeoutMs?: number;
  /**
   * Also register for the daemon's connection-closed event (REGISTER_CLOSE_CALLBACK 360). It is
   * sent together with the feature checks of step 4 (saving a round trip) and only counts when
   * feature 15 is supported; a daemon without it answers with an error, which is ignored.
   */
  readonly registerCloseCallback?: boolean;
}

export interface HandshakeResult {
  readonly auth: 'none' | 'polkit';
  /** Auth types the daemon offered (REMOTE_AUTH_*). */
  readonly authOffered: readonly number[];
  readonly features: {
    readonly keepalive: boolean;
    readonly eventCallbacks: boolean;
    readonly closeCallback: boolean;
  };
  readonly uri: string | null;
  readonly readOnly: boolean;
  /** Whether the close callback is registered (see HandshakeOptions.registerCloseCallback). */
  readonly closeCallbackRegistered: boolean;
  /** Why registering it failed although feature 15 is supported (null otherwise). */
  readonly closeCallbackError: Error | null;
}

export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
}

export async function handshake(conn: RpcConnection, options: HandshakeOptions): Promise<HandshakeResult> {
  const callOptions: CallOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const { types } = await conn.call(P.REMOTE_PROC_AUTH_LIST, undefined, callOptions);
  let auth: HandshakeResult['auth'];
  if (types.length === 0 || types.includes(REMOTE_AUTH_NONE)) {
    auth = 'none';
  } else if (types.includes(REMOTE_AUTH_POLKIT)) {
    const { complete } = await conn.call(P.REMOTE_PROC_AUTH_POLKIT, undefined, callOptions);
    if (!complete) throw new HandshakeError('polkit authentication did not complete');
    auth = 'polkit';
  } else {
    throw new HandshakeError(
      `the daemon requires SASL authentication (offered: ${types.join(', ')}), which this client does not ` +
        'implement; over SSH configure auth_unix_rw = "none" (socket permissions) or polkit',
    );
  }
  const supports = async (feature: number): Promise<boolean> =>
    (await conn.call(P.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, { feature }, callOptions)).supported !== 0;

  const keepalive = await supports(VIR_DRV_FEATURE_PROGRAM_KEEPALIVE);
  await conn.call(
    P.REMOTE_PROC_CONNECT_OPEN,
    { name: options.uri, flags: options.readOnly ? 1 : 0 },
    callOptions,
  );
  const [eventCallbacks, closeCallback, registration] = await Promise.all([
    supports(VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK),
    supports(VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK),
    options.registerCloseCallback
      ? conn.call(P.REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, undefined, callOptions).then(
          () => null,
          (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
        )
      : Promise.resolve(undefined),
  ]);
  if (conn.isClosed)
    throw conn.closeReason?.error ?? new HandshakeError('connection closed during the handshake');
  return {
    auth,
    authOffered: types,
    features: { keepalive, eventCallbacks, closeCallback },
    uri: options.uri,
    readOnly: options.readOnly ?? false,
    closeCallbackRegistered: registration === null && closeCallback,
    closeCallbackError: closeCallback && registration instanceof Error ? registration : null,
  };
}
