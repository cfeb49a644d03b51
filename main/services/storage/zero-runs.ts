/**
 * Finds runs of zero bytes in a byte stream whose holes are unknown (a browser File has no hole map),
 * so they can travel as sparse-stream holes instead of data. The stream is looked at in blocks of
 * BLOCK bytes aligned to the file's offset; a block of zeros becomes (part of) a hole, anything else is
 * data. Holes are merged across chunks and only emitted once the next data block (or the end) shows
 * where they stop.
 */

/** 64 KiB: small enough to find the holes of real images, large enough that the check costs nothing. */
export const ZERO_BLOCK_BYTES = 64 * 1024;

const ZEROS = Buffer.alloc(ZERO_BLOCK_BYTES);

export type SparseItem = Buffer | { hole: bigint };

function isZero(bytes: Buffer): boolean {
  return bytes.length === ZERO_BLOCK_BYTES ? bytes.equals(ZEROS) : bytes.equals(ZEROS.subarray(0, bytes.length));
}

export class ZeroRunSplitter {
  private offset = 0;
  /** A partial block carried to the next chunk so blocks stay aligned. */
  private carry: Buffer | null = null;
  private pendingHole = 0;

  /** Splits the next chunk; returns what can be written now, in order. */
  push(chunk: Buffer): SparseItem[] {
    const out: SparseItem[] = [];
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let runStart = -1; // start of the current data run within `data`
    let position = 0;
    while (position < data.length) {
      const blockEnd = Math.min(data.length, position + ZERO_BLOCK_BYTES - ((this.offset + position) % ZERO_BLOCK_BYTES));
      if (blockEnd - position < ZERO_BLOCK_BYTES && blockEnd === data.length && (this.offset + blockEnd) % ZERO_BLOCK_BYTES !== 0) {
        break; // an incomplete block at the end: wait for more
      }
      const block = data.subarray(position, blockEnd);
      if (isZero(block)) {
        if (runStart >= 0) {
          out.push(data.subarray(runStart, position));
          runStart = -1;
        }
        this.pendingHole += block.length;
      } else {
        if (this.pendingHole > 0) {
          out.push({ hole: BigInt(this.pendingHole) });
          this.pendingHole = 0;
        }
        if (runStart < 0) runStart = position;
      }
      position = blockEnd;
    }
    if (runStart >= 0) out.push(data.subarray(runStart, position));
    if (position < data.length) this.carry = Buffer.from(data.subarray(position));
    this.offset += position;
    return out;
  }

  /** The end of the stream: what is left (a last partial block, a trailing hole). */
  end(): SparseItem[] {
    const out: SparseItem[] = [];
    const carry = this.carry;
    this.carry = null;
    if (carry && carry.length > 0) {
      if (isZero(carry)) this.pendingHole += carry.length;
      else {
        if (this.pendingHole > 0) out.push({ hole: BigInt(this.pendingHole) });
        this.pendingHole = 0;
        out.push(carry);
      }
      this.offset += carry.length;
    }
    if (this.pendingHole > 0) out.push({ hole: BigInt(this.pendingHole) });
    this.pendingHole = 0;
    return out;
  }
}
