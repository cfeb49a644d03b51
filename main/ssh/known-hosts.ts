/**
 * OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): reading, matching and appending.
 *
 * Supported: plain host patterns with `*`/`?` wildcards, comma lists, `!negation`, `[host]:port` entries for
 * non-22 ports, hashed entries (`|1|base64(salt)|base64(HMAC-SHA1(salt, name))`), comments, `@revoked`
 * (a matching key is refused). `@cert-authority` lines are parsed and skipped: ssh2 does not negotiate host
 * certificates, so a server always presents its plain key and a host trusted only through a CA shows up as
 * unknown (the user is asked).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants as fsConstants, type BigIntStats } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keyTypeOfBlob, parsePublicKeyText, sha256Fingerprint } from './keys';
import { matchPatternList } from './patterns';
import type { KnownHostRef } from './errors';

export type KnownHostMarker = 'revoked' | 'cert-authority' | null;

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker: KnownHostMarker;
  /** The host field as written (pattern list, or `|1|salt|hash`). */
  hostField: string;
  hashed: { salt: Buffer; hash: Buffer } | null;
  keyType: string;
  key: Buffer;
  comment: string;
}

export interface KnownHostsParseIssue {
  file: string;
  line: number;
  message: string;
}

/** The name OpenSSH looks up and writes: `host` for port 22, else `[host]:port`; lowercased. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function parseHashedField(field: string): { salt: Buffer; hash: Buffer } | null {
  const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(field);
  if (!m?.[1] || !m[2]) return null;
  const salt = Buffer.from(m[1], 'base64');
  const hash = Buffer.from(m[2], 'base64');
  // OpenSSH writes a SHA1-sized salt and hash.
  if (salt.length !== 20 || hash.length !== 20) return null;
  return { salt, hash };
}

/** Parses known_hosts text. Malformed lines are reported in `issues` and skipped, like OpenSSH does. */
export function parseKnownHosts(
  text: string,
  file: string,
): { entries: KnownHostEntry[]; issues: KnownHostsParseIssue[] } {
  const entries: KnownHostEntry[] = [];
  const issues: KnownHostsParseIssue[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let rest = (lines[i] ?? '').trim();
    if (rest === '' || rest.startsWith('#')) continue;
    let marker: KnownHostMarker = null;
    if (rest.startsWith('@')) {
      const m = /^(@\S+)\s+(.*)$/.exec(rest);
      const word = m?.[1];
      if (word === '@revoked') marker = 'revoked';
      else if (word === '@cert-authority') marker = 'cert-authority';
      else {
        issues.push({ file, line: lineNo, message: `unknown marker ${word ?? rest}` });
        continue;
      }
      rest = m?.[2] ?? '';
    }
    const m = /^(\S+)\s+(.*)$/.exec(rest);
    if (!m?.[1] || !m[2]) {
      issues.push({ file, line: lineNo, message: 'missing key' });
      continue;
    }
    const hostField = m[1];
    const key = parsePublicKeyText(m[2]);
    if (!key) {
      // Also catches SSH1 RSA lines ("bits exponent modulus"), which OpenSSH no longer reads either.
      issues.push({ file, line: lineNo, message: 'unreadable key' });
      continue;
    }
    let hashed: KnownHostEntry['hashed'] = null;
    if (hostField.startsWith('|')) {
      hashed = parseHashedField(hostField);
      if (!hashed) {
        issues.push({ file, line: lineNo, message: 'malformed hashed host' });
        continue;
      }
    }
    entries.push({
      file,
      line: lineNo,
      marker,
      hostField,
      hashed,
      keyType: key.type,
      key: key.blob,
      comment: key.comment,
    });
  }
  return { entries, issues };
}

/** HMAC-SHA1 of `name` keyed with `salt`: the hash of a hashed known_hosts entry. */
export function hashHostName(name: string, salt: Buffer): Buffer {
  return createHmac('sha1', salt).update(name, 'utf8').digest();
}

