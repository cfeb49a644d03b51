/**
 * Client-side keepalive, with libvirt's own rule (src/rpc/virkeepalive.c):
 *
 * - every packet received resets the state (`lastPacketReceived = now`, `countToDeath = count`);
 * - once the connection has been silent for `interval`, a PING is sent and `countToDeath` drops by
 *   one; while the silence lasts, another PING follows every `interval`;
 * - when an interval expires with `countToDeath` already at 0 (i.e. `count` PINGs went unanswered),
 *   the peer is declared dead.
 *
 * So a peer that stops answering is detected between `interval × count` and
 * `interval × (count + 1)` after its last packet (libvirt's defaults: 5 s × 5 → 25–30 s).
 * Answering the peer's PINGs with PONGs is not done here but by the connection, always.
 */

export interface KeepaliveOptions {
  /** Idle time before a PING, in milliseconds (libvirt: 5 s). */
  readonly intervalMs: number;
  /** Unanswered PINGs tolerated (libvirt: 5). */
  readonly count: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 5000, count: 5 };

export interface KeepaliveHooks {
  sendPing(): void;
  /** Called once when the peer is declared dead. */
  dead(silenceMs: number, pingsSent: number): void;
  now?(): number;
}

export class Keepalive {
  private readonly intervalMs: number;
  private readonly count: number;
  private readonly hooks: KeepaliveHooks;
  private lastPacket: number;
  private countToDeath: number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(options: KeepaliveOptions, hooks: KeepaliveHooks) {
    if (!(options.intervalMs > 0) || !Number.isFinite(options.intervalMs)) {
      throw new RangeError(`keepalive interval must be > 0 ms, got ${options.intervalMs}`);
    }
    if (!Number.isInteger(options.count) || options.count < 0) {
      throw new RangeError(`keepalive count must be an integer >= 0, got ${options.count}`);
    }
    this.intervalMs = options.intervalMs;
    this.count = options.count;
    this.hooks = hooks;
    this.lastPacket = this.now();
    this.countToDeath = this.count;
  }

  private now(): number {
    return this.hooks.now ? this.hooks.now() : performance.now();
  }

  start(): void {
    if (this.stopped || this.timer) return;
    this.schedule(this.intervalMs - (this.now() - this.lastPacket));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Any packet from the peer proves it is alive. */
  onPacket(): void {
    this.lastPacket = this.now();
    this.countToDeath = this.count;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, delay));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    const silence = this.now() - this.lastPacket;
    if (silence < this.intervalMs) {
      this.schedule(this.intervalMs - silence);
      return;
    }
    if (this.countToDeath === 0) {
      this.stop();
      this.hooks.dead(silence, this.count);
      return;
    }
    this.countToDeath--;
    this.hooks.sendPing();
    this.schedule(this.intervalMs);
  }
}
