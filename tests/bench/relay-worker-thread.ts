/**
 * The worker thread behind {@link BulkConnection} (relay-worker.ts, bench only): its own SSH connection to
 * host B and direct-tcpip channels on it, fed with bytes posted from the main thread, so the encryption
 * (and the packet building, the socket writes) of everything sent on these channels runs on this thread.
 * Protocol: see relay-worker.ts (WorkerIn / WorkerOut).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Duplex } from 'node:stream';
import { SshConnection } from '../../main/ssh';
import { widenReceiveWindow, type ReceiveWindowControl } from '../../main/ssh/receive-window';
import type { WorkerConnectParams, WorkerIn, WorkerOut } from './relay-worker';

const port = parentPort;
if (!port) throw new Error('relay-worker-thread.ts runs as a worker thread only');
const post = (message: WorkerOut, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer ?? []);

interface Channel {
  duplex: Duplex;
  window: ReceiveWindowControl | null;
}
const channels = new Map<number, Channel>();
let connection: SshConnection | null = null;

function openChannel(id: number, host: string, targetPort: number): void {
  if (!connection) {
    post({ t: 'open-failed', id, message: 'not connected' });
    return;
  }
  connection.forwardTcp(host, targetPort).then(
    (duplex) => {
      const channel: Channel = { duplex, window: widenReceiveWindow(duplex) };
      channels.set(id, channel);
      duplex.on('data', (chunk: Buffer) => {
        // The chunk is a view into ssh2's read buffer: post a copy (the return path is small: NBD replies).
        post({ t: 'data', id, bytes: new Uint8Array(chunk) });
      });
      duplex.once('end', () => post({ t: 'eof', id }));
      duplex.once('finish', () => post({ t: 'finished', id }));
      duplex.on('error', (err: Error) => post({ t: 'error', id, message: err.message }));
      duplex.once('close', () => {
        channels.delete(id);
        post({ t: 'closed', id });
      });
      post({ t: 'opened', id });
    },
    (err: unknown) =>
      post({ t: 'open-failed', id, message: err instanceof Error ? err.message : String(err) }),
  );
}

function onMessage(message: WorkerIn): void {
  if (message.t === 'open') {
    openChannel(message.id, message.host, message.port);
    return;
  }
  if (message.t === 'close') {
    for (const channel of channels.values()) channel.duplex.destroy();
    const closing = connection?.close() ?? Promise.resolve();
    void closing.finally(() => {
      post({ t: 'gone', message: 'closed' });
      port?.close();
    });
    return;
  }
  const channel = channels.get(message.id);
  if (!channel) return;
  switch (message.t) {
    case 'data': {
      const { id, buffer, length: n } = message;
      // ssh2 copies the bytes into its packets before it calls back: then the buffer goes back to the
      // main thread, to be filled again (no allocation per batch on either thread).
      channel.duplex.write(Buffer.from(buffer, 0, n), () => post({ t: 'ack', id, n, buffer }, [buffer]));
      break;
    }
    case 'end':
      channel.duplex.end();
      break;
    case 'destroy':
      channel.duplex.destroy();
      break;
    case 'read':
      if (message.flowing) {
        channel.duplex.resume();
        channel.window?.resume();
      } else {
        channel.window?.pause();
        channel.duplex.pause();
      }
      break;
  }
}

port.on('message', onMessage);
const params = workerData as WorkerConnectParams;
SshConnection.connect(params.target, params.options).then(
  (ssh) => {
    const fingerprint = ssh.info.hostKey.fingerprint;
    if (fingerprint !== params.pinnedHostKey) {
      // known_hosts accepted it, but it is not the key the main connection has: refuse it all the same.
      void ssh.close();
      post({ t: 'failed', message: `host key ${fingerprint} is not the one the main connection accepted` });
      port.close();
      return;
    }
    connection = ssh;
    ssh.once('close', (reason) => {
      connection = null;
      post({ t: 'gone', message: reason.message });
    });
    const [toServer] = ssh.info.negotiated?.cipher ?? ['?'];
    post({ t: 'ready', fingerprint, cipher: toServer });
  },
  (err: unknown) => {
    post({ t: 'failed', message: err instanceof Error ? err.message : String(err) });
    port.close();
  },
);