/** A hashed host field as `ssh-keygen -H` writes it: `|1|base64(salt)|base64(hash)`. */
export function hashedHostField(name: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${hashHostName(name, salt).toString('base64')}`;
}

/** Does the entry's host field match `name` (a {@link knownHostsName} or a HostKeyAlias)? */
export function entryMatchesName(entry: KnownHostEntry, name: string): boolean {
  const lower = name.toLowerCase();
  if (entry.hashed) {
    const computed = hashHostName(lower, entry.hashed.salt);
    return computed.length === entry.hashed.hash.length && timingSafeEqual(computed, entry.hashed.hash);
  }
  return matchPatternList(lower, entry.hostField, true) === 1;
}

export function entryRef(entry: KnownHostEntry): KnownHostRef {
  return {
    file: entry.file,
    line: entry.line,
    keyType: entry.keyType,
    fingerprint: sha256Fingerprint(entry.key),
  };
}

export type HostKeyVerdict =
  /** The presented key is recorded for this host. */
  | { status: 'known'; entry: KnownHostEntry }
  /** Nothing recorded for this host. */
  | { status: 'unknown' }
  /** Keys of the same type are recorded for this host, none equal to the presented one. */
  | { status: 'changed'; entries: KnownHostEntry[] }
  /** Only keys of other types are recorded for this host. */
  | { status: 'other-types'; entries: KnownHostEntry[] }
  /** A matching `@revoked` line lists the presented key. */
  | { status: 'revoked'; entry: KnownHostEntry };

/**
 * OpenSSH's check_key_in_hostkeys over all files: revoked wins, then an equal key, then a same-type key
 * (changed), then keys of other types.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const type = keyTypeOfBlob(blob);
  let known: KnownHostEntry | null = null;
  const sameType: KnownHostEntry[] = [];
  const otherTypes: KnownHostEntry[] = [];
  for (const entry of entries) {
    if (entry.marker === 'cert-authority') continue;
    if (!entryMatchesName(entry, name)) continue;
    const equal = entry.key.equals(blob);
    if (entry.marker === 'revoked') {
      if (equal) return { status: 'revoked', entry };
      continue;
    }
    if (equal) known ??= entry;
    else if (entry.keyType === type) sameType.push(entry);
    else otherTypes.push(entry);
  }
  if (known) return { status: 'known', entry: known };
  if (sameType.length > 0) return { status: 'changed', entries: sameType };
  if (otherTypes.length > 0) return { status: 'other-types', entries: otherTypes };
  return { status: 'unknown' };
}

/** Key types recorded (not revoked) for `name`, in file order: used to prefer them in key exchange. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types: string[] = [];
  for (const entry of entries) {
    if (entry.marker !== null || types.includes(entry.keyType)) continue;
    if (entryMatchesName(entry, name)) types.push(entry.keyType);
  }
  return types;
}

/** A known_hosts line for `name` (optionally hashed), without the newline. */
export function formatKnownHostsLine(name: string, blob: Buffer, options: { hash?: boolean } = {}): string {
  const type = keyTypeOfBlob(blob);
  if (!type) throw new Error('not a wire-format public key');
  const host = options.hash ? hashedHostField(name.toLowerCase()) : name.toLowerCase();
  return `${host} ${type} ${blob.toString('base64')}`;
}

/** Each known_hosts file as last parsed, with the stat it was read under ({@link knownHostsStatKey}). */
const parsedFiles = new Map<string, { statKey: string; parsed: ReturnType<typeof parseKnownHosts> }>();

/** What identifies one version of a file: device, inode, size, modification and change times (ns). */
function knownHostsStatKey(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/**
 * Reads and parses known_hosts files; missing files are skipped, unreadable ones reported. Every connect
 * reads them (an edit by `ssh` or the user applies to the next connect); a file whose stat (inode, size,
 * modification and change times) is what it was at the last read is not read and parsed again: with 1000
 * hosts connecting at start, that was an open, read and close of each file and a parse of every line, per
 * host. The stat is taken before the read, so a change while it is read shows at the next connect.
 */
export async function loadKnownHosts(
  files: readonly string[],
): Promise<{ entries: KnownHostEntry[]; issues: KnownHostsParseIssue[] }> {
  const entries: KnownHostEntry[] = [];
  const issues: KnownHostsParseIssue[] = [];
  for (const file of files) {
    let parsed: ReturnType<typeof parseKnownHosts>;
    try {
      const statKey = knownHostsStatKey(await stat(file, { bigint: true }));
      const cached = parsedFiles.get(file);
      if (cached?.statKey === statKey) {
        parsed = cached.parsed;
      } else {
        parsed = parseKnownHosts(await readFile(file, 'utf8'), file);
        parsedFiles.set(file, { statKey, parsed });
      }
    } catch (err) {
      parsedFiles.delete(file);
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        issues.push({ file, line: 0, message: `cannot read: ${(err as Error).message}` });
      }
      continue;
    }
    entries.push(...parsed.entries);
    issues.push(...parsed.issues);
  }
  return { entries, issues };
}

/**
 * Appends one line to a known_hosts file without touching the others: creates the directory (0700) and the
 * file (0600) when missing, and adds a newline first if the file does not end with one.
 */
export async function appendKnownHostsLine(file: string, line: string): Promise<void> {
  if (line.includes('\n')) throw new Error('a known_hosts line cannot contain a newline');
  const dir = dirname(file);
  try {
    await stat(dir);
  } catch {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const handle = await open(file, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o600);
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.write(`${prefix}${line}\n`);
  } finally {
    await handle.close();
  }
}
