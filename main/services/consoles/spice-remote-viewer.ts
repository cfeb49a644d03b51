/**
 * "Open in remote-viewer": virt-viewer's native SPICE client on this computer, reaching the guest
 * through the host's existing SSH connection. A loopback listener (127.0.0.1, random port) accepts one
 * TCP connection per SPICE channel and tunnels each through its own channel of the SSH connection to the
 * guest's SPICE listener. remote-viewer gets a connection file on stdin (`remote-viewer -`), password
 * included: nothing is written to disk. The listener closes when the viewer exits or the session is
 * closed (by the user, or when VirtDeck stops).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ApiFailure } from '../api-failure';
import { SpiceLinkObserver } from './spice-link';

/** Finds an executable on PATH as a shell would (PATHEXT on Windows); null when there is none. */
export async function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<string | null> {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : delimiter).filter(Boolean);
  const extensions = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
  for (const dir of dirs) {
    for (const extension of extensions) {
      const candidate = join(dir, name + extension);
      try {
        await access(candidate, platform === 'win32' ? fsConstants.F_OK : fsConstants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export interface VvFileOptions {
  host: string;
  port: number;
  password: string | null;
  title: string;
}

/** One `key=value` line; values cannot span lines (a newline would start a new key). */
function vvValue(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** The `.vv` connection file virt-viewer reads (`remote-viewer -` reads it from stdin). */
export function vvFile({ host, port, password, title }: VvFileOptions): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Invalid port ${port}`);
  const lines = ['[virt-viewer]', 'type=spice', `host=${vvValue(host)}`, `port=${port}`];
  if (password !== null) lines.push(`password=${vvValue(password)}`);
  lines.push(`title=${vvValue(title)}`, 'delete-this-file=1', '');
  return lines.join('\n');
}

/** What one tunnelled connection of a session did. */
export interface TunnelChannelInfo {
  channel: string | null;
  state: SpiceLinkObserver['state'];
}

/**
 * A loopback TCP listener whose every connection is tunnelled to `open()` (a new SSH channel each
 * time), bytes both ways, watched by a SpiceLinkObserver.
 */
export class SpiceTunnelListener {
  readonly channels: SpiceLinkObserver[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly remotes = new Set<Duplex>();
  private server: Server | null = null;
  private closed = false;

  constructor(
    private readonly open: () => Promise<Duplex>,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Listens on 127.0.0.1 at a port the system picks; resolves with that port. */
  async listen(): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  get port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  /** How many connections are open right now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const observer = new SpiceLinkObserver((seen) => {
      if (seen.state !== 'linking') this.log(`channel ${seen.channelName ?? '?'} ${seen.state}`);
    });
    this.channels.push(observer);
    const early: Buffer[] = [];
    let remote: Duplex | null = null;
    const onEarly = (chunk: Buffer) => {
      observer.fromClient(chunk);
      early.push(chunk);
    };
    socket.on('data', onEarly);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (remote) {
        this.remotes.delete(remote);
        remote.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    this.open().then(
      (opened) => {
        if (this.closed || socket.destroyed) {
          opened.destroy();
          return;
        }
        remote = opened;
        this.remotes.add(opened);
        socket.off('data', onEarly);
        for (const chunk of early.splice(0)) opened.write(chunk);
        socket.on('data', (chunk: Buffer) => {
          observer.fromClient(chunk);
          if (!opened.write(chunk)) socket.pause();
        });
        opened.on('drain', () => socket.resume());
        opened.on('data', (chunk: Buffer) => {
          observer.fromServer(chunk);
          if (!socket.write(chunk)) opened.pause();
        });
        socket.on('drain', () => opened.resume());
        opened.on('error', () => socket.destroy());
        opened.on('close', () => socket.destroy());
        opened.on('end', () => socket.end());
        socket.resume();
      },
      (error: unknown) => {
        this.log(`tunnel failed: ${error instanceof Error ? error.message : String(error)}`);
        socket.destroy();
      },
    );
  }

  /** Stops listening and ends every tunnel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    for (const remote of this.remotes) remote.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface RemoteViewerOpenRequest {
  /** Opens a new byte channel to the guest's SPICE listener (one per SPICE channel). */
  open: () => Promise<Duplex>;
  password: string | null;
  title: string;
  /** Who the session belongs to, so a host's sessions can be closed together. */
  hostId: string;
}

export interface RemoteViewerSessionInfo {
  sessionId: string;
  running: boolean;
  port: number | null;
  channels: TunnelChannelInfo[];
}

interface Session {
  id: string;
  hostId: string;
  port: number;
  listener: SpiceTunnelListener;
  viewer: ChildProcess;
  running: boolean;
}

export interface RemoteViewerOptions {
  /** The viewer to start; default: remote-viewer found on PATH. */
  command?: string | null;
  /** Its environment (DISPLAY…); default process.env. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** The remote-viewer sessions of this VirtDeck process. */
export class RemoteViewerSessions {
  private readonly sessions = new Map<string, Session>();
  private command: Promise<string | null> | null = null;

  constructor(private readonly options: RemoteViewerOptions = {}) {}

  /** Where remote-viewer is, or null when it is not installed (looked up once). */
  viewerPath(): Promise<string | null> {
    if (this.options.command !== undefined) return Promise.resolve(this.options.command);
    this.command ??= findOnPath('remote-viewer', this.options.env ?? process.env);
    return this.command;
  }

  async open(request: RemoteViewerOpenRequest): Promise<{ sessionId: string }> {
    const command = await this.viewerPath();
    if (!command) throw new ApiFailure('not-found', 'remote-viewer (virt-viewer) is not installed on this computer');
    const id = randomUUID();
    const log = (line: string) => this.options.log?.(`[remote-viewer ${id.slice(0, 8)}] ${line}`);
    const listener = new SpiceTunnelListener(request.open, log);
    const port = await listener.listen();
    let viewer: ChildProcess;
    try {
      viewer = spawn(command, ['-'], {
        env: this.options.env ?? process.env,
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: false,
      });
    } catch (error) {
      await listener.close();
      throw new ApiFailure('io', `remote-viewer did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    const session: Session = { id, hostId: request.hostId, port, listener, viewer, running: true };
    this.sessions.set(id, session);
    const started = new Promise<void>((resolve, reject) => {
      viewer.once('spawn', () => resolve());
      viewer.once('error', (error) => reject(error));
    });
    viewer.on('exit', (code, signal) => {
      session.running = false;
      log(`exited (${signal ?? code})`);
      void listener.close();
    });
    try {
      await started;
    } catch (error) {
      this.sessions.delete(id);
      await listener.close();
      throw new ApiFailure('io', `remote-viewer did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    viewer.stdin?.on('error', () => undefined);
    viewer.stdin?.end(vvFile({ host: '127.0.0.1', port, password: request.password, title: request.title }));
    log(`started, tunnels on 127.0.0.1:${port}`);
    return { sessionId: id };
  }

  info(sessionId: string): RemoteViewerSessionInfo {
    const session = this.sessions.get(sessionId);
    if (!session) return { sessionId, running: false, port: null, channels: [] };
    return {
      sessionId,
      running: session.running,
      port: session.port,
      channels: session.listener.channels.map((channel) => ({ channel: channel.channelName, state: channel.state })),
    };
  }

  /** Ends the viewer and its tunnels. Unknown or finished sessions are fine (nothing to do). */
  async close(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    if (session.running) session.viewer.kill('SIGTERM');
    await session.listener.close();
  }

  /** Ends the sessions of one host (its connection went away or it was removed). */
  async closeHost(hostId: string): Promise<void> {
    await Promise.all([...this.sessions.values()].filter((s) => s.hostId === hostId).map((s) => this.close(s.id)));
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }
}
