/**
 * A loopback TCP proxy that adds a fixed one-way delay in each direction (default 15 ms, so an RTT
 * of +30 ms) — a stand-in for netem where there is none.
 *
 *   tsx tests/bench/delay-proxy.ts --listen 127.0.0.1:2822 --target 127.0.0.1:2722 --delay-ms 15
 *   npm run bench -- delay-proxy --listen … --target … --delay-ms …
 *
 * Bytes keep their order; each chunk is released `delay` ms after it arrived. Flow control is kept:
 * when the far side does not drain, the near side is paused. Half-closes are forwarded (delayed too).
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export interface DelayProxyOptions {
  readonly listenHost: string;
  readonly listenPort: number;
  readonly targetHost: string;
  readonly targetPort: number;
  readonly delayMs: number;
}

export interface DelayProxy {
  readonly port: number;
  close(): Promise<void>;
}

function parseHostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s);
  if (!m) throw new Error(`${what} must be HOST:PORT, got ${s}`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in ${s}`);
  return { host: (m[1] ?? m[2]) as string, port };
}

/** Forwards from → to, each chunk `delayMs` later, in order, with backpressure. */
function pipeDelayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: Array<{ at: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | null = null;
  let waitingForDrain = false;
  const drain = (): void => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now + 0.5) {
      const { chunk } = queue.shift() as { at: number; chunk: Buffer | null };
      if (to.destroyed) return;
      if (chunk === null) {
        to.end();
        return;
      }
      if (!to.write(chunk) && !waitingForDrain) {
        waitingForDrain = true;
        from.pause();
        to.once('drain', () => {
          waitingForDrain = false;
          from.resume();
        });
      }
    }
    if (queue.length > 0)
      timer = setTimeout(drain, Math.max(0, (queue[0] as { at: number }).at - performance.now()));
  };
  const enqueue = (chunk: Buffer | null): void => {
    queue.push({ at: performance.now() + delayMs, chunk });
    if (!timer) timer = setTimeout(drain, delayMs);
  };
  from.on('data', (c: Buffer) => enqueue(c));
  from.on('end', () => enqueue(null));
}

export function startDelayProxy(o: DelayProxyOptions): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    inbound.setNoDelay(true);
    const outbound = net.connect({ host: o.targetHost, port: o.targetPort });
    outbound.setNoDelay(true);
    sockets.add(inbound);
    sockets.add(outbound);
    const kill = (): void => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', kill);
    outbound.on('error', kill);
    inbound.on('close', () => setTimeout(kill, o.delayMs + 5));
    outbound.on('close', () => setTimeout(kill, o.delayMs + 5));
    pipeDelayed(inbound, outbound, o.delayMs);
    pipeDelayed(outbound, inbound, o.delayMs);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listenPort, o.listenHost, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : o.listenPort;
      resolve({
        port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

export async function delayProxyMain(argv: readonly string[]): Promise<number> {
  let listen = '127.0.0.1:2822';
  let target = '127.0.0.1:2722';
  let delayMs = 15;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--listen' && v) listen = v;
    else if (a === '--target' && v) target = v;
    else if (a === '--delay-ms' && v) delayMs = Number(v);
    else {
      console.error('usage: delay-proxy --listen HOST:PORT --target HOST:PORT [--delay-ms 15]');
      return 2;
    }
    i++;
  }
  if (!(delayMs >= 0)) {
    console.error('--delay-ms must be >= 0');
    return 2;
  }
  const l = parseHostPort(listen, '--listen');
  const t = parseHostPort(target, '--target');
  const proxy = await startDelayProxy({
    listenHost: l.host,
    listenPort: l.port,
    targetHost: t.host,
    targetPort: t.port,
    delayMs,
  });
  console.error(
    `delay-proxy: ${l.host}:${proxy.port} → ${t.host}:${t.port}, +${delayMs} ms each way (Ctrl-C to stop)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await proxy.close();
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  delayProxyMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
