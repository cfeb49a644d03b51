/**
 * A minimal ISO 9660 image writer for a few small files in the root directory: the cloud-init NoCloud
 * seed. It writes what `genisoimage -volid cidata -joliet -rock` (cloud-localds) writes for the same
 * files: a primary volume descriptor with 8.3 names, Rock Ridge (SUSP "SP"/"ER", "PX" and "NM" entries)
 * carrying the real names, and a Joliet supplementary descriptor (UCS-2 names) — so Linux's iso9660
 * driver, blkid and other readers see `user-data`, `meta-data` and the label. No npm package writes
 * ISO 9660 without native code or a bundled toolchain; this is ECMA-119 + RRIP 1.10 + Joliet, small.
 *
 * Layout (2048-byte sectors): 0–15 system area, 16 primary descriptor, 17 Joliet descriptor,
 * 18 terminator, 19–22 path tables (primary L/M, Joliet L/M), 23 primary root directory,
 * 24 Joliet root directory, 25 the Rock Ridge continuation area (its "ER" entry), then each file's
 * data (shared by both trees).
 */

const SECTOR = 2048;

export interface IsoFile {
  name: string;
  data: Buffer;
}

export interface IsoOptions {
  /** The volume label (cloud-init looks for "cidata"). At most 32 characters (16 for Joliet). */
  volumeId: string;
  files: IsoFile[];
  /** Recording date of everything (default now). */
  date?: Date;
  applicationId?: string;
}

const both32 = (value: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(value, 0);
  b.writeUInt32BE(value, 4);
  return b;
};
const both16 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(value, 0);
  b.writeUInt16BE(value, 2);
  return b;
};

function padded(text: string, length: number, encoding: 'ascii' | 'ucs2'): Buffer {
  if (encoding === 'ascii') return Buffer.from(text.padEnd(length, ' ').slice(0, length), 'latin1');
  const out = Buffer.alloc(length);
  for (let i = 0; i + 1 < length; i += 2) out.writeUInt16BE(0x0020, i); // UCS-2 spaces
  const chars = [...text].slice(0, Math.floor(length / 2));
  chars.forEach((ch, i) => out.writeUInt16BE(ch.charCodeAt(0), i * 2));
  return out;
}

function recordDate(date: Date): Buffer {
  return Buffer.from([
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0, // GMT offset in 15-minute steps
  ]);
}

function descriptorDate(date: Date | null): Buffer {
  if (!date) return Buffer.concat([Buffer.from('0000000000000000', 'latin1'), Buffer.from([0])]);
  const two = (n: number) => String(n).padStart(2, '0');
  const text =
    String(date.getUTCFullYear()).padStart(4, '0') +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    '00';
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from([0])]);
}

/** ISO 9660 level 1 name: d-characters, 8.3, version ;1 (what genisoimage makes of "user-data": USER_DAT.;1). */
export function isoLevel1Name(name: string, taken: Set<string>): string {
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const dot = name.lastIndexOf('.');
  const base = clean(dot > 0 ? name.slice(0, dot) : name);
  const ext = clean(dot > 0 ? name.slice(dot + 1) : '').slice(0, 3);
  let candidate = `${base.slice(0, 8)}.${ext};1`;
  for (let n = 1; taken.has(candidate); n++) {
    const suffix = String(n);
    candidate = `${base.slice(0, 8 - suffix.length)}${suffix}.${ext};1`;
  }
  taken.add(candidate);
  return candidate;
}

/** A System Use entry (SUSP): signature, length, version 1, payload. */
function susp(signature: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(signature, 'latin1'), Buffer.from([4 + payload.length, 1]), payload]);
}

/** RRIP 1.10 "PX": mode, links, uid, gid (each both-endian 32). */
function posixAttributes(mode: number, links: number): Buffer {
  return susp('PX', Buffer.concat([both32(mode), both32(links), both32(0), both32(0)]));
}

const RRIP_ID = 'RRIP_1991A';
const RRIP_DESCRIPTOR = 'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS';
const RRIP_SOURCE =
  'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.';

