import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../../main/ssh/write-coalescing';

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

/** A loopback TCP pair: what the client socket sends, and how many syscalls' worth of writes it made. */
async function pair(): Promise<{ client: Socket; received: () => string; writes: { single: number; vectored: number; chunks: number } }> {
  let data = '';
  server = createServer((peer) => peer.on('data', (chunk: Buffer) => (data += chunk.toString('utf8'))));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const client = connect({ host: '127.0.0.1', port: address.port });
  await new Promise((resolve) => client.once('connect', resolve));
  client.setNoDelay(true);
  const writes = { single: 0, vectored: 0, chunks: 0 };
  // Node's stream hands the socket one chunk (_write: one write(2)) or several (_writev: one writev(2)).
  const internals = client as unknown as {
    _write: (...args: unknown[]) => void;
    _writev: (chunks: unknown[], ...rest: unknown[]) => void;
  };
  const single = internals._write.bind(client);
  const vectored = internals._writev.bind(client);
  internals._write = (...args) => {
    writes.single += 1;
    writes.chunks += 1;
    single(...args);
  };
  internals._writev = (chunks, ...rest) => {
    writes.vectored += 1;
    writes.chunks += chunks.length;
    vectored(chunks, ...rest);
  };
  return { client, received: () => data, writes };
}

async function settle(received: () => string, length: number): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (received().length < length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('coalesceWrites: the packets of one event-loop turn leave in one writev', () => {
  it('three writes in one turn are one vectored write; a write in a later turn is its own', async () => {
    const { client, received, writes } = await pair();
    coalesceWrites(client);
    client.write('a');
    client.write('b');
    client.write('c');
    await new Promise((resolve) => setImmediate(resolve));
    client.write('d');
    await settle(received, 4);
    expect(received()).toBe('abcd');
    expect(writes).toEqual({ single: 1, vectored: 1, chunks: 4 });
    client.end();
  });

  it('end() right after a write still sends it, and writes from promise continuations of the same turn join in', async () => {
    const { client, received, writes } = await pair();
    coalesceWrites(client);
    client.write('x');
    await Promise.resolve();
    client.write('y');
    await Promise.resolve();
    client.end('z');
    await settle(received, 3);
    expect(received()).toBe('xyz');
    expect(writes.chunks).toBe(3);
    expect(writes.single + writes.vectored).toBe(1);
  });
});
