import { describe, expect, it } from 'vitest';
import { KEY_COMBOS, charKey, comboEvents, functionKey, textEvents } from '../../../renderer/src/consoles/vnc-keys';

describe('vnc keys', () => {
  it('maps F-keys to X keysyms and combos press in order, release in reverse', () => {
    expect(functionKey(1)).toEqual({ keysym: 0xffbe, code: 'F1' });
    expect(functionKey(12)).toEqual({ keysym: 0xffc9, code: 'F12' });
    const f2 = KEY_COMBOS.find((combo) => combo.id === 'ctrl-alt-f2');
    expect(comboEvents(f2?.keys ?? []).map((e) => `${e.key.code}${e.down ? '↓' : '↑'}`)).toEqual([
      'ControlLeft↓', 'AltLeft↓', 'F2↓', 'F2↑', 'AltLeft↑', 'ControlLeft↑',
    ]);
    expect(KEY_COMBOS.map((combo) => combo.label)).toContain('PrintScreen');
  });

  it('holds Shift around upper case and shifted symbols (US layout)', () => {
    expect(charKey('a')).toEqual({ key: { keysym: 0x61, code: 'KeyA' }, shift: false });
    expect(charKey('V')).toEqual({ key: { keysym: 0x56, code: 'KeyV' }, shift: true });
    expect(charKey('$')).toEqual({ key: { keysym: 0x24, code: 'Digit4' }, shift: true });
    expect(charKey('"')).toEqual({ key: { keysym: 0x22, code: 'Quote' }, shift: true });
    expect(charKey('é')).toBeNull();
    const { events, skipped } = textEvents('Ab\né');
    expect(skipped).toBe(1);
    expect(events.map((e) => `${e.key.code}${e.down ? '↓' : '↑'}`)).toEqual([
      'ShiftLeft↓', 'KeyA↓', 'KeyA↑', 'ShiftLeft↑', 'KeyB↓', 'KeyB↑', 'Enter↓', 'Enter↑',
    ]);
  });
});