function directoryRecord(options: {
  identifier: Buffer;
  extent: number;
  size: number;
  directory: boolean;
  date: Date;
  systemUse?: Buffer;
}): Buffer {
  const id = options.identifier;
  const pad = id.length % 2 === 0 ? 1 : 0;
  const systemUse = options.systemUse ?? Buffer.alloc(0);
  let length = 33 + id.length + pad + systemUse.length;
  const trailing = length % 2; // records have even length
  length += trailing;
  if (length > 255) throw new Error('a directory record is too long');
  return Buffer.concat([
    Buffer.from([length, 0]),
    both32(options.extent),
    both32(options.size),
    recordDate(options.date),
    Buffer.from([options.directory ? 2 : 0, 0, 0]),
    both16(1),
    Buffer.from([id.length]),
    id,
    Buffer.alloc(pad),
    systemUse,
    Buffer.alloc(trailing),
  ]);
}

function pathTable(rootExtent: number, bigEndian: boolean): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 1; // identifier length (root: one 0x00 byte)
  b[1] = 0;
  if (bigEndian) {
    b.writeUInt32BE(rootExtent, 2);
    b.writeUInt16BE(1, 6);
  } else {
    b.writeUInt32LE(rootExtent, 2);
    b.writeUInt16LE(1, 6);
  }
  return b; // identifier byte 0x00 and the pad byte are already zero
}

function volumeDescriptor(options: {
  type: 1 | 2;
  volumeId: string;
  applicationId: string;
  totalSectors: number;
  lPathTable: number;
  mPathTable: number;
  rootRecord: Buffer;
  date: Date;
}): Buffer {
  const d = Buffer.alloc(SECTOR);
  const enc = options.type === 1 ? 'ascii' : 'ucs2';
  d[0] = options.type;
  d.write('CD001', 1, 'latin1');
  d[6] = 1;
  padded('LINUX', 32, enc).copy(d, 8);
  padded(options.volumeId, 32, enc).copy(d, 40);
  both32(options.totalSectors).copy(d, 80);
  if (options.type === 2) d.write('%/E', 88, 'latin1'); // Joliet level 3 (UCS-2)
  both16(1).copy(d, 120); // volume set size
  both16(1).copy(d, 124); // volume sequence number
  both16(SECTOR).copy(d, 128);
  both32(10).copy(d, 132); // path table size
  d.writeUInt32LE(options.lPathTable, 140);
  d.writeUInt32BE(options.mPathTable, 148);
  options.rootRecord.copy(d, 156);
  padded('', 128, enc).copy(d, 190); // volume set
  padded('', 128, enc).copy(d, 318); // publisher
  padded('', 128, enc).copy(d, 446); // data preparer
  padded(options.applicationId, 128, enc).copy(d, 574);
  padded('', 37, enc).copy(d, 702);
  padded('', 37, enc).copy(d, 739);
  padded('', 37, enc).copy(d, 776);
  descriptorDate(options.date).copy(d, 813);
  descriptorDate(options.date).copy(d, 830);
  descriptorDate(null).copy(d, 847);
  descriptorDate(options.date).copy(d, 864);
  d[881] = 1; // file structure version
  return d;
}

const sectorsFor = (bytes: number) => Math.max(1, Math.ceil(bytes / SECTOR));

