/**
 * The relayed route's data path: the source host's sshd listens on a loopback port (a remote forward on
 * VirtDeck's SSH connection to the source), and each connection the source's QEMU makes to it is piped
 * into a direct-tcpip channel that the destination's sshd opens to the port the destination prepared.
 * Neither host needs to reach the other; the bytes go source → VirtDeck → destination.
 *
 * Both channels get the 4 MiB, eagerly refilled SSH receive window that volume downloads use
 * (ssh/receive-window.ts): with ssh2's own window (2 MiB, refilled only once half is used) the sender got
 * about 1 MiB of credit per round trip. Each direction has its own backpressure: when the writing side's
 * write() says its queue is full, the reading side is paused (and its window no longer refilled, so the
 * sending host stops after at most one window) until the writing side drains. When one side ends or
 * closes, what is already queued for the other side is handed on before that side is ended.
 */
import type { Duplex } from 'node:stream';
import type { SshConnection } from '../../ssh';
import { widenReceiveWindow, type ReceiveWindowControl } from '../../ssh/receive-window';

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

/** Bytes the relay carried, per direction. */
export interface RelayedBytes {
  /** Source → destination (the migration stream, the disks' NBD writes). */
  toDestination: number;
  /** Destination → source (NBD replies, the return path). */
  toSource: number;
}

type SshSide = Pick<SshConnection, 'listenRemote' | 'forwardTcp'>;

/**
 * One relayed connection, for measurements: bytes and pieces per direction, when its first and last
 * piece passed (ms, performance.now()), the last piece to the destination, and its turns: how often
 * the direction of the traffic changed (a piece one way after a piece the other way) and the summed gap
 * of those changes, per new direction (`toSource`: a reply after a request, the destination's turnaround
 * as VirtDeck sees it; `toDestination`: a request after a reply, the source's). A request/reply protocol
 * (NBD: writes, then their replies) turns twice per round trip; a stream hardly ever turns.
 */
export interface RelayedConnection {
  bytes: RelayedBytes;
  pieces: RelayedBytes;
  firstAt: number | null;
  lastAt: number | null;
  lastToDestinationAt: number | null;
  /** The window the destination's sshd granted for this channel when it opened (bytes; null if unknown). */
  destinationWindow: number | null;
  turns: RelayedBytes;
  turnGapMs: RelayedBytes;
  /**
   * How often and how long each direction's reading side was paused because its writing side had a full
   * queue (`toDestination`: the source side waited for this connection's destination channel).
   */
  paused: Record<keyof RelayedBytes, { times: number; ms: number }>;
  /** The destination channel's send window over time (null when the channel is not ssh2's). */
  window: DestinationWindowTrace | null;
}

/**
 * The destination channel's send window, as ssh2 spends and the destination's sshd refills it: how often
 * the relay had used all of it (`stalls`, the time until the next WINDOW_ADJUST: `stalledMs`), and the
 * window round trip: for every WINDOW_ADJUST, how long ago VirtDeck handed the destination the byte that
 * the adjust's credit says the destination's sshd has now passed on (sshd counts bytes as consumed once it
 * wrote them to the destination's socket). With a fixed window W the channel cannot carry more than W per
 * round trip.
 */
export interface DestinationWindowTrace {
  adjusts: number;
  stalls: number;
  stalledMs: number;
  /** Window round trips (ms), one per WINDOW_ADJUST (the first 4 096). */
  roundTripsMs: number[];
}

/** How long a side that was ended after its peer closed may take to hand on what was queued for it. */
const FLUSH_GRACE_MS = 30_000;

export class MigrationRelay {
  private readonly closers: Array<() => Promise<void>> = [];
  private readonly channels = new Set<Duplex>();
  private readonly counted: RelayedBytes = { toDestination: 0, toSource: 0 };
  private readonly pieces: RelayedBytes = { toDestination: 0, toSource: 0 };
  private readonly opens: number[] = [];
  private readonly perConnection: RelayedConnection[] = [];
  private lastError: string | null = null;
  private closed = false;
  private widened = 0;

  constructor(
    private readonly source: SshSide,
    private readonly destination: SshSide,
    private readonly flushGraceMs = FLUSH_GRACE_MS,
  ) {}

  /** For measurements (the bench): trace each new destination channel's send window (DestinationWindowTrace). */
  traceWindows = false;

  /** Bytes carried so far (both directions). */
  get relayedBytes(): number {
    return this.counted.toDestination + this.counted.toSource;
  }

  /** Bytes carried so far, per direction. */
  get bytes(): RelayedBytes {
    return { ...this.counted };
  }

  /** How many relayed channels got the wider receive window (both sides of each connection: 2 per connection). */
  get widenedChannels(): number {
    return this.widened;
  }

