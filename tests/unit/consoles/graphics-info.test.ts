import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ApiFailure } from '../../../main/services/api-failure';
import { graphicsPassword, readScreenshot } from '../../../main/services/consoles/graphics-info';
import { createCallHandlers, type CallHandlerDeps } from '../../../main/api/call-handlers';
import type { LibvirtHostLink } from '../../../main/services/connections/libvirt-host-link';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

const source = (mime: string | null, chunks: Buffer[]) => ({
  streams: { screenshot: async () => ({ mime, stream: Readable.from(chunks) }) },
});

const domainXml = (graphics: string) =>
  `<domain type="kvm"><name>g</name><uuid>u</uuid><devices>${graphics}</devices></domain>`;

describe('readScreenshot', () => {
  it('reads the whole stream and keeps the MIME type libvirt reports', async () => {
    const shot = await readScreenshot(source('image/png', [PNG.subarray(0, 5), PNG.subarray(5)]), 'u');
    expect(shot.mime).toBe('image/png');
    expect(Buffer.from(shot.dataBase64, 'base64')).toEqual(PNG);
    const ppm = await readScreenshot(source('image/x-portable-pixmap', [Buffer.from('P6\n1 1\n255\nabc')]), 'u');
    expect(ppm.mime).toBe('image/x-portable-pixmap');
  });

  it('refuses a screenshot over the cap and an empty one', async () => {
    await expect(readScreenshot(source('image/png', [PNG, PNG]), 'u', 16)).rejects.toBeInstanceOf(ApiFailure);
    await expect(readScreenshot(source('image/png', []), 'u')).rejects.toThrow(/empty/);
  });
});

describe('graphicsPassword', () => {
  it('returns the passwd of the chosen device, null without one', () => {
    const xml = domainXml(
      `<graphics type="vnc" port="5900"/><graphics type="vnc" port="5901" passwd="s3cr3t"><listen type="address"/></graphics>`,
    );
    expect(graphicsPassword(xml, 0)).toBeNull();
    expect(graphicsPassword(xml, 1)).toBe('s3cr3t');
    expect(() => graphicsPassword(xml, 2)).toThrow(ApiFailure);
  });
});

describe('domain.graphicsPassword call', () => {
  it('reads the live XML with VIR_DOMAIN_XML_SECURE', async () => {
    const flagsSeen: number[] = [];
    const link = {
      hostId: 'h1',
      libvirt: {
        domain: {
          getXml: async (_ref: unknown, flags: number) => {
            flagsSeen.push(flags);
            return domainXml(flags & 1 ? `<graphics type="vnc" passwd="pw"/>` : `<graphics type="vnc"/>`);
          },
        },
      },
    } as unknown as LibvirtHostLink;
    // appInfo: other handlers read its configDir when the handler table is built.
    const deps = { connections: { link: () => link }, appInfo: { configDir: '/nonexistent' } } as unknown as CallHandlerDeps;
    const handler = createCallHandlers(deps)['domain.graphicsPassword'];
    const request = handler.request.parse({ hostId: 'h1', uuid: 'e30c6b22-d71c-4d87-af7b-8d9b3524999f', channel: 0 });
    expect(await handler.handle(request)).toEqual({ password: 'pw' });
    expect(flagsSeen).toEqual([1]);
  });
});
