/**
 * The relayed route's data path: the source host's sshd listens on a loopback port (a remote forward on
 * VirtDeck's SSH connection to the source), and each connection the source's QEMU makes to it is piped
 * into a direct-tcpip channel that the destination's sshd opens to the port the destination prepared.
 * Neither host needs to reach the other; the bytes go source → VirtDeck → destination.
 */
import type { Duplex } from 'node:stream';
import type { SshConnection } from '../../ssh';

export interface RelayTarget {
  /** Hosts to try on the destination (as its sshd resolves them), first that connects wins. */
  hosts: string[];
  port: number;
}

export interface RelayPort {
  /** The port on the source's loopback that leads to `target`. */
  sourcePort: number;
  target: RelayTarget;
}

type SshSide = Pick<SshConnection, 'listenRemote' | 'forwardTcp'>;

export class MigrationRelay {
  private readonly closers: Array<() => Promise<void>> = [];
  private readonly channels = new Set<Duplex>();
  private bytes = 0;
  private lastError: string | null = null;
  private closed = false;

  constructor(
    private readonly source: SshSide,
    private readonly destination: SshSide,
  ) {}

  /** Bytes carried so far (both directions). */
  get relayedBytes(): number {
    return this.bytes;
  }

  /** The first failure of a relayed connection (a channel the destination refused…), if any. */
  get error(): string | null {
    return this.lastError;
  }

  /** Opens a loopback port on the source that leads to `target` on the destination. */
  async open(target: RelayTarget): Promise<RelayPort> {
    if (this.closed) throw new Error('the relay is closed');
    const listener = await this.source.listenRemote('127.0.0.1', 0, (inbound) => {
      void this.pipe(inbound, target);
    });
    this.closers.push(() => listener.close());
    return { sourcePort: listener.port, target };
  }

  private async pipe(inbound: Duplex, target: RelayTarget): Promise<void> {
    if (this.closed) {
      inbound.destroy();
      return;
    }
    this.channels.add(inbound);
    inbound.pause();
    let outbound: Duplex | null = null;
    let failure = '';
    for (const host of target.hosts) {
      try {
        outbound = await this.destination.forwardTcp(host, target.port);
        break;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
    }
    if (!outbound || this.closed) {
      this.lastError ??= `the destination could not connect to port ${target.port}: ${failure}`;
      outbound?.destroy();
      inbound.destroy();
      this.channels.delete(inbound);
      return;
    }
    const out = outbound;
    this.channels.add(out);
    const count = (chunk: Buffer) => {
      this.bytes += chunk.length;
    };
    inbound.on('data', count);
    out.on('data', count);
    const finish = () => {
      inbound.destroy();
      out.destroy();
      this.channels.delete(inbound);
      this.channels.delete(out);
    };
    inbound.once('close', finish);
    out.once('close', finish);
    inbound.once('error', finish);
    out.once('error', finish);
    inbound.pipe(out);
    out.pipe(inbound);
    inbound.resume();
  }

  /** Stops listening and cuts every relayed connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.channels) channel.destroy();
    this.channels.clear();
    await Promise.all(this.closers.map((close) => close().catch(() => undefined)));
  }
}
