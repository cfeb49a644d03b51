/**
 * SPICE console benchmark (a measurement, not a test): opens the lab's SPICE guest N times through the
 * main services (an ApiRouter from createAppServices, one 'console.graphics' stream per SPICE channel, no
 * browser) over one SSH connection, and speaks the SPICE link protocol as spice-html5 does: main channel
 * link + ticket → MAIN_INIT → ATTACH_CHANNELS → CHANNELS_LIST → display channel link + ticket →
 * DISPLAY_INIT → first drawing. Prints one JSON line with the median (and min/max) of each stage, in ms
 * from asking for the first stream:
 *
 *   channel_ms        the main channel's stream is open (SSH direct-tcpip channel to the SPICE port)
 *   handshake_ms      the main channel's link and ticket were accepted (SPICE link handshake done)
 *   display_ms        the display channel (its own stream, opened while the main channel links, as the
 *                     app does) is linked and authenticated
 *   frame_ms          the first drawing message of the display channel arrived (what spice-html5 draws)
 *
 *   npm run bench -- spice [--runs 10] [--guest vd-spice-1] [--port 2722] [--delay-ms 0]
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { SPICE_MAGIC } from '../../main/services/consoles/spice-link';
import { BenchPeer } from './console-bench';
import { runConsoleBench, type Router } from './console-bench-runner';


const CHANNEL_MAIN = 1;
const CHANNEL_DISPLAY = 2;
/** Common caps: PROTOCOL_AUTH_SELECTION, AUTH_SPICE, MINI_HEADER (as spice-html5 sends them). */
const COMMON_CAPS = (1 << 0) | (1 << 1) | (1 << 3);
const MSG_SET_ACK = 3;
const MSG_PING = 4;
const MSG_MAIN_INIT = 103;
const MSG_MAIN_CHANNELS_LIST = 104;
const MSGC_ACK_SYNC = 1;
const MSGC_PONG = 3;
const MSGC_MAIN_ATTACH_CHANNELS = 104;
const MSGC_DISPLAY_INIT = 101;
/** DRAW_FILL … DRAW_COMPOSITE, and stream data: what puts pixels on the canvas. */
const isDrawing = (type: number) => (type >= 302 && type <= 318) || type === 123;

function message(type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(type, 0);
  header.writeUInt32LE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** Links one SPICE channel on an open stream and authenticates with `password`. */
async function link(peer: BenchPeer, connectionId: number, channelType: number, password: string): Promise<void> {
  const mess = Buffer.alloc(16 + 22);
  mess.writeUInt32LE(SPICE_MAGIC, 0);
  mess.writeUInt32LE(2, 4);
  mess.writeUInt32LE(2, 8);
  mess.writeUInt32LE(22, 12);
  mess.writeUInt32LE(connectionId, 16);
  mess.writeUInt8(channelType, 20);
  mess.writeUInt8(0, 21);
  mess.writeUInt32LE(1, 22); // one common caps word
  mess.writeUInt32LE(0, 26); // no channel caps
  mess.writeUInt32LE(18, 30); // caps offset from the start of SpiceLinkMess
  mess.writeUInt32LE(COMMON_CAPS, 34);
  peer.write(mess);
  const header = await peer.read(16);
  if (header.readUInt32LE(0) !== SPICE_MAGIC) throw new Error('not a SPICE server');
  const reply = await peer.read(header.readUInt32LE(12));
  const error = reply.readUInt32LE(0);
  if (error !== 0) throw new Error(`SPICE link error ${error}`);
  const key = createPublicKey({ key: reply.subarray(4, 4 + 162), format: 'der', type: 'spki' });
  const ticket = publicEncrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(`${password}\0`, 'utf8'),
  );
  const auth = Buffer.alloc(4);
  auth.writeUInt32LE(1, 0); // SPICE_COMMON_CAP_AUTH_SPICE
  peer.write(Buffer.concat([auth, ticket]));
  const result = (await peer.read(4)).readUInt32LE(0);
  if (result !== 0) throw new Error(`SPICE authentication refused (${result})`);
}

/** Reads messages, answering SET_ACK and PING, until `want(type, body)` is true. */
async function until(peer: BenchPeer, want: (type: number, body: Buffer) => boolean): Promise<Buffer> {
  for (;;) {
    const header = await peer.read(6);
    const type = header.readUInt16LE(0);
    const body = await peer.read(header.readUInt32LE(2));
    if (type === MSG_SET_ACK) {
      peer.write(message(MSGC_ACK_SYNC, body.subarray(0, 4)));
    } else if (type === MSG_PING) {
      peer.write(message(MSGC_PONG, body.subarray(0, 12)));
    }
    if (want(type, body)) return body;
  }
}

type Stage = 'channel_ms' | 'handshake_ms' | 'display_ms' | 'frame_ms';

async function oneSession(router: Router, hostId: string, domainUuid: string): Promise<Record<Stage, number>> {
  const started = performance.now();
  const at = () => performance.now() - started;
  const main = new BenchPeer();
  const display = new BenchPeer();
  const opened = await router.openStream('console.graphics', { hostId, domainUuid, channel: 0 }, main);
  if (!opened.ok) throw new Error(`console.graphics: ${opened.error.message}`);
  const channel = at();
  // Like the app: the display channel's stream opens while the main channel links.
  const secondOpening = router.openStream('console.graphics', { hostId, domainUuid, channel: 0 }, display);
  try {
    await link(main, 0, CHANNEL_MAIN, '');
    const handshake = at();
    const init = await until(main, (type) => type === MSG_MAIN_INIT);
    const sessionId = init.readUInt32LE(0);
    main.write(message(MSGC_MAIN_ATTACH_CHANNELS));
    const list = await until(main, (type) => type === MSG_MAIN_CHANNELS_LIST);
    const count = list.readUInt32LE(0);
    const types = Array.from({ length: count }, (_, i) => list.readUInt8(4 + i * 2));
    if (!types.includes(CHANNEL_DISPLAY)) throw new Error(`no display channel (channels ${types.join(',')})`);
    const second = await secondOpening;
    if (!second.ok) throw new Error(`console.graphics: ${second.error.message}`);
    await link(display, sessionId, CHANNEL_DISPLAY, '');
    const displayMs = at();
    const initBody = Buffer.alloc(14);
    initBody.writeUInt8(1, 0);
    initBody.writeBigInt64LE(BigInt(10 * 1024 * 1024), 1);
    initBody.writeUInt8(0, 9);
    initBody.writeInt32LE(0, 10);
    display.write(message(MSGC_DISPLAY_INIT, initBody));
    await until(display, (type) => isDrawing(type));
    return { channel_ms: channel, handshake_ms: handshake, display_ms: displayMs, frame_ms: at() };
  } finally {
    display.end();
    main.end();
  }
}

export function spiceBenchMain(argv: readonly string[]): Promise<number> {
  return runConsoleBench(
    {
      name: 'spice',
      defaultGuest: 'vd-spice-1',
      graphics: 'spice',
      stages: ['channel_ms', 'handshake_ms', 'display_ms', 'frame_ms'],
      pauseMs: 100,
      session: oneSession,
    },
    argv,
  );
}
