import { describe, expect, it } from 'vitest';
import { consoleWindowHash, parseConsoleWindowHash } from '../../../renderer/src/consoles/console-window-route';

const uuid = 'e30c6b22-d71c-4d87-af7b-8d9b3524999f';

describe('console window routes', () => {
  it('round-trip serial and graphics consoles, host ids with odd characters included', () => {
    for (const route of [
      { kind: 'serial' as const, hostId: 'h/1 x', domainUuid: uuid, device: 'console1' },
      { kind: 'serial' as const, hostId: 'h1', domainUuid: uuid, device: null },
      { kind: 'graphics' as const, hostId: 'h1', domainUuid: uuid, channel: 2 },
    ]) {
      expect(parseConsoleWindowHash(consoleWindowHash(route))).toEqual(route);
    }
  });

  it('refuses anything else', () => {
    for (const hash of ['', '#fleet', '#console/', `#console/audio/h1/${uuid}`, '#console/serial/h1/not-a-uuid',
      `#console/graphics/h1/${uuid}/99`, `#console/graphics/h1/${uuid}/x`, `#console/serial/h1/${uuid}/a/b`, '#console/serial/%E0%A4%A/x']) {
      expect(parseConsoleWindowHash(hash)).toBeNull();
    }
  });
});
