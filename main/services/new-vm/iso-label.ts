/**
 * An ISO's identifiers from its ISO 9660 primary volume descriptor (sector 16: bytes 32768–34815),
 * read through libvirt's volume download stream with an offset and a length: no shell on the host.
 */
import type { LibvirtClient } from '../../libvirt/client';
import type { IsoIdentifiers } from './os-catalog';

export const SECTOR = 2048;
export const PVD_OFFSET = 16 * SECTOR;

/** The primary volume descriptor's identifiers, or null when `sector` is not one. */
export function parsePrimaryVolumeDescriptor(sector: Uint8Array): IsoIdentifiers | null {
  if (sector.length < 1395) return null;
  const magic = Buffer.from(sector.subarray(1, 6)).toString('latin1');
  if (sector[0] !== 1 || magic !== 'CD001' || sector[6] !== 1) return null;
  // a-/d-characters are ASCII; latin1 keeps any stray byte as one character instead of failing.
  const field = (start: number, length: number) => Buffer.from(sector.subarray(start, start + length)).toString('latin1').replace(/[\s\0]+$/, '');
  return {
    systemId: field(8, 32),
    volumeId: field(40, 32),
    publisherId: field(318, 128),
    applicationId: field(574, 128),
  };
}

/** Reads `length` bytes at `offset` of a volume (by path) through libvirt's download stream. */
export async function readVolumeBytes(libvirt: LibvirtClient, path: string, offset: number, length: number): Promise<Buffer> {
  const stream = await libvirt.streams.volumeDownload({ path }, { offset: BigInt(offset), length: BigInt(length), timeoutMs: 30_000 });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    chunks.push(bytes);
    size += bytes.length;
    if (size > length) break;
  }
  if (size > length) stream.destroy();
  return Buffer.concat(chunks).subarray(0, length);
}

/** The ISO identifiers of a volume, or null when it is not an ISO 9660 image. */
export async function readIsoIdentifiers(libvirt: LibvirtClient, path: string): Promise<IsoIdentifiers | null> {
  return parsePrimaryVolumeDescriptor(await readVolumeBytes(libvirt, path, PVD_OFFSET, SECTOR));
}
