/**
 * X keysyms and physical key codes for the graphics console's "Send key" menu and "Type text".
 * noVNC uses QEMU's extended key events (scan codes from `code`) when the server offers them, so the
 * guest sees physical keys: an upper-case letter or a shifted symbol needs Shift held around it.
 * Text is typed as on a US keyboard layout.
 */

/** One key of a sequence: keysym (X11) and KeyboardEvent.code. */
export interface VncKey {
  keysym: number;
  code: string;
}

export const KEY = {
  ControlLeft: { keysym: 0xffe3, code: 'ControlLeft' },
  AltLeft: { keysym: 0xffe9, code: 'AltLeft' },
  ShiftLeft: { keysym: 0xffe1, code: 'ShiftLeft' },
  Delete: { keysym: 0xffff, code: 'Delete' },
  Backspace: { keysym: 0xff08, code: 'Backspace' },
  PrintScreen: { keysym: 0xff61, code: 'PrintScreen' },
  Enter: { keysym: 0xff0d, code: 'Enter' },
  Tab: { keysym: 0xff09, code: 'Tab' },
} as const satisfies Record<string, VncKey>;

/** F1…F12: keysyms 0xffbe…0xffc9. */
export function functionKey(n: number): VncKey {
  if (!Number.isInteger(n) || n < 1 || n > 12) throw new Error(`No key F${n}`);
  return { keysym: 0xffbe + n - 1, code: `F${n}` };
}

/** A named combination of the "Send key" menu: keys pressed in order, released in reverse. */
export interface KeyCombo {
  id: string;
  label: string;
  keys: VncKey[];
}

export const KEY_COMBOS: readonly KeyCombo[] = [
  { id: 'ctrl-alt-del', label: 'Ctrl+Alt+Del', keys: [KEY.ControlLeft, KEY.AltLeft, KEY.Delete] },
  { id: 'ctrl-alt-backspace', label: 'Ctrl+Alt+Backspace', keys: [KEY.ControlLeft, KEY.AltLeft, KEY.Backspace] },
  ...Array.from({ length: 12 }, (_, i) => ({
    id: `ctrl-alt-f${i + 1}`,
    label: `Ctrl+Alt+F${i + 1}`,
    keys: [KEY.ControlLeft, KEY.AltLeft, functionKey(i + 1)],
  })),
  { id: 'print-screen', label: 'PrintScreen', keys: [KEY.PrintScreen] },
];

/** The key presses (down = true, up = false) of a combination. */
export function comboEvents(keys: readonly VncKey[]): { key: VncKey; down: boolean }[] {
  return [...keys.map((key) => ({ key, down: true })), ...[...keys].reverse().map((key) => ({ key, down: false }))];
}

const SYMBOL_CODES: Record<string, [code: string, shifted: boolean]> = {
  ' ': ['Space', false],
  '-': ['Minus', false],
  _: ['Minus', true],
  '=': ['Equal', false],
  '+': ['Equal', true],
  '[': ['BracketLeft', false],
  '{': ['BracketLeft', true],
  ']': ['BracketRight', false],
  '}': ['BracketRight', true],
  '\\': ['Backslash', false],
  '|': ['Backslash', true],
  ';': ['Semicolon', false],
  ':': ['Semicolon', true],
  "'": ['Quote', false],
  '"': ['Quote', true],
  ',': ['Comma', false],
  '<': ['Comma', true],
  '.': ['Period', false],
  '>': ['Period', true],
  '/': ['Slash', false],
  '?': ['Slash', true],
  '`': ['Backquote', false],
  '~': ['Backquote', true],
};
const SHIFTED_DIGITS = ')!@#$%^&*(';

/** The physical key and Shift state of one character, or null when it cannot be typed (non-ASCII). */
export function charKey(char: string): { key: VncKey; shift: boolean } | null {
  if (char === '\n' || char === '\r') return { key: KEY.Enter, shift: false };
  if (char === '\t') return { key: KEY.Tab, shift: false };
  if (char.length !== 1) return null;
  const keysym = char.charCodeAt(0);
  if (keysym < 0x20 || keysym > 0x7e) return null;
  if (char >= 'a' && char <= 'z') return { key: { keysym, code: `Key${char.toUpperCase()}` }, shift: false };
  if (char >= 'A' && char <= 'Z') return { key: { keysym, code: `Key${char}` }, shift: true };
  if (char >= '0' && char <= '9') return { key: { keysym, code: `Digit${char}` }, shift: false };
  const digit = SHIFTED_DIGITS.indexOf(char);
  if (digit >= 0) return { key: { keysym, code: `Digit${digit}` }, shift: true };
  const symbol = SYMBOL_CODES[char];
  return symbol ? { key: { keysym, code: symbol[0] }, shift: symbol[1] } : null;
}

/** The key presses that type `text`, Shift held around shifted characters; skipped = untypable characters. */
export function textEvents(text: string): { events: { key: VncKey; down: boolean }[]; skipped: number } {
  const events: { key: VncKey; down: boolean }[] = [];
  let skipped = 0;
  for (const char of text.replace(/\r\n/g, '\n')) {
    const typed = charKey(char);
    if (!typed) {
      skipped++;
      continue;
    }
    events.push(...comboEvents(typed.shift ? [KEY.ShiftLeft, typed.key] : [typed.key]));
  }
  return { events, skipped };
}
