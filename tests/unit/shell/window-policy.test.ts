import { describe, expect, it } from 'vitest';
import { decideWindowOpen } from '../../../main/shell/window-policy';

describe('decideWindowOpen', () => {
  const origin = 'app://virtdeck';
  it('opens VirtDeck console routes as app windows', () => {
    expect(decideWindowOpen('app://virtdeck/index.html#console/serial/h1/e30c6b22-d71c-4d87-af7b-8d9b3524999f', origin)).toBe('console-window');
  });
  it('refuses other app pages, other origins and odd schemes', () => {
    expect(decideWindowOpen('app://virtdeck/index.html#fleet', origin)).toBe('deny');
    expect(decideWindowOpen('app://evil/index.html#console/serial/h1/x', origin)).toBe('deny');
    expect(decideWindowOpen('file:///etc/passwd#console/x', origin)).toBe('deny');
    expect(decideWindowOpen('javascript:alert(1)', origin)).toBe('deny');
  });
  it('sends web links to the browser', () => {
    expect(decideWindowOpen('https://libvirt.org/formatdomain.html', origin)).toBe('external');
  });
});
