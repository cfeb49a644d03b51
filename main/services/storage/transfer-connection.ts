/**
 * A transfer's own libvirt connection: a new channel of the host's existing SSH connection (no new
 * login) and a second libvirt client on it. SSH gives every channel its own flow-control window, so a
 * transfer that fills its channel — or a slow consumer that stops reading it — never holds up the
 * host's main connection (fleet, consoles, calls), and the daemon counts the transfer's packets against
 * this client's max_client_requests, not the main one's.
 *
 * The channel is wrapped in a MeteredDuplex: it counts the bytes that cross the link both ways, and a
 * download can pause reading it (SSH then stops the sender) when its consumer is behind. Its SSH receive
 * window is 4 MiB and refilled as data arrives (ssh/receive-window.ts): with ssh2's own 2 MiB window,
 * refilled only at half, a download got ~1 MiB per round trip (0.54× scp at +15 ms each way).
 */
import { Duplex } from 'node:stream';
import { LibvirtClient } from '../../libvirt/client';
import { createLibvirtDialer, type LibvirtTransportKind } from '../../libvirt/transport';
import type { SshConnection } from '../../ssh';
import { widenReceiveWindow, type ReceiveWindowControl } from '../../ssh/receive-window';

export class MeteredDuplex extends Duplex {
  bytesIn = 0;
  bytesOut = 0;
  private sourcePaused = false;
  private readonly window: ReceiveWindowControl | null;

  constructor(private readonly inner: Duplex) {
    super();
    inner.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.push(chunk);
    });
    this.window = widenReceiveWindow(inner);
    inner.once('end', () => this.push(null));
    inner.once('error', (error) => this.destroy(error));
    inner.once('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  /** Stops reading the channel (the sender then runs out of SSH window). */
  pauseSource(): void {
    if (this.sourcePaused) return;
    this.sourcePaused = true;
    this.window?.pause();
    this.inner.pause();
  }

  resumeSource(): void {
    if (!this.sourcePaused) return;
    this.sourcePaused = false;
    this.inner.resume();
    this.window?.resume();
  }

  get isSourcePaused(): boolean {
    return this.sourcePaused;
  }

  override _read(): void {
    // Data is pushed as it arrives; flow is controlled with pauseSource()/resumeSource().
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytesOut += chunk.length;
    this.inner.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }
}

export interface TransferConnection {
  client: LibvirtClient;
  channel: MeteredDuplex;
  close(): Promise<void>;
}

export interface TransferConnectionTarget {
  ssh: SshConnection | null;
  uri: string;
  transport: LibvirtTransportKind;
}

/** Opens a transfer's libvirt connection on a new channel of the host's SSH connection. */
export async function openTransferConnection(target: TransferConnectionTarget, signal?: AbortSignal): Promise<TransferConnection> {
  const dialer = createLibvirtDialer(target.ssh, { uri: target.uri, transport: target.transport });
  let channel: MeteredDuplex | null = null;
  const client = new LibvirtClient({
    dial: async () => {
      channel = new MeteredDuplex(await dialer(signal));
      return channel;
    },
    uri: target.uri,
    reconnect: false,
    callTimeoutMs: 120_000,
  });
  await client.connect();
  if (!channel) throw new Error('the transfer connection has no channel');
  const opened: MeteredDuplex = channel;
  return {
    client,
    channel: opened,
    close: async () => {
      await client.close().catch(() => undefined);
      opened.destroy();
    },
  };
}
