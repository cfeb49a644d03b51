/**
 * Console benchmark (a measurement, not a test): opens a lab guest's VNC console N times through the
 * main services (an ApiRouter from createAppServices, the 'console.graphics' stream, no browser) over
 * one SSH connection, and speaks a minimal RFB client: banner → version → security None → ClientInit →
 * ServerInit → SetEncodings(Raw) → FramebufferUpdateRequest → first FramebufferUpdate. Prints one JSON
 * line with the median (and min/max) of each stage, in ms from asking for the stream:
 *
 *   channel_ms      the stream is open (SSH direct-tcpip channel to the VNC port established)
 *   banner_ms       the server's "RFB 003.00x" banner arrived
 *   handshake_ms    ServerInit read (what noVNC calls 'connect')
 *   frame_start_ms  the first FramebufferUpdate's header arrived
 *   frame_ms        the whole first frame (Raw encoding: the largest it can be) arrived
 *
 *   npm run bench -- console [--runs 10] [--guest vd-vnc-1] [--port 2722] [--delay-ms 0]
 *
 * --delay-ms N starts a delay proxy (delay-proxy.ts) in front of the lab's sshd in this process;
 * --port P uses an already running one (e.g. `npm run bench -- delay-proxy --listen 127.0.0.1:2822 …`).
 */
import type { ByteStreamPeer } from '../../main/services/byte-stream-peer';
import type { StreamCloseInfo } from '../../preload/api-contract';
import { runConsoleBench, type Router } from './console-bench-runner';

/** A ByteStreamPeer the bench reads from like a socket: `read(n)` resolves with exactly n bytes. */
export class BenchPeer implements ByteStreamPeer {
  private buffer = Buffer.alloc(0);
  private waiting: { n: number; resolve: (data: Buffer) => void; reject: (e: Error) => void } | null = null;
  private dataListener: ((data: Uint8Array) => void) | null = null;
  private closeListener: ((info: StreamCloseInfo) => void) | null = null;
  private closedError: Error | null = null;

  send(data: Uint8Array): boolean {
    this.buffer = Buffer.concat([this.buffer, data]);
    this.wake();
    return true;
  }
  close(error?: { message: string }): void {
    this.closedError = new Error(`stream closed${error ? `: ${error.message}` : ''}`);
    this.wake();
  }
  onData(listener: (data: Uint8Array) => void): void {
    this.dataListener = listener;
  }
  onClose(listener: (info: StreamCloseInfo) => void): void {
    this.closeListener = listener;
  }
  onDrain(): void {}

  write(bytes: Buffer): void {
    this.dataListener?.(new Uint8Array(bytes));
  }
  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting = { n, resolve, reject };
      this.wake();
    });
  }
  end(): void {
    this.closeListener?.({ byPeer: true });
  }
  private wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    if (this.buffer.length >= waiting.n) {
      this.waiting = null;
      const out = this.buffer.subarray(0, waiting.n);
      this.buffer = this.buffer.subarray(waiting.n);
      waiting.resolve(out);
    } else if (this.closedError) {
      this.waiting = null;
      waiting.reject(this.closedError);
    }
  }
}

type Stage = 'channel_ms' | 'banner_ms' | 'handshake_ms' | 'frame_start_ms' | 'frame_ms';

async function oneSession(
  router: Router,
  hostId: string,
  domainUuid: string,
): Promise<Record<Stage, number> & { frame_bytes: number }> {
  const peer = new BenchPeer();
  const started = performance.now();
  const at = () => performance.now() - started;
  const opened = await router.openStream('console.graphics', { hostId, domainUuid, channel: 0 }, peer);
  if (!opened.ok) throw new Error(`console.graphics: ${opened.error.message}`);
  const channel = at();
  try {
    const banner = (await peer.read(12)).toString('latin1');
    if (!/^RFB 003\.00\d\n$/.test(banner)) throw new Error(`not an RFB banner: ${JSON.stringify(banner)}`);
    const bannerMs = at();
    peer.write(Buffer.from('RFB 003.008\n', 'latin1'));
    const count = (await peer.read(1)).readUInt8(0);
    if (count === 0) throw new Error('the server refused the connection');
    const types = [...(await peer.read(count))];
    if (!types.includes(1)) throw new Error(`security type None not offered (offered ${types.join(',')})`);
    peer.write(Buffer.from([1]));
    const result = (await peer.read(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security result ${result}`);
    peer.write(Buffer.from([1])); // ClientInit, shared
    const init = await peer.read(24);
    const width = init.readUInt16BE(0);
    const height = init.readUInt16BE(2);
    const bytesPerPixel = init.readUInt8(4) / 8;
    await peer.read(init.readUInt32BE(20)); // desktop name
    const handshake = at();
    // SetEncodings: Raw only; then a full (non-incremental) FramebufferUpdateRequest.
    const setEncodings = Buffer.alloc(8);
    setEncodings.writeUInt8(2, 0);
    setEncodings.writeUInt16BE(1, 2);
    setEncodings.writeInt32BE(0, 4);
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0);
    request.writeUInt8(0, 1);
    request.writeUInt16BE(width, 6);
    request.writeUInt16BE(height, 8);
    peer.write(Buffer.concat([setEncodings, request]));
    let header = await peer.read(4);
    while (header.readUInt8(0) !== 0) {
      // Bell (2) has no body; anything else this client did not ask for ends the bench.
      if (header.readUInt8(0) !== 2) throw new Error(`unexpected server message ${header.readUInt8(0)}`);
      header = Buffer.concat([header.subarray(1), await peer.read(1)]);
    }
    const frameStart = at();
    let bytes = 4;
    for (let rects = header.readUInt16BE(2); rects > 0; rects--) {
      const rect = await peer.read(12);
      const encoding = rect.readInt32BE(8);
      const size = encoding === 0 ? rect.readUInt16BE(4) * rect.readUInt16BE(6) * bytesPerPixel : 0;
      if (encoding !== 0 && encoding > -200) throw new Error(`unexpected encoding ${encoding}`);
      if (size > 0) await peer.read(size);
      bytes += 12 + size;
    }
    return {
      channel_ms: channel,
      banner_ms: bannerMs,
      handshake_ms: handshake,
      frame_start_ms: frameStart,
      frame_ms: at(),
      frame_bytes: bytes,
    };
  } finally {
    peer.end();
  }
}

export function consoleBenchMain(argv: readonly string[]): Promise<number> {
  return runConsoleBench(
    {
      name: 'console',
      defaultGuest: 'vd-vnc-1',
      graphics: 'vnc',
      stages: ['channel_ms', 'banner_ms', 'handshake_ms', 'frame_start_ms', 'frame_ms'],
      pauseMs: 50,
      session: oneSession,
      extra: (first) => ({ frame_bytes: first?.frame_bytes ?? 0 }),
    },
    argv,
  );
}
