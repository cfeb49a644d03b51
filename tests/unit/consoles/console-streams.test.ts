import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ApiError, StreamCloseInfo } from '../../../preload/api-contract';
import type { ByteStreamPeer } from '../../../main/services/byte-stream-peer';
import { ApiFailure } from '../../../main/services/api-failure';
import { createConsolesStreams as createConsoleStreams } from '../../../main/api/consoles-calls';
import type { LibvirtHostLink } from '../../../main/services/connections/libvirt-host-link';

/** A console whose guest side the test drives: `written` is what reached the guest. */
class FakeConsole extends Duplex {
  written: Buffer[] = [];
  ended = false;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.written.push(chunk);
    cb();
  }
  override _final(cb: () => void): void {
    this.ended = true;
    this.push(null);
    cb();
  }
}

class FakePeer implements ByteStreamPeer {
  sent: Uint8Array[] = [];
  closedWith: { error?: ApiError } | null = null;
  private dataListener: ((data: Uint8Array) => void) | null = null;
  private closeListener: ((info: StreamCloseInfo) => void) | null = null;
  send(data: Uint8Array): boolean {
    this.sent.push(Uint8Array.from(data));
    return true;
  }
  close(error?: ApiError): void {
    if (this.closedWith) return;
    this.closedWith = error ? { error } : {};
    this.closeListener?.(error ? { byPeer: false, error } : { byPeer: false });
  }
  onData(listener: (data: Uint8Array) => void): void {
    this.dataListener = listener;
  }
  onClose(listener: (info: StreamCloseInfo) => void): void {
    this.closeListener = listener;
  }
  onDrain(): void {}
  fromRenderer(text: string): void {
    this.dataListener?.(new TextEncoder().encode(text));
  }
  closeByRenderer(): void {
    this.closedWith = {};
    this.closeListener?.({ byPeer: true });
  }
}

function linkWith(openConsole: (flags: number, device: string | null) => Promise<Duplex>): LibvirtHostLink {
  const libvirt = {
    streams: { console: (_ref: unknown, device: string | null, flags: number) => openConsole(flags, device) },
  };
  return { hostId: 'h1', ssh: null, libvirt } as unknown as LibvirtHostLink;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('console.serial stream', () => {
  it('pipes bytes both ways and ends the console when the renderer closes', async () => {
    const console = new FakeConsole();
    const flags: number[] = [];
    const handler = createConsoleStreams({ link: () => linkWith(async (f) => (flags.push(f), console)) })[
      'console.serial'
    ];
    const peer = new FakePeer();
    await handler?.open({ hostId: 'h1', domainUuid: 'u1', force: true }, peer);
    expect(flags).toEqual([1]);
    console.push(Buffer.from('vd# '));
    peer.fromRenderer('echo hi\r');
    await tick();
    expect(new TextDecoder().decode(peer.sent[0])).toBe('vd# ');
    expect(Buffer.concat(console.written).toString()).toBe('echo hi\r');
    peer.closeByRenderer();
    await tick();
    expect(console.ended).toBe(true);
  });

  it('opens the console device the user chose (by alias), or the first one', async () => {
    const devices: Array<string | null> = [];
    const handler = createConsoleStreams({
      link: () => linkWith(async (_flags, device) => (devices.push(device), new FakeConsole())),
    })['console.serial'];
    await handler?.open({ hostId: 'h1', domainUuid: 'u1', force: false, device: 'console1' }, new FakePeer());
    await handler?.open({ hostId: 'h1', domainUuid: 'u1', force: false }, new FakePeer());
    expect(devices).toEqual(['console1', null]);
  });

  it('refuses a device name that is not an alias', () => {
    const handler = createConsoleStreams({ link: () => null })['console.serial'];
    const parsed = handler?.params.safeParse({ hostId: 'h1', domainUuid: '1e033162-79cd-4585-af5d-88bcfb21844a', force: false, device: '../x y' });
    expect(parsed?.success).toBe(false);
  });

  it('closes the peer cleanly when the guest side ends', async () => {
    const console = new FakeConsole();
    const handler = createConsoleStreams({ link: () => linkWith(async () => console) })['console.serial'];
    const peer = new FakePeer();
    await handler?.open({ hostId: 'h1', domainUuid: 'u1', force: false }, peer);
    console.push(null);
    console.resume();
    await tick();
    expect(peer.closedWith).toEqual({});
  });

  it('reports a console held by another session as a conflict', async () => {
    const busy = new Error('operation failed: Active console session exists for this domain');
    const handler = createConsoleStreams({ link: () => linkWith(() => Promise.reject(busy)) })[
      'console.serial'
    ];
    const opened = handler?.open({ hostId: 'h1', domainUuid: 'u1', force: false }, new FakePeer());
    await expect(opened).rejects.toBeInstanceOf(ApiFailure);
    await expect(opened).rejects.toMatchObject({ code: 'conflict' });
  });

  it('fails with not-found when the host is not connected', async () => {
    const handler = createConsoleStreams({ link: () => null })['console.serial'];
    await expect(
      handler?.open({ hostId: 'h1', domainUuid: 'u1', force: false }, new FakePeer()),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('ends the stream with an error when the console fails (e.g. taken over)', async () => {
    const console = new FakeConsole();
    const handler = createConsoleStreams({ link: () => linkWith(async () => console) })['console.serial'];
    const peer = new FakePeer();
    await handler?.open({ hostId: 'h1', domainUuid: 'u1', force: false }, peer);
    console.destroy(new Error('stream aborted'));
    await tick();
    expect(peer.closedWith?.error?.message).toBe('stream aborted');
  });
});
