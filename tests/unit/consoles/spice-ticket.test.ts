import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';

interface TicketModules {
  fixSpiceTicketPadding: () => void;
  SpiceConn: { prototype: { send_ticket(this: unknown, ticket: number[] | null): void } };
  create_rsa_from_mb: (buffer: ArrayBuffer, at: number) => unknown;
  rsa_encrypt: (rsa: unknown, text: string) => number[];
}

let modules: TicketModules;

beforeAll(async () => {
  // spice-html5 is browser code: it reads navigator at load.
  const global = globalThis as Record<string, unknown>;
  global.window ??= globalThis;
  global.navigator ??= { appName: 'Netscape', appVersion: '5.0', userAgent: 'node' };
  const spiceconn = '@spice-project/spice-html5/src/spiceconn.js';
  const ticket = '@spice-project/spice-html5/src/ticket.js';
  // Renderer module (typed for the renderer build, where spice-html5's declarations live).
  const fixesPath = '../../../renderer/src/consoles/spice/spice-fixes';
  const fixes = (await import(fixesPath)) as Pick<TicketModules, 'fixSpiceTicketPadding'>;
  modules = {
    ...fixes,
    ...((await import(spiceconn)) as Pick<TicketModules, 'SpiceConn'>),
    ...((await import(ticket)) as Pick<TicketModules, 'create_rsa_from_mb' | 'rsa_encrypt'>),
  };
});

/** What a channel's send_ticket writes: auth mechanism (u32) + 128 ticket bytes. */
function sentTicket(ticket: number[]): Buffer {
  let sent: ArrayBuffer | null = null;
  modules.SpiceConn.prototype.send_ticket.call({ ws: { send: (data: ArrayBuffer) => (sent = data) } }, ticket);
  if (!sent) throw new Error('nothing sent');
  return Buffer.from(sent);
}

describe('SPICE ticket (spice-html5 RSA, with VirtDeck’s padding fix)', () => {
  it('right-aligns a ticket whose leading byte was zero', () => {
    modules.fixSpiceTicketPadding();
    const short = Array.from({ length: 127 }, (_, i) => (i % 255) + 1);
    const sent = sentTicket(short);
    expect(sent.length).toBe(4 + 128);
    expect(sent.readUInt32LE(0)).toBe(1); // SPICE_COMMON_CAP_AUTH_SPICE
    expect(sent[4]).toBe(0);
    expect([...sent.subarray(5)]).toEqual(short);
    expect([...sentTicket(Array.from({ length: 128 }, () => 7)).subarray(4)]).toEqual(new Array(128).fill(7));
  });

  it('every ticket spice-html5 encrypts decrypts with the server’s key (hundreds of tries hit the short ones)', () => {
    modules.fixSpiceTicketPadding();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const der = publicKey.export({ format: 'der', type: 'spki' });
    expect(der.length).toBe(162);
    const buffer = new Uint8Array(der).buffer;
    const rsa = modules.create_rsa_from_mb(buffer, 0);
    // About 1 in 256 encryptions comes out one byte short; without the fix those do not decrypt.
    for (let i = 0; i < 400; i++) {
      const encrypted = modules.rsa_encrypt(rsa, `pw${i}\0`);
      const sent = sentTicket(encrypted);
      const plain = privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        sent.subarray(4),
      );
      expect(plain.toString('latin1')).toBe(`pw${i}\0`);
    }
  });
});