export function buildIso9660(options: IsoOptions): Buffer {
  const date = options.date ?? new Date();
  if (options.volumeId.length > 32) throw new Error('an ISO 9660 volume label has at most 32 characters');
  const names = new Set<string>();
  for (const file of options.files) {
    if (!/^[\w.-]{1,64}$/.test(file.name)) throw new Error(`unsupported file name: ${file.name}`);
    if (names.has(file.name)) throw new Error(`duplicate file name: ${file.name}`);
    names.add(file.name);
  }
  const ROOT = 23;
  const JOLIET_ROOT = 24;
  /** The Rock Ridge "ER" entry does not fit in the root's "." record: it goes to a continuation area. */
  const CONTINUATION = 25;
  let next = 26;
  const taken = new Set<string>();
  const files = options.files.map((file) => {
    const extent = next;
    next += sectorsFor(file.data.length);
    return { ...file, extent, isoName: isoLevel1Name(file.name, taken) };
  });
  // 150 sectors of zeros at the end, counted in the volume, as genisoimage pads by default (-pad): old
  // Linux kernels read ahead past a CD's last file.
  const totalSectors = next + 150;

  // Primary root: ".", "..", then the files by ISO name, with Rock Ridge.
  const dot = (systemUse: Buffer) => directoryRecord({ identifier: Buffer.from([0]), extent: ROOT, size: SECTOR, directory: true, date, systemUse });
  const extensionsReference = susp(
    'ER',
    Buffer.concat([
      Buffer.from([RRIP_ID.length, RRIP_DESCRIPTOR.length, RRIP_SOURCE.length, 1]),
      Buffer.from(RRIP_ID + RRIP_DESCRIPTOR + RRIP_SOURCE, 'latin1'),
    ]),
  );
  const rrDot = Buffer.concat([
    susp('SP', Buffer.from([0xbe, 0xef, 0])),
    posixAttributes(0o40555, 2),
    susp('CE', Buffer.concat([both32(CONTINUATION), both32(0), both32(extensionsReference.length)])),
  ]);
  const primaryRecords = [
    dot(rrDot),
    directoryRecord({ identifier: Buffer.from([1]), extent: ROOT, size: SECTOR, directory: true, date, systemUse: posixAttributes(0o40555, 2) }),
    ...[...files]
      .sort((a, b) => (a.isoName < b.isoName ? -1 : 1))
      .map((file) =>
        directoryRecord({
          identifier: Buffer.from(file.isoName, 'latin1'),
          extent: file.extent,
          size: file.data.length,
          directory: false,
          date,
          systemUse: Buffer.concat([posixAttributes(0o100444, 1), susp('NM', Buffer.concat([Buffer.from([0]), Buffer.from(file.name, 'latin1')]))]),
        }),
      ),
  ];
  const ucs2 = (name: string) => padded(name, name.length * 2, 'ucs2');
  const jolietRecords = [
    directoryRecord({ identifier: Buffer.from([0]), extent: JOLIET_ROOT, size: SECTOR, directory: true, date }),
    directoryRecord({ identifier: Buffer.from([1]), extent: JOLIET_ROOT, size: SECTOR, directory: true, date }),
    ...[...files]
      .sort((a, b) => Buffer.compare(ucs2(a.name), ucs2(b.name)))
      .map((file) => directoryRecord({ identifier: ucs2(file.name), extent: file.extent, size: file.data.length, directory: false, date })),
  ];
  const directorySector = (records: Buffer[]) => {
    const joined = Buffer.concat(records);
    if (joined.length > SECTOR) throw new Error('too many files for a one-sector root directory');
    return Buffer.concat([joined, Buffer.alloc(SECTOR - joined.length)]);
  };

  const image = Buffer.alloc(totalSectors * SECTOR);
  const at = (sector: number) => sector * SECTOR;
  volumeDescriptor({
    type: 1,
    volumeId: options.volumeId,
    applicationId: options.applicationId ?? 'VIRTDECK',
    totalSectors,
    lPathTable: 19,
    mPathTable: 20,
    rootRecord: directoryRecord({ identifier: Buffer.from([0]), extent: ROOT, size: SECTOR, directory: true, date }),
    date,
  }).copy(image, at(16));
  volumeDescriptor({
    type: 2,
    volumeId: options.volumeId,
    applicationId: options.applicationId ?? 'VIRTDECK',
    totalSectors,
    lPathTable: 21,
    mPathTable: 22,
    rootRecord: jolietRecords[0]!,
    date,
  }).copy(image, at(17));
  const terminator = Buffer.alloc(SECTOR);
  terminator[0] = 255;
  terminator.write('CD001', 1, 'latin1');
  terminator[6] = 1;
  terminator.copy(image, at(18));
  pathTable(ROOT, false).copy(image, at(19));
  pathTable(ROOT, true).copy(image, at(20));
  pathTable(JOLIET_ROOT, false).copy(image, at(21));
  pathTable(JOLIET_ROOT, true).copy(image, at(22));
  directorySector(primaryRecords).copy(image, at(ROOT));
  directorySector(jolietRecords).copy(image, at(JOLIET_ROOT));
  extensionsReference.copy(image, at(CONTINUATION));
  for (const file of files) file.data.copy(image, at(file.extent));
  return image;
}
