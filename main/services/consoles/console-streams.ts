import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApiError, GraphicsListen } from '../../../preload/api-contract';
import { ApiFailure, toApiError } from '../api-failure';
import type { ByteStreamPeer } from '../byte-stream-peer';
import type { LibvirtHostLink } from '../connections/libvirt-host-link';
import { parseDomainDetails } from '../domains/domain-xml-parse';
import { sameListener } from './graphics-listeners';

/** virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE: take the console over from another session. */
const CONSOLE_FORCE = 1;
/** How long a console gets to confirm a clean finish before it is aborted. */
const END_GRACE_MS = 3_000;

/** libvirt's answer when another client holds a domain's console (virChrdevOpen without FORCE). */
export function isConsoleBusy(error: unknown): boolean {
  return error instanceof Error && /active console session exists/i.test(error.message);
}

/** What a libvirt (or transport) failure looks like across the contract. */
export function consoleError(error: unknown): ApiError {
  if (isConsoleBusy(error)) {
    return { code: 'conflict', message: 'Another session holds this console; take it over to use it here.' };
  }
  return toApiError(error);
}

/**
 * Pipes a byte stream (libvirt console, SSH channel, socket) and a transport peer both ways, with
 * backpressure towards the source. Either side closing closes the other once.
 */
export function pipeToPeer(
  source: Duplex,
  peer: ByteStreamPeer,
  closeSource: (source: Duplex) => void,
): void {
  let done = false;
  const finish = (error?: ApiError) => {
    if (done) return;
    done = true;
    peer.close(error);
  };
  source.on('data', (chunk: Buffer) => {
    if (done) return;
    if (!peer.send(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) source.pause();
  });
  peer.onDrain(() => source.resume());
  source.on('error', (error: Error) => finish(consoleError(error)));
  source.on('end', () => finish());
  source.on('close', () => finish());
  peer.onData((data) => {
    if (!done && !source.destroyed && source.writable) source.write(data);
  });
  peer.onClose(() => {
    if (done) return;
    done = true;
    closeSource(source);
  });
}

/** Ends a libvirt console cleanly (finish handshake), aborting it if the daemon does not confirm soon. */
function endConsole(source: Duplex): void {
  source.on('error', () => undefined); // nobody listens any more
  source.end();
  setTimeout(() => source.destroy(), END_GRACE_MS).unref();
}

/** Connects to one graphics listener, through the host's SSH link (or directly for the local host). */
async function connectListener(link: LibvirtHostLink, listen: GraphicsListen): Promise<Duplex> {
  if (listen.type === 'socket') {
    if (!link.ssh) throw new ApiFailure('io', 'Local unix-socket graphics are not supported yet');
    return link.ssh.openUnixSocket(listen.path);
  }
  if (listen.type !== 'address' || !listen.port || listen.port <= 0) {
    throw new ApiFailure('not-found', 'The graphics device has no listener (is the guest running?)');
  }
  const address = listen.address === '0.0.0.0' || listen.address === '::' ? '127.0.0.1' : listen.address;
  if (link.ssh) return link.ssh.forwardTcp(address, listen.port);
  const port = listen.port;
  return new Promise<Duplex>((resolve, reject) => {
    const socket = netConnect({ host: address, port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Opens the TCP or unix-socket listener of a guest's graphics device, through the host's SSH link.
 * The live XML says where it listens; when the link remembers the listener from an earlier read, a
 * channel to it opens while the XML is read, and is kept only if the XML still names that listener.
 */
export async function openGraphics(link: LibvirtHostLink, domainUuid: string, channel: number): Promise<Duplex> {
  const lookup = link.libvirt.domain.getXml({ uuid: domainUuid }, 0).then((xml) => {
    const listeners = parseDomainDetails(link.hostId, xml).graphics.map((graphics) => graphics.listen);
    link.graphicsListeners.remember(domainUuid, listeners);
    const listen = listeners[channel];
    if (!listen) throw new ApiFailure('not-found', `The guest has no graphics device #${channel}`);
    return listen;
  });
  const hint = link.graphicsListeners.get(domainUuid, channel);
  if (!hint) return connectListener(link, await lookup);
  const [early, actual] = await Promise.allSettled([connectListener(link, hint), lookup]);
  if (actual.status === 'rejected') {
    if (early.status === 'fulfilled') early.value.destroy();
    throw actual.reason;
  }
  if (early.status === 'fulfilled') {
    if (sameListener(hint, actual.value)) return early.value;
    early.value.destroy(); // the guest restarted elsewhere: never show what that port serves now
  }
  return connectListener(link, actual.value);
}

/**
 * Opens a guest's serial/text console (libvirt's console stream; `device` = the alias, null = the first)
 * and pipes it to `peer`. `force` takes the console over from another session.
 */
export async function openSerialConsole(
  link: LibvirtHostLink,
  domainUuid: string,
  device: string | null,
  force: boolean,
  peer: ByteStreamPeer,
): Promise<void> {
  let stream: Duplex;
  try {
    stream = await link.libvirt.streams.console({ uuid: domainUuid }, device, force ? CONSOLE_FORCE : 0);
  } catch (error) {
    const apiError = consoleError(error);
    throw new ApiFailure(apiError.code, apiError.message, apiError.libvirt ? { libvirt: apiError.libvirt } : {});
  }
  pipeToPeer(stream, peer, endConsole);
}

/** Opens graphics device #channel's listener (VNC or SPICE bytes) and pipes it to `peer`. */
export async function openGraphicsConsole(
  link: LibvirtHostLink,
  domainUuid: string,
  channel: number,
  peer: ByteStreamPeer,
): Promise<void> {
  let socket: Duplex;
  try {
    socket = await openGraphics(link, domainUuid, channel);
  } catch (error) {
    if (error instanceof ApiFailure) throw error;
    const apiError = consoleError(error);
    throw new ApiFailure(apiError.code === 'internal' ? 'io' : apiError.code, apiError.message);
  }
  pipeToPeer(socket, peer, (source) => source.destroy());
}
