import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiRouter, type CallHandlers } from '../../../main/api/api-router';
import { ApiFailure } from '../../../main/services/api-failure';
import { ApiEventBus } from '../../../main/api/event-bus';
import type { AppInfo, HostEntry } from '../../../preload/api-contract';

const info: AppInfo = { name: 'VirtDeck', version: '0.0.0', transport: 'serve', platform: 'linux', configDir: '/tmp/x' };

function routerWith(overrides: Partial<CallHandlers> = {}): ApiRouter {
  const unreachable = { request: z.never(), handle: () => Promise.reject(new Error('not in this test')) };
  const calls = {
    'app.getInfo': { request: z.null(), handle: async () => info },
    'hosts.list': { request: z.null(), handle: async (): Promise<HostEntry[]> => [] },
    'hosts.add': unreachable,
    'hosts.update': unreachable,
    'hosts.remove': {
      request: z.object({ hostId: z.string().min(1) }),
      handle: async ({ hostId }: { hostId: string }) => {
        if (hostId === 'boom') throw new Error('disk on fire');
        throw new ApiFailure('not-found', `No saved host has id ${hostId}`);
      },
    },
    ...overrides,
  } as CallHandlers;
  return new ApiRouter(calls, {}, new ApiEventBus());
}

describe('ApiRouter', () => {
  it('answers a valid call with ok and the handler value', async () => {
    expect(await routerWith().call('app.getInfo', null)).toEqual({ ok: true, value: info });
  });

  it('refuses an unknown channel with a typed error', async () => {
    const result = await routerWith().call('hosts.format', null);
    expect(result).toEqual({ ok: false, error: { code: 'unknown-channel', message: 'Unknown call "hosts.format"' } });
  });

  it('validates the request and names the wrong field', async () => {
    const result = await routerWith().call('hosts.remove', { hostId: 42 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid-request');
    expect(result.error.field).toBe('hostId');
    expect(result.error.message).toMatch(/Invalid request for hosts\.remove \(hostId\)/);
  });

  it('refuses a request where none is expected', async () => {
    const result = await routerWith().call('hosts.list', { sneaky: true });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
  });

  it('passes typed failures through and turns bugs into internal errors', async () => {
    expect(await routerWith().call('hosts.remove', { hostId: 'nope' })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'No saved host has id nope' },
    });
    expect(await routerWith().call('hosts.remove', { hostId: 'boom' })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'disk on fire' },
    });
  });

  it('refuses unknown event names and stream kinds', async () => {
    const router = routerWith();
    expect(() => router.subscribe('hosts.exploded', () => undefined)).toThrow(/Unknown event/);
    const peer = { send: () => true, close: () => undefined, onData: () => undefined, onClose: () => undefined, onDrain: () => undefined };
    expect(await router.openStream('console.telepathy', {}, peer)).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await router.openStream('console.serial', {}, peer)).toMatchObject({
      ok: false,
      error: { code: 'unknown-channel', message: 'No handler serves stream kind "console.serial" yet' },
    });
  });

  it('delivers events to subscribers until they unsubscribe', () => {
    const router = routerWith();
    const seen: number[] = [];
    const stop = router.subscribe('hosts.changed', (payload) => seen.push('hosts' in payload ? payload.hosts.length : -1));
    router.events.publish('hosts.changed', { hosts: [] });
    stop();
    router.events.publish('hosts.changed', { hosts: [] });
    expect(seen).toEqual([0]);
    expect(router.events.listenerCount('hosts.changed')).toBe(0);
  });
});
