import type { Readable } from 'node:stream';
import type { DomainScreenshot } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { children, child, parseXmlDocument } from '../domains/domain-xml-parse';

/** The largest screenshot read into memory (a 4K RGB PPM is ~25 MiB). */
export const SCREENSHOT_MAX_BYTES = 32 * 1024 * 1024;

/** The part of the libvirt client a screenshot needs. */
export interface ScreenshotSource {
  streams: { screenshot(ref: { uuid: string }, screen?: number): Promise<{ mime: string | null; stream: Readable }> };
}

/**
 * Reads a guest's screenshot stream to its end. QEMU (libvirt ≥ 7.x with pixman/png) answers
 * image/png; older daemons give image/x-portable-pixmap, passed on as it is.
 */
export async function readScreenshot(
  libvirt: ScreenshotSource,
  uuid: string,
  maxBytes = SCREENSHOT_MAX_BYTES,
): Promise<DomainScreenshot> {
  const { mime, stream } = await libvirt.streams.screenshot({ uuid }, 0);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += bytes.byteLength;
      if (total > maxBytes) throw new ApiFailure('io', `The screenshot is larger than ${maxBytes} bytes`);
      chunks.push(bytes);
    }
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
  if (total === 0) throw new ApiFailure('io', 'libvirt returned an empty screenshot');
  return { mime: mime ?? 'application/octet-stream', dataBase64: Buffer.concat(chunks, total).toString('base64') };
}

/**
 * The password of graphics device #channel in a domain XML read with VIR_DOMAIN_XML_SECURE, or null
 * when it has none (or the XML was read without SECURE, which drops the attribute).
 */
export function graphicsPassword(xml: string, channel: number): string | null {
  const domain = parseXmlDocument(xml, 'The domain XML');
  const devices = child(domain, 'devices');
  const graphics = devices ? children(devices, 'graphics')[channel] : undefined;
  if (!graphics) throw new ApiFailure('not-found', `The guest has no graphics device #${channel}`);
  return graphics.hasAttribute('passwd') ? graphics.getAttribute('passwd') : null;
}