  /**
   * How long (and how often) each direction waited for its writing side to drain (the reading side paused
   * meanwhile), summed over the relayed connections: time spent waiting on the destination's channel window
   * is `toDestinationMs`.
   */
  get waits(): {
    toDestinationMs: number;
    toSourceMs: number;
    toDestinationTimes: number;
    toSourceTimes: number;
  } {
    const waits = { toDestinationMs: 0, toSourceMs: 0, toDestinationTimes: 0, toSourceTimes: 0 };
    for (const { paused } of this.perConnection) {
      waits.toDestinationMs += paused.toDestination.ms;
      waits.toDestinationTimes += paused.toDestination.times;
      waits.toSourceMs += paused.toSource.ms;
      waits.toSourceTimes += paused.toSource.times;
    }
    return waits;
  }

  /**
   * For measurements: the relayed connections (one per connection the source's QEMU made: the migration
   * stream, each NBD connection), how long each waited for its channel on the destination (the fixed cost
   * per connection: one round trip to the destination's sshd and its connect), and how many pieces each
   * direction was handed in (an SSH packet's data each: bytes / pieces is the mean packet size).
   */
  get connectionStats(): { channelOpenMs: number[]; pieces: RelayedBytes; connections: RelayedConnection[] } {
    return {
      channelOpenMs: [...this.opens],
      pieces: { ...this.pieces },
      connections: this.perConnection.map((c) => ({
        ...c,
        bytes: { ...c.bytes },
        pieces: { ...c.pieces },
        turns: { ...c.turns },
        turnGapMs: { ...c.turnGapMs },
        paused: { toDestination: { ...c.paused.toDestination }, toSource: { ...c.paused.toSource } },
        window: c.window ? { ...c.window, roundTripsMs: [...c.window.roundTripsMs] } : null,
      })),
    };
  }

  /** The first failure of a relayed connection (a channel the destination refused…), if any. */
  get error(): string | null {
    return this.lastError;
  }

  /** Opens a loopback port on the source that leads to `target` on the destination. */
  async open(target: RelayTarget): Promise<RelayPort> {
    if (this.closed) throw new Error('the relay is closed');
    const listener = await this.source.listenRemote('127.0.0.1', 0, (inbound) => {
      void this.connect(inbound, target);
    });
    this.closers.push(() => listener.close());
    return { sourcePort: listener.port, target };
  }

