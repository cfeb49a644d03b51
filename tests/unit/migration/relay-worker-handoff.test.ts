/**
 * The relay bench's two-thread hand-off (tests/bench/relay-worker.ts: BulkConnection) against
 * a fake worker that records what is posted and answers as the worker would: the bounded queue between
 * the threads (write() says "full" once IN_FLIGHT_BYTES are posted and not taken, 'drain' after the
 * worker's acks), batching with transfer (no copy), the return path's pause, the pinned host key, and
 * teardown (a destroyed channel, a channel closed in the worker, close(), a worker that dies).
 */
import { EventEmitter, once } from 'node:events';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  BulkConnection,
  IN_FLIGHT_BYTES,
  type BulkWorkerLike,
  type WorkerConnectParams,
  type WorkerIn,
  type WorkerOut,
} from '../../bench/relay-worker';

const FINGERPRINT = 'SHA256:pinned';

class FakeWorker extends EventEmitter implements BulkWorkerLike {
  readonly posted: Array<{ message: WorkerIn; transfer: readonly ArrayBuffer[] }> = [];
  terminated = false;
  constructor(readonly params: WorkerConnectParams) {
    super();
  }
  postMessage(message: WorkerIn, transfer: readonly ArrayBuffer[] = []): void {
    this.posted.push({ message, transfer });
    // As the worker does: close its connection, then say so.
    if (message.t === 'close') setImmediate(() => this.say({ t: 'gone', message: 'closed' }));
  }
  say(message: WorkerOut): void {
    this.emit('message', message);
  }
  terminate(): Promise<number> {
    if (!this.terminated) {
      this.terminated = true;
      setImmediate(() => this.emit('exit', 1));
    }
    return Promise.resolve(1);
  }
  of<T extends WorkerIn['t']>(t: T): Array<Extract<WorkerIn, { t: T }>> {
    return this.posted.map((p) => p.message).filter((m): m is Extract<WorkerIn, { t: T }> => m.t === t);
  }
}

const mainConnection: WorkerConnectParams = {
  target: { host: 'kvm1', user: 'root', identityFile: '/lab/id_ed25519' },
  options: { knownHostsFiles: ['/lab/known_hosts'], sshConfigFile: null, agent: null },
  pinnedHostKey: FINGERPRINT,
};

async function openBulk(fingerprint = FINGERPRINT): Promise<{ bulk: BulkConnection; worker: FakeWorker }> {
  let worker: FakeWorker | null = null;
  const opening = BulkConnection.open(mainConnection, (params) => {
    worker = new FakeWorker(params);
    return worker;
  });
  const w = worker as unknown as FakeWorker;
  w.say({ t: 'ready', fingerprint, cipher: 'aes128-gcm@openssh.com' });
  return { bulk: await opening, worker: w };
}

