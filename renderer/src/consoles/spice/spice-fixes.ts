import { SpiceConn } from '@spice-project/spice-html5/src/spiceconn.js';
import { Constants } from '@spice-project/spice-html5/src/enums.js';

/** Bytes of an RSA-1024 ticket. */
const TICKET_BYTES = Constants.SPICE_TICKET_KEY_PAIR_LENGTH / 8;
let applied = false;

/**
 * spice-html5 0.2.1 turns the RSA-encrypted ticket into bytes through a hex string without its leading
 * zero bytes, then writes them left-aligned into the 128-byte ticket. About one ticket in 256 (a few per
 * cent of sessions, each opens 4–5 channels) then reads as a number larger than the key's modulus, and
 * the server refuses the channel ("failed to decrypt RSA encrypted password", Permission denied) even
 * when the display has no password. This puts the missing leading zeros back (the big-endian number is
 * right-aligned, as RSA requires). Applied once, to spice-html5's own SpiceConn.
 */
export function fixSpiceTicketPadding(): void {
  if (applied) return;
  applied = true;
  const original = SpiceConn.prototype.send_ticket;
  SpiceConn.prototype.send_ticket = function (this: unknown, ticket: number[] | null) {
    const padded =
      Array.isArray(ticket) && ticket.length < TICKET_BYTES
        ? [...new Array<number>(TICKET_BYTES - ticket.length).fill(0), ...ticket]
        : ticket;
    original.call(this, padded);
  };
}
