/**
 * A passive reader of the SPICE link handshake of one channel, fed the bytes a tunnel carries each way
 * (it never changes them). It tells which channel a connection is (main, display, inputs…) and whether
 * the link and the authentication succeeded: the tunnels' own evidence that a viewer really got in.
 *
 * Wire format (spice-protocol, all little endian):
 *   client → server: SpiceLinkHeader {magic "REDQ", major, minor, size} + SpiceLinkMess
 *                    {connection_id u32, channel_type u8, channel_id u8, caps…}, then the ticket
 *   server → client: SpiceLinkHeader + SpiceLinkReply {error u32, pub_key[162], caps…} (size bytes),
 *                    then the authentication result u32 (0 = SPICE_LINK_ERR_OK)
 */

/** "REDQ" read as a little-endian u32. */
export const SPICE_MAGIC = 0x51444552;
const HEADER_BYTES = 16;

export const SPICE_CHANNEL_NAMES: Record<number, string> = {
  1: 'main',
  2: 'display',
  3: 'inputs',
  4: 'cursor',
  5: 'playback',
  6: 'record',
  7: 'tunnel',
  8: 'smartcard',
  9: 'usbredir',
  10: 'port',
  11: 'webdav',
};

export type SpiceLinkState =
  | 'linking'
  /** The server accepted the link and the ticket: the channel is up. */
  | 'ready'
  /** The server refused the link (error code) or the ticket (auth result). */
  | 'refused'
  /** The bytes are not SPICE. */
  | 'not-spice';

export class SpiceLinkObserver {
  /** The SPICE channel type the client asked for (1 = main, 2 = display…), once known. */
  channelType: number | null = null;
  channelId: number | null = null;
  state: SpiceLinkState = 'linking';
  /** SpiceLinkReply.error, then the authentication result, when not 0. */
  error: number | null = null;
  private client = Buffer.alloc(0);
  private server = Buffer.alloc(0);
  private clientDone = false;

  constructor(private readonly onChange: (observer: SpiceLinkObserver) => void = () => undefined) {}

  get channelName(): string | null {
    return this.channelType === null ? null : (SPICE_CHANNEL_NAMES[this.channelType] ?? `type-${this.channelType}`);
  }

  /** Bytes the viewer sent. */
  fromClient(chunk: Uint8Array): void {
    if (this.clientDone || this.state !== 'linking') return;
    this.client = Buffer.concat([this.client, chunk]);
    if (this.client.length < HEADER_BYTES + 6) return;
    this.clientDone = true;
    if (this.client.readUInt32LE(0) !== SPICE_MAGIC) {
      this.finish('not-spice', null);
      return;
    }
    this.channelType = this.client.readUInt8(HEADER_BYTES + 4);
    this.channelId = this.client.readUInt8(HEADER_BYTES + 5);
    this.client = Buffer.alloc(0);
    this.onChange(this);
  }

  /** Bytes the server sent. */
  fromServer(chunk: Uint8Array): void {
    if (this.state !== 'linking') return;
    this.server = Buffer.concat([this.server, chunk]);
    if (this.server.length < HEADER_BYTES) return;
    if (this.server.readUInt32LE(0) !== SPICE_MAGIC) {
      this.finish('not-spice', null);
      return;
    }
    const size = this.server.readUInt32LE(12);
    if (this.server.length < HEADER_BYTES + Math.min(size, 4)) return;
    const linkError = size >= 4 ? this.server.readUInt32LE(HEADER_BYTES) : 0;
    if (linkError !== 0) {
      this.finish('refused', linkError);
      return;
    }
    if (this.server.length < HEADER_BYTES + size + 4) return;
    const auth = this.server.readUInt32LE(HEADER_BYTES + size);
    this.finish(auth === 0 ? 'ready' : 'refused', auth === 0 ? null : auth);
  }

  private finish(state: SpiceLinkState, error: number | null): void {
    this.state = state;
    this.error = error;
    this.client = Buffer.alloc(0);
    this.server = Buffer.alloc(0);
    this.onChange(this);
  }
}