async function openChannel(
  bulk: BulkConnection,
  worker: FakeWorker,
): Promise<{ channel: Duplex; id: number }> {
  const opening = bulk.forwardTcp('127.0.0.1', 49152);
  const open = worker.of('open').at(-1);
  expect(open).toMatchObject({ host: '127.0.0.1', port: 49152 });
  worker.say({ t: 'opened', id: open!.id });
  return { channel: await opening, id: open!.id };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BulkConnection', () => {
  it('hands the worker the connect params with the pinned host key, and refuses another key', async () => {
    let seen: WorkerConnectParams | null = null;
    let worker: FakeWorker | null = null;
    const opening = BulkConnection.open(mainConnection, (params) => {
      seen = params;
      worker = new FakeWorker(params);
      return worker;
    });
    (worker as unknown as FakeWorker).say({ t: 'ready', fingerprint: 'SHA256:other', cipher: 'x' });
    await expect(opening).rejects.toThrow(/another key/);
    expect((worker as unknown as FakeWorker).terminated).toBe(true);
    expect(seen).toEqual(mainConnection);
  });

  it('rejects when the worker cannot connect, and ends it', async () => {
    let worker: FakeWorker | null = null;
    const opening = BulkConnection.open(mainConnection, (params) => (worker = new FakeWorker(params)));
    (worker as unknown as FakeWorker).say({ t: 'failed', message: 'all authentication methods failed' });
    await expect(opening).rejects.toThrow(/all authentication methods failed/);
    expect((worker as unknown as FakeWorker).terminated).toBe(true);
  });

  it('batches writes into transferred buffers and holds the writer once the queue between threads is full', async () => {
    const { bulk, worker } = await openBulk();
    const { channel, id } = await openChannel(bulk, worker);
    const piece = Buffer.alloc(32 * 1024, 7);
    let accepted = 0;
    let full = false;
    // Write until write() says full; nothing is acknowledged by the worker meanwhile.
    // Four SSH packets' worth per event-loop turn, as a relay gets them from one socket read.
    for (let i = 0; i < 1000 && !full; i++) {
      if (i % 4 === 3) await tick();
      full = !channel.write(piece);
      accepted += piece.length;
    }
    await tick();
    expect(full).toBe(true);
    const sent = worker.of('data');
    const postedBytes = sent.reduce((n, m) => n + m.length, 0);
    // Bounded: what was posted and not taken stays within the limit (+ one batch), the rest waits in the Duplex.
    expect(postedBytes).toBeGreaterThanOrEqual(IN_FLIGHT_BYTES);
    expect(postedBytes).toBeLessThanOrEqual(IN_FLIGHT_BYTES + 1024 * 1024);
    expect(accepted).toBeLessThan(IN_FLIGHT_BYTES + 4 * 1024 * 1024);
    // Fewer messages than pieces (batched), each one's buffer in its transfer list.
    expect(sent.length).toBeLessThan(postedBytes / piece.length);
    for (const entry of worker.posted.filter((p) => p.message.t === 'data')) {
      const m = entry.message as Extract<WorkerIn, { t: 'data' }>;
      expect(entry.transfer).toEqual([m.buffer]);
    }
    // No drain until the worker takes bytes.
    let drained = false;
    channel.once('drain', () => (drained = true));
    await tick();
    await tick();
    expect(drained).toBe(false);
    for (const m of sent) worker.say({ t: 'ack', id, n: m.length });
    // The held writes go on; once the worker took them too, the Duplex drains.
    for (let i = 0; i < 50 && !drained; i++) {
      await tick();
      for (const m of worker.of('data').slice(sent.length)) worker.say({ t: 'ack', id, n: m.length });
      sent.push(...worker.of('data').slice(sent.length));
    }
    expect(drained).toBe(true);
    await tick();
    const all = worker.of('data').reduce((n, m) => n + m.length, 0);
    expect(all).toBe(accepted);
    channel.destroy();
    await bulk.close();
  });

  it('pauses the worker channel when the reader is behind, and resumes it when read', async () => {
    const { bulk, worker } = await openBulk();
    const { channel, id } = await openChannel(bulk, worker);
    channel.pause();
    for (let i = 0; i < 40; i++) worker.say({ t: 'data', id, bytes: new Uint8Array(64 * 1024) });
    expect(worker.of('read')).toEqual([{ t: 'read', id, flowing: false }]);
    channel.resume();
    await tick();
    expect(worker.of('read').at(-1)).toEqual({ t: 'read', id, flowing: true });
    channel.destroy();
    await bulk.close();
  });

  it('ends the worker channel after the queued bytes, and finishes only when the worker channel did', async () => {
    const { bulk, worker } = await openBulk();
    const { channel, id } = await openChannel(bulk, worker);
    channel.write(Buffer.from('tail'));
    let finished = false;
    channel.once('finish', () => (finished = true));
    channel.end();
    await tick();
    const order = worker.posted.map((p) => p.message.t).filter((t) => t === 'data' || t === 'end');
    expect(order).toEqual(['data', 'end']);
    expect(finished).toBe(false);
    worker.say({ t: 'finished', id });
    await tick();
    expect(finished).toBe(true);
    await bulk.close();
  });

  it('tears down: a destroyed channel destroys the worker channel, a closed worker channel closes the Duplex', async () => {
    const { bulk, worker } = await openBulk();
    const first = await openChannel(bulk, worker);
    first.channel.destroy();
    await once(first.channel, 'close');
    expect(worker.of('destroy')).toEqual([{ t: 'destroy', id: first.id }]);
    const second = await openChannel(bulk, worker);
    worker.say({ t: 'closed', id: second.id });
    await once(second.channel, 'close');
    // Closed by the worker: not destroyed there again.
    expect(worker.of('destroy')).toHaveLength(1);
    await bulk.close();
  });

  it('close() cuts every channel and ends the worker; a dying worker does the same and fails waiting opens', async () => {
    const { bulk, worker } = await openBulk();
    const { channel } = await openChannel(bulk, worker);
    const closing = bulk.close();
    expect(channel.destroyed).toBe(true);
    expect(worker.of('close')).toHaveLength(1);
    await closing;
    expect(worker.terminated).toBe(true);
    await expect(bulk.forwardTcp('127.0.0.1', 1)).rejects.toThrow(/closed/);

    const other = await openBulk();
    const open = await openChannel(other.bulk, other.worker);
    open.channel.on('error', () => undefined);
    const waiting = other.bulk.forwardTcp('127.0.0.1', 2);
    const closed = new Promise((resolve) => open.channel.once('close', resolve));
    other.worker.emit('exit', 1);
    await expect(waiting).rejects.toThrow(/worker ended/);
    await closed;
    expect(open.channel.destroyed).toBe(true);
  });
});
