/** The parts of spice-html5 0.2.1 (`@spice-project/spice-html5`, ES modules in src/) VirtDeck uses; it ships no types. */
declare module '@spice-project/spice-html5' {
  export interface SpiceMainConnOptions {
    /** The WebSocket URI of the main channel; every other channel is opened on the same URI. */
    uri: string;
    password: string;
    /** Id of the element the display canvas is appended to. */
    screen_id: string;
    message_id?: string;
    onerror?: (error: Error) => void;
    onsuccess?: (message: string) => void;
    onagent?: (connection: SpiceMainConn) => void;
  }

  /** One SPICE channel (main, display, inputs, cursor, playback…). */
  export interface SpiceChannelConn {
    state: string;
    type: number;
    send_msg(message: SpiceMiniDataLike): void;
  }

  export interface SpiceMiniDataLike {
    build_msg(type: number, payload: unknown): void;
  }

  export class SpiceMainConn implements SpiceChannelConn {
    constructor(options: SpiceMainConnOptions);
    state: string;
    type: number;
    inputs?: SpiceChannelConn;
    display?: SpiceChannelConn & { primary_surface?: number };
    send_msg(message: SpiceMiniDataLike): void;
    stop(): void;
  }
}

declare module '@spice-project/spice-html5/src/spicemsg.js' {
  import type { SpiceMiniDataLike } from '@spice-project/spice-html5';
  export class SpiceMiniData implements SpiceMiniDataLike {
    build_msg(type: number, payload: unknown): void;
  }
  export class SpiceMsgcKeyDown {
    code: number;
  }
  export class SpiceMsgcKeyUp {
    code: number;
  }
}

declare module '@spice-project/spice-html5/src/enums.js' {
  export const Constants: {
    SPICE_MSGC_INPUTS_KEY_DOWN: number;
    SPICE_MSGC_INPUTS_KEY_UP: number;
    SPICE_TICKET_KEY_PAIR_LENGTH: number;
    [name: string]: number;
  };
}

declare module '@spice-project/spice-html5/src/spiceconn.js' {
  /** The base of every channel; VirtDeck patches send_ticket (see spice-fixes.ts). */
  export class SpiceConn {
    send_ticket(ticket: number[] | null): void;
  }
}
