import { randomFillSync } from 'node:crypto';
import type { EventEmitter } from 'node:events';

/**
 * SSH packet padding from a pool of random bytes instead of one `randomFillSync` per packet.
 *
 * ssh2 fills each outgoing packet's 4–19 padding bytes with its own `randomFillSync` call: a native call
 * and a job object per packet. In the fleet bench's CPU profile (300 hosts, the 2 s stats tick) those
 * calls were **~7 % of this process's busy time** — more than all of ssh2's own JavaScript. Here the
 * bytes come from a 4 KiB buffer refilled by the same `randomFillSync` when used up: the same CSPRNG
 * output, one call per ~300 packets.
 *
 * ssh2 does not offer this, so the connection's current cipher object gets its own `allocPacket`. It is
 * installed only after checking, against the cipher's own `allocPacket` for every padding residue, that
 * the replacement gives the same layout (length word, padding length, total size) — a cipher whose
 * layout differs (an encrypt-and-MAC cipher pads the length word too) or a changed ssh2 keeps its own.
 * A re-key makes a new cipher object: it is installed again on ssh2's `rekey` event.
 */
const POOL_BYTES = 4_096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** Copies `length` (≤ 255) random bytes into `target` at `offset`. */
export function fillRandomPadding(target: Buffer, offset: number, length: number): void {
  if (poolOffset + length > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, offset, poolOffset, poolOffset + length);
  poolOffset += length;
}

interface CipherLike {
  allocPacket(payloadLen: number): Buffer;
}

const installed = new WeakSet<object>();

function paddingLength(payloadLen: number, block: number): number {
  const padLen = block - ((4 + 1 + payloadLen - 4) & (block - 1));
  return padLen < 4 ? padLen + block : padLen;
}

/**
 * The replacement for `cipher`, or null when the cipher's layout is not the one it reproduces:
 * `[uint32 length][padLen][payload][padding][tail]` with padding to `block` (8 or 16) over all but the
 * length word, and a fixed tail (an AEAD tag, or none).
 */
export function pooledAllocPacket(cipher: CipherLike): ((payloadLen: number) => Buffer) | null {
  const original = cipher.allocPacket.bind(cipher);
  for (const block of [16, 8]) {
    let tail: number | null = null;
    let same = true;
    for (let payloadLen = 0; payloadLen < 2 * block + 4 && same; payloadLen++) {
      const probe = original(payloadLen);
      const padLen = paddingLength(payloadLen, block);
      const packetLen = 5 + payloadLen + padLen;
      const extra = probe.length - packetLen;
      if (tail === null) tail = extra;
      same = extra === tail && extra >= 0 && probe[4] === padLen && probe.readUInt32BE(0) === packetLen - 4;
    }
    if (same && tail !== null) {
      const tailLen = tail;
      return (payloadLen: number) => {
        const padLen = paddingLength(payloadLen, block);
        const packetLen = 5 + payloadLen + padLen;
        const packet = Buffer.allocUnsafe(packetLen + tailLen);
        packet.writeUInt32BE(packetLen - 4, 0);
        packet[4] = padLen;
        fillRandomPadding(packet, 5 + payloadLen, padLen);
        return packet;
      };
    }
  }
  return null;
}

/** Installs pooled padding on a cipher object (once); false when its layout is not the expected one. */
export function usePooledPadding(cipher: unknown): boolean {
  if (typeof cipher !== 'object' || cipher === null || typeof (cipher as CipherLike).allocPacket !== 'function') return false;
  if (installed.has(cipher)) return true;
  const replacement = pooledAllocPacket(cipher as CipherLike);
  if (!replacement) return false;
  (cipher as CipherLike).allocPacket = replacement;
  installed.add(cipher);
  return true;
}

/** After the handshake and after every re-key: the ssh2 client's current outgoing cipher. */
export function pooledPaddingFor(client: object): void {
  const apply = () => {
    const protocol = (client as unknown as { _protocol?: { _cipher?: unknown } })._protocol;
    usePooledPadding(protocol?._cipher);
  };
  apply();
  (client as EventEmitter).on('rekey', apply);
}
