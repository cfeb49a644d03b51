import { SpiceMainConn } from '@spice-project/spice-html5';
import { Constants } from '@spice-project/spice-html5/src/enums.js';
import { SpiceMiniData, SpiceMsgcKeyDown, SpiceMsgcKeyUp } from '@spice-project/spice-html5/src/spicemsg.js';
import type { ByteChannel } from '../../api';
import { SPICE_SESSIONS, SPICE_URI_SCHEME, withSpiceSockets, type SpiceChannelSocket } from './spice-channel-socket';
import { fixSpiceTicketPadding } from './spice-fixes';
import { scancodeOf, spiceKeyValue } from './spice-scancodes';

fixSpiceTicketPadding();

export type SpiceStage = 'channelMs' | 'handshakeMs' | 'firstFrameMs';

export type SpiceEnd =
  /** The server refused the password (or none was given and one is needed). */
  | { kind: 'password' }
  /** The channel failed or closed; `reason` is the transport's message when there is one. */
  | { kind: 'closed'; reason: string | null };

export interface SpiceSessionOptions {
  /** Opens one byte channel to the guest's SPICE listener; called once per SPICE channel. */
  open: () => Promise<ByteChannel>;
  password: string;
  /** The element the display canvas goes into; it needs a document-unique id (spice-html5 looks it up). */
  screen: HTMLElement;
  onStage: (stage: SpiceStage) => void;
  onConnected: () => void;
  onEnd: (end: SpiceEnd) => void;
}

/** A SPICE channel as the UI lists it. */
export interface SpiceChannelInfo {
  name: string;
  state: string;
}

interface SpiceConnLike {
  state?: string;
  channel_type?: () => string;
}

let sessionCounter = 0;

/**
 * One spice-html5 session whose every SPICE channel travels through its own VirtDeck byte channel
 * (see SpiceChannelSocket). Keyboard input is sent as physical-key scan codes by VirtDeck (spice-html5's
 * own keyCode table covers few keys and alerts on the others), mouse input by spice-html5.
 */
export class SpiceSession {
  private readonly id = `s${Date.now().toString(36)}${(sessionCounter++).toString(36)}`;
  private readonly sockets: SpiceChannelSocket[] = [];
  private conn: SpiceMainConn | null = null;
  private ended = false;
  private handshakeDone = false;
  private frameSeen = false;
  private frameCheckPending = false;
  private frameChecksLeft = 0;

  constructor(private readonly options: SpiceSessionOptions) {}

  start(): void {
    const { screen } = this.options;
    SPICE_SESSIONS.set(this.id, {
      count: 0,
      open: this.options.open,
      created: (socket, index) => {
        this.sockets.push(socket);
        if (index === 0) socket.addEventListener('open', () => this.options.onStage('channelMs'), { once: true });
        socket.onreceived = () => this.afterData();
        // The main channel ending ends the session; spice-html5 reports that through onerror only
        // while it is not closing, so watch it here too.
        if (index === 0) {
          socket.addEventListener('close', () => {
            // A server that drops the connection while checking the ticket refused the password.
            const conn = (socket as unknown as { parent?: SpiceConnLike }).parent;
            this.end(conn?.state === 'ticket' ? { kind: 'password' } : { kind: 'closed', reason: socket.reason });
          });
        }
      },
    });
    try {
      this.conn = withSpiceSockets(
        () =>
          new SpiceMainConn({
            uri: `${SPICE_URI_SCHEME}//${this.id}/`,
            password: this.options.password,
            screen_id: screen.id,
            onerror: (error) => this.failed(error),
            onsuccess: () => {
              if (this.ended || this.handshakeDone) return;
              this.handshakeDone = true;
              this.options.onStage('handshakeMs');
              this.options.onConnected();
            },
          }),
      );
    } catch (error) {
      this.failed(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Channels spice-html5 opened and their protocol state (main, display, inputs, cursor…). */
  channels(): SpiceChannelInfo[] {
    return this.sockets.map((socket) => {
      const conn = (socket as unknown as { parent?: SpiceConnLike }).parent;
      return { name: conn?.channel_type?.() ?? '?', state: socket.readyState === 3 ? 'closed' : (conn?.state ?? '?') };
    });
  }

  /** Presses or releases a physical key (KeyboardEvent.code); false when it cannot be sent. */
  sendKey(code: string, down: boolean): boolean {
    const inputs = this.conn?.inputs;
    const scancode = scancodeOf(code);
    if (!inputs || inputs.state !== 'ready' || scancode === null) return false;
    const payload = down ? new SpiceMsgcKeyDown() : new SpiceMsgcKeyUp();
    payload.code = spiceKeyValue(scancode, down);
    const message = new SpiceMiniData();
    message.build_msg(down ? Constants.SPICE_MSGC_INPUTS_KEY_DOWN : Constants.SPICE_MSGC_INPUTS_KEY_UP, payload);
    inputs.send_msg(message);
    return true;
  }

  /** Whether the inputs channel is up (keys reach the guest). */
  get inputsReady(): boolean {
    return this.conn?.inputs?.state === 'ready';
  }

  stop(): void {
    this.ended = true;
    SPICE_SESSIONS.delete(this.id);
    const conn = this.conn;
    this.conn = null;
    if (conn) {
      try {
        withSpiceSockets(() => conn.stop());
      } catch {
        // already torn down
      }
    }
    for (const socket of this.sockets) socket.close();
  }

  private failed(error: Error): void {
    const message = error.message;
    if (/Permission denied|Bad password/i.test(message)) this.end({ kind: 'password' });
    else this.end({ kind: 'closed', reason: this.sockets[0]?.reason ?? message });
  }

  private end(end: SpiceEnd): void {
    if (this.ended) return;
    this.stop();
    this.options.onEnd(end);
  }

  /**
   * The first frame: the display canvas is transparent when spice-html5 creates it and every drawing
   * is opaque, so the first opaque pixel after the handshake is the first frame on screen. Images
   * decode asynchronously, so it looks again on the next few animation frames.
   */
  private afterData(): void {
    if (!this.handshakeDone || this.frameSeen || this.ended) return;
    this.frameChecksLeft = 60;
    if (this.frameCheckPending) return;
    this.frameCheckPending = true;
    requestAnimationFrame(() => this.checkFrame());
  }

  private checkFrame(): void {
    this.frameCheckPending = false;
    if (this.frameSeen || this.ended) return;
    const canvas = this.options.screen.querySelector('canvas');
    const context = canvas && canvas.width > 0 && canvas.height > 0 ? canvas.getContext('2d') : null;
    if (context && canvas) {
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4 * 97) {
        if ((data[i] ?? 0) > 0) {
          this.frameSeen = true;
          this.options.onStage('firstFrameMs');
          return;
        }
      }
    }
    if (--this.frameChecksLeft > 0) {
      this.frameCheckPending = true;
      requestAnimationFrame(() => this.checkFrame());
    }
  }
}
