import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fillRandomPadding, pooledAllocPacket, usePooledPadding } from '../../../main/ssh/padding-pool';

// ssh2's own cipher classes (the ones a connection uses), made the way its key exchange makes them.
const require = createRequire(import.meta.url);
const crypto = require('ssh2/lib/protocol/crypto.js') as {
  CIPHER_INFO: Record<string, { keyLen: number; ivLen: number }>;
  MAC_INFO: Record<string, { len: number }>;
  createCipher(config: object): { allocPacket(n: number): Buffer };
};

function cipher(name: string, mac?: string) {
  const info = crypto.CIPHER_INFO[name];
  if (!info) throw new Error(name);
  return crypto.createCipher({
    outbound: {
      onWrite: () => undefined,
      cipherInfo: info,
      cipherKey: Buffer.alloc(info.keyLen, 1),
      cipherIV: Buffer.alloc(info.ivLen, 2),
      seqno: 0,
      macInfo: mac ? crypto.MAC_INFO[mac] : undefined,
      macKey: mac ? Buffer.alloc(crypto.MAC_INFO[mac]?.len ?? 32, 3) : undefined,
    },
  });
}

describe('pooled SSH padding', () => {
  it.each(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'])(
    'gives %s packets the layout its own allocPacket gives, for every payload length',
    (name) => {
      const c = cipher(name);
      const replacement = pooledAllocPacket(c);
      expect(replacement).not.toBeNull();
      for (let n = 0; n < 300; n++) {
        const mine = (replacement as (n: number) => Buffer)(n);
        const theirs = c.allocPacket(n);
        expect(mine.length).toBe(theirs.length);
        expect(mine.readUInt32BE(0)).toBe(theirs.readUInt32BE(0));
        expect(mine[4]).toBe(theirs[4]);
      }
      expect(usePooledPadding(c)).toBe(true);
      expect(usePooledPadding(c)).toBe(true); // once
    },
  );

  it('leaves a cipher alone whose padding covers the length word (encrypt-and-MAC)', () => {
    const c = cipher('aes128-ctr', 'hmac-sha2-256');
    const own = c.allocPacket;
    expect(pooledAllocPacket(c)).toBeNull();
    expect(usePooledPadding(c)).toBe(false);
    expect(c.allocPacket).toBe(own);
    expect(usePooledPadding(null)).toBe(false);
  });

  it('fills padding with pool bytes that differ from call to call, across refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const target = Buffer.alloc(24);
      fillRandomPadding(target, 4, 19);
      expect(target.subarray(0, 4).equals(Buffer.alloc(4))).toBe(true);
      expect(target[23]).toBe(0);
      seen.add(target.toString('hex'));
    }
    expect(seen.size).toBe(1_000);
  });
});
