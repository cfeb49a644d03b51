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
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAppServices } from '../../main/app-services';
import type { ByteStreamPeer } from '../../main/api/byte-stream';
import type { StreamCloseInfo } from '../../preload/api-contract';
import { readLabInfo } from '../support/lab';
import { startDelayProxy, type DelayProxy } from './delay-proxy';

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
  router: ReturnType<typeof createAppServices>['router'],
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

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export async function consoleBenchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: 'string', default: '10' },
      guest: { type: 'string', default: 'vd-vnc-1' },
      port: { type: 'string' },
      'delay-ms': { type: 'string', default: '0' },
    },
  });
  const runs = Number(values.runs);
  const delayMs = Number(values['delay-ms']);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number');
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error('--delay-ms takes a number ≥ 0');
  const lab = readLabInfo();
  const guest = lab.guests.find((g) => g.name === values.guest);
  if (!guest?.uuid || !guest.running || guest.graphics !== 'vnc') {
    throw new Error(`${values.guest} is not a running VNC guest of the lab`);
  }
  let proxy: DelayProxy | null = null;
  let port = values.port === undefined ? lab.ssh.port : Number(values.port);
  if (delayMs > 0 && values.port === undefined) {
    proxy = await startDelayProxy({
      listenHost: '127.0.0.1',
      listenPort: 0,
      targetHost: lab.ssh.host,
      targetPort: lab.ssh.port,
      delayMs,
    });
    port = proxy.port;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'virtdeck-console-bench-'));
  const knownHosts = join(tmp, 'known_hosts');
  writeFileSync(knownHosts, `[${lab.ssh.host}]:${port} ${lab.ssh.hostKey}\n`);
  process.env.VIRTDECK_KNOWN_HOSTS = knownHosts;
  process.env.VIRTDECK_SSH_CONFIG = 'none';
  const app = createAppServices({ transport: 'serve', configDir: join(tmp, 'config'), connectOnLaunch: false });
  try {
    const { hosts, events, connections } = app.deps;
    const host = await hosts.add({
      displayName: 'console-bench',
      ssh: { user: 'root', host: lab.ssh.host, port, identityFile: lab.accounts.root.identityFile },
      libvirtUri: lab.libvirtUri,
      transport: 'auto',
      tags: ['bench'],
    });
    events.publish('hosts.changed', { hosts: await hosts.list() });
    const connectStarted = performance.now();
    connections.connect(host.id);
    while (!connections.link(host.id)) {
      if (performance.now() - connectStarted > 30_000) throw new Error('the lab host did not connect in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const connectMs = performance.now() - connectStarted;
    await oneSession(app.router, host.id, guest.uuid); // warm-up (first channel, XML parse code paths)
    const samples: Awaited<ReturnType<typeof oneSession>>[] = [];
    for (let i = 0; i < runs; i++) {
      samples.push(await oneSession(app.router, host.id, guest.uuid));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stages: Stage[] = ['channel_ms', 'banner_ms', 'handshake_ms', 'frame_start_ms', 'frame_ms'];
    const summary: Record<string, number | string> = {
      guest: guest.name,
      ssh_port: port,
      delay_ms_each_way: proxy ? delayMs : values.port === undefined ? 0 : 'external',
      runs,
      connect_ms: Math.round(connectMs),
      frame_bytes: samples[0]?.frame_bytes ?? 0,
    };
    for (const stage of stages) {
      const list = samples.map((s) => s[stage]);
      summary[stage] = Math.round(median(list) * 10) / 10;
      summary[`${stage}_min`] = Math.round(Math.min(...list) * 10) / 10;
      summary[`${stage}_max`] = Math.round(Math.max(...list) * 10) / 10;
    }
    console.log(JSON.stringify(summary));
    return 0;
  } finally {
    await app.dispose();
    await proxy?.close();
  }
}