  private async connect(inbound: Duplex, target: RelayTarget): Promise<void> {
    if (this.closed) {
      inbound.destroy();
      return;
    }
    this.channels.add(inbound);
    inbound.pause();
    let outbound: Duplex | null = null;
    let failure = '';
    const openedAt = performance.now();
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
    this.channels.add(outbound);
    this.opens.push(performance.now() - openedAt);
    const connection: RelayedConnection = {
      bytes: { toDestination: 0, toSource: 0 },
      pieces: { toDestination: 0, toSource: 0 },
      firstAt: null,
      lastAt: null,
      lastToDestinationAt: null,
      destinationWindow: grantedWindow(outbound),
      turns: { toDestination: 0, toSource: 0 },
      turnGapMs: { toDestination: 0, toSource: 0 },
      paused: { toDestination: { times: 0, ms: 0 }, toSource: { times: 0, ms: 0 } },
      window: this.traceWindows ? traceSendWindow(outbound) : null,
    };
    this.perConnection.push(connection);
    let lastDirection: keyof RelayedBytes | null = null;
    const piece = (direction: keyof RelayedBytes, n: number) => {
      const now = performance.now();
      this.counted[direction] += n;
      this.pieces[direction]++;
      connection.bytes[direction] += n;
      connection.pieces[direction]++;
      if (lastDirection !== null && lastDirection !== direction && connection.lastAt !== null) {
        connection.turns[direction]++;
        connection.turnGapMs[direction] += now - connection.lastAt;
      }
      lastDirection = direction;
      connection.firstAt ??= now;
      connection.lastAt = now;
      if (direction === 'toDestination') connection.lastToDestinationAt = now;
    };
    relayPair(inbound, outbound, {
      flushGraceMs: this.flushGraceMs,
      toDestination: (n) => piece('toDestination', n),
      toSource: (n) => piece('toSource', n),
      waited: (direction, ms) => {
        connection.paused[direction].ms += ms;
        connection.paused[direction].times++;
      },
      widened: () => {
        this.widened++;
      },
      closed: (channel) => {
        this.channels.delete(channel);
      },
    });
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

/** The send window the peer granted an ssh2 channel (its `outgoing.window`), read once at open; null if not ssh2's. */
function grantedWindow(channel: Duplex): number | null {
  const window = (channel as { outgoing?: { window?: unknown } }).outgoing?.window;
  return typeof window === 'number' ? window : null;
}

/**
 * Watches an ssh2 channel's send window (`outgoing.window`: ssh2 lowers it when it sends, its
 * WINDOW_ADJUST handler raises it) through an accessor; null if the channel is not ssh2's.
 */
export function traceSendWindow(channel: Duplex): DestinationWindowTrace | null {
  const outgoing = (channel as { outgoing?: { window?: unknown } }).outgoing;
  if (!outgoing || typeof outgoing.window !== 'number') return null;
  const trace: DestinationWindowTrace = { adjusts: 0, stalls: 0, stalledMs: 0, roundTripsMs: [] };
  const initial = outgoing.window;
  let value = initial;
  let sent = 0;
  let granted = 0;
  let stalledAt: number | null = null;
  // [offset after the send, when] per send not yet credited back.
  const sends: Array<[number, number]> = [];
  Object.defineProperty(outgoing, 'window', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (next: number) => {
      const now = performance.now();
      if (next < value) {
        sent += value - next;
        sends.push([sent, now]);
        if (next <= 0) stalledAt = now;
      } else if (next > value) {
        granted += next - value;
        trace.adjusts++;
        if (stalledAt !== null) {
          trace.stalls++;
          trace.stalledMs += now - stalledAt;
          stalledAt = null;
        }
        // The adjust credits the first `granted` bytes sent: the send that held the last of them.
        while (sends.length > 1 && (sends[0] as [number, number])[0] < granted) sends.shift();
        const held = sends[0];
        if (held && held[0] >= granted && trace.roundTripsMs.length < 4096)
          trace.roundTripsMs.push(now - held[1]);
      }
      value = next;
    },
  });
  return trace;
}

export interface RelayPairHooks {
  flushGraceMs: number;
  toDestination(bytes: number): void;
  toSource(bytes: number): void;
  /** A direction waited `ms` for its writing side to drain. */
  waited?(direction: 'toDestination' | 'toSource', ms: number): void;
  /** A channel got the wider receive window. */
  widened(): void;
  /** A channel is closed (or destroyed): it is no longer the relay's to cut. */
  closed(channel: Duplex): void;
}

/**
 * Pipes `inbound` (the source side) and `outbound` (the destination side) into each other, with a wide
 * receive window on both, backpressure per direction, byte counts, and queued bytes handed on at the end.
 */
export function relayPair(inbound: Duplex, outbound: Duplex, hooks: RelayPairHooks): void {
  const windows = new Map<Duplex, ReceiveWindowControl | null>();
  for (const channel of [inbound, outbound]) {
    const control = widenReceiveWindow(channel);
    windows.set(channel, control);
    if (control) hooks.widened();
  }
  const ended = new Set<Duplex>();
  const finished = new Set<Duplex>();
  const graceTimers: Array<ReturnType<typeof setTimeout>> = [];

  /** The writing side got no more to write: end it once its queue is out (or cut it after the grace). */
  const endGracefully = (to: Duplex) => {
    if (ended.has(to) || to.destroyed) return;
    ended.add(to);
    to.end();
    if (to.writableFinished) return;
    const timer = setTimeout(() => to.destroy(), hooks.flushGraceMs);
    timer.unref?.();
    graceTimers.push(timer);
  };

  const pump = (from: Duplex, to: Duplex, direction: 'toDestination' | 'toSource') => {
    const window = windows.get(from) ?? null;
    const count = direction === 'toDestination' ? hooks.toDestination : hooks.toSource;
    let waiting = false;
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (to.destroyed || ended.has(to)) return;
      if (!to.write(chunk) && !waiting) {
        // The writing side's queue is full: stop reading (and refilling the reading side's window).
        waiting = true;
        const since = performance.now();
        window?.pause();
        from.pause();
        to.once('drain', () => {
          hooks.waited?.(direction, performance.now() - since);
          waiting = false;
          from.resume();
          window?.resume();
        });
      }
    });
    // EOF from one side: the other side gets what is queued, then EOF.
    from.once('end', () => endGracefully(to));
  };
  pump(inbound, outbound, 'toDestination');
  pump(outbound, inbound, 'toSource');

  const onGone = (gone: Duplex, other: Duplex) => {
    if (finished.has(gone)) return;
    finished.add(gone);
    hooks.closed(gone);
    // The other side keeps what is already queued for it: ended, not destroyed.
    endGracefully(other);
    if (finished.size === 2) for (const timer of graceTimers) clearTimeout(timer);
  };
  inbound.once('close', () => onGone(inbound, outbound));
  outbound.once('close', () => onGone(outbound, inbound));
  // An error destroys the side it happened on ('close' follows); the other side still gets its queue.
  inbound.on('error', () => undefined);
  outbound.on('error', () => undefined);
  inbound.resume();
  outbound.resume();
}
