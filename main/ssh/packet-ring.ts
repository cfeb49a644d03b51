import type { Writable } from 'node:stream';

/**
 * Large outgoing SSH packets carved from one ring buffer per connection instead of a new ArrayBuffer each.
 *
 * A relayed migration sends every byte of the guest on to the destination host in 32 KiB SSH packets, and
 * ssh2 allocates each one (`Buffer.allocUnsafe` of 32 KiB: its own ArrayBuffer, outside V8's heap). V8
 * answers that much external memory with garbage collections — 13–17 full collections per relayed
 * migration in the lab, the relay standing still during each. Here a packet of at least {@link MIN_PACKET}
 * bytes is a view into the connection's ring; it goes, encrypted in place, straight to the socket (ssh2
 * allocates, fills, encrypts and writes a packet in one synchronous call), and its bytes are free again
 * once the socket's write of it has completed. Socket writes complete in order, so a completed write also
 * frees every region handed out before it (each was written before it, or never will be: a packet ssh2
 * dropped because the socket was closing).
 *
 * When the ring has no room (the socket is behind by more than the ring), a packet is allocated as ssh2
 * would; the ring is allocated on first use and dropped after {@link IDLE_MS} with nothing in flight, so a
 * connection that never sends bulk data costs nothing.
 */
export const RING_BYTES = 4 * 1024 * 1024;
export const MIN_PACKET = 16 * 1024;
const IDLE_MS = 15_000;

export class PacketRing {
  private buffer: Buffer | null = null;
  /** Next free byte. */
  private head = 0;
  /** The regions in flight, oldest first. */
  private readonly regions: Array<{ start: number; end: number }> = [];
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private lastUse = 0;
  /** Regions handed out, and packets that found no room (for tests and diagnostics). */
  taken = 0;
  fallbacks = 0;

  constructor(private readonly size = RING_BYTES) {}

  /** `length` bytes of the ring, or null when it has no room for them now. */
  take(length: number): Buffer | null {
    if (length > this.size / 4) return null;
    this.buffer ??= Buffer.allocUnsafe(this.size);
    this.lastUse = performance.now();
    const oldest = this.regions[0];
    let at: number;
    if (!oldest) {
      at = 0;
    } else if (this.head <= oldest.start) {
      // Wrapped: the free bytes are between head and the oldest region.
      if (this.head + length > oldest.start) return this.noRoom();
      at = this.head;
    } else if (this.head + length <= this.size) {
      at = this.head;
    } else {
      // No room at the end: wrap if the start has room.
      if (length > oldest.start) return this.noRoom();
      at = 0;
    }
    this.head = at + length;
    this.taken++;
    this.regions.push({ start: at, end: this.head });
    return this.buffer.subarray(at, this.head);
  }

  /** Whether `packet` is a view into this ring. */
  owns(packet: Uint8Array): boolean {
    return this.buffer !== null && packet.buffer === this.buffer.buffer;
  }

  /** The write of `packet` (a region of this ring) has completed: it and every earlier region are free. */
  release(packet: Uint8Array): void {
    if (!this.owns(packet)) return;
    const start = packet.byteOffset - (this.buffer as Buffer).byteOffset;
    const index = this.regions.findIndex((region) => region.start === start);
    if (index < 0) return;
    this.regions.splice(0, index + 1);
    if (this.regions.length === 0) this.dropWhenIdle();
  }

  /** Bytes in flight. */
  get inFlight(): number {
    let bytes = 0;
    for (const region of this.regions) bytes += region.end - region.start;
    return bytes;
  }

  /** Whether the ring's buffer is allocated. */
  get allocated(): boolean {
    return this.buffer !== null;
  }

  private noRoom(): null {
    this.fallbacks++;
    return null;
  }

  private dropWhenIdle(): void {
    if (this.idleTimer) return;
    const check = () => {
      this.idleTimer = null;
      if (this.regions.length > 0) return;
      const idleFor = performance.now() - this.lastUse;
      if (idleFor >= IDLE_MS) {
        this.buffer = null;
        return;
      }
      this.idleTimer = setTimeout(check, IDLE_MS - idleFor);
      this.idleTimer.unref?.();
    };
    this.idleTimer = setTimeout(check, IDLE_MS);
    this.idleTimer.unref?.();
  }
}

/** Frees a ring's region when `sink`'s write of it completes (whatever the outcome: an error frees too). */
export function releaseRingOnWrite(sink: Writable, ring: PacketRing): void {
  const write = sink.write;
  sink.write = function ringWrite(this: Writable, chunk: unknown, ...rest: unknown[]): boolean {
    if (chunk instanceof Uint8Array && ring.owns(chunk) && rest.length === 0) {
      return (write as (...a: unknown[]) => boolean).call(this, chunk, () => ring.release(chunk));
    }
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Writable['write'];
}
