import type { Socket } from 'node:net';

/**
 * The SSH packets a connection sends in one turn of the event loop leave in one `writev` instead of one
 * `write` each. ssh2 writes every packet to the socket at once: a stats tick sends a host several (the
 * bulk stats call, host CPU and memory, two /proc reads), and with hundreds of hosts the socket writes
 * were the largest single cost of the tick in this process (CPU profile of the fleet bench, 300 hosts:
 * about a quarter of the event loop's busy time in `writeBuffer`). The first write of a turn corks the
 * socket; the check phase of the same loop iteration (`setImmediate`) uncorks it — no timer, so an idle
 * connection's packet (a keystroke on a console) leaves as soon as the loop finishes what it is doing.
 * `end()` uncorks by itself; a destroyed socket has nothing to send.
 */
export function coalesceWrites(socket: Socket): void {
  let corked = false;
  const flush = () => {
    corked = false;
    if (!socket.destroyed && socket.writableCorked > 0) socket.uncork();
  };
  const write = socket.write;
  socket.write = function coalescedWrite(this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!corked && !socket.destroyed && !socket.writableEnded) {
      corked = true;
      socket.cork();
      setImmediate(flush);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Socket['write'];
}
