/**
 * Public key helpers on the SSH wire format (RFC 4253 §6.6): key type, fingerprints, OpenSSH
 * `authorized_keys`/`known_hosts` key text, and the public half of an OpenSSH private key file (readable
 * without its passphrase).
 */
import { createHash } from 'node:crypto';

/** Reads an SSH `string` (uint32 length + bytes) at `offset`; null if it does not fit. */
export function readSshString(buf: Buffer, offset: number): { value: Buffer; next: number } | null {
  if (offset + 4 > buf.length) return null;
  const len = buf.readUInt32BE(offset);
  const start = offset + 4;
  if (start + len > buf.length) return null;
  return { value: buf.subarray(start, start + len), next: start + len };
}

/** The key type written at the start of a wire-format public key, e.g. `ssh-ed25519`; null if malformed. */
export function keyTypeOfBlob(blob: Buffer): string | null {
  const s = readSshString(blob, 0);
  if (!s || s.value.length === 0 || s.value.length > 64) return null;
  const type = s.value.toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

/** OpenSSH's SHA256 fingerprint: `SHA256:` + unpadded base64, exactly as `ssh-keygen -lf` prints it. */
export function sha256Fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** OpenSSH's legacy MD5 fingerprint (`ssh-keygen -E md5 -lf`): `MD5:` + colon-separated hex. */
export function md5Fingerprint(blob: Buffer): string {
  const hex = createHash('md5').update(blob).digest('hex');
  return 'MD5:' + (hex.match(/../g) ?? []).join(':');
}

/** The label `ssh-keygen -l` prints in parentheses: ED25519, RSA, ECDSA, DSA, ED25519-SK, … */
export function keyTypeLabel(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  if (type.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (type.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (type.startsWith('sk-ecdsa-sha2-')) return 'ECDSA-SK';
  if (type.includes('-cert-v01@openssh.com'))
    return keyTypeLabel(type.replace('-cert-v01@openssh.com', '')) + '-CERT';
  return type.toUpperCase();
}

export interface PublicKeyText {
  type: string;
  blob: Buffer;
  comment: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses `type base64 [comment]` (a `.pub` file, an authorized_keys line without options, the key part of
 * a known_hosts line). The type inside the blob must match the type written in front of it.
 */
export function parsePublicKeyText(text: string): PublicKeyText | null {
  const m = /^\s*(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/.exec(text);
  if (!m) return null;
  const [, type = '', b64 = '', comment = ''] = m;
  if (!BASE64.test(b64)) return null;
  const blob = Buffer.from(b64, 'base64');
  if (keyTypeOfBlob(blob) !== type) return null;
  return { type, blob, comment };
}

/** `type base64` as written in known_hosts / authorized_keys. */
export function formatPublicKey(blob: Buffer): string {
  return `${keyTypeOfBlob(blob) ?? 'unknown'} ${blob.toString('base64')}`;
}

export interface OpenSshPrivateKeyInfo {
  /** The public key, readable without the passphrase. */
  publicKey: Buffer;
  encrypted: boolean;
  cipher: string;
}

/**
 * Reads the unencrypted header of an `-----BEGIN OPENSSH PRIVATE KEY-----` file: cipher and public key.
 * Returns null for any other format (PEM, PPK) or a malformed file.
 */
export function inspectOpenSshPrivateKey(text: string): OpenSshPrivateKeyInfo | null {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m?.[1]) return null;
  const data = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (data.length < magic.length || !data.subarray(0, magic.length).equals(magic)) return null;
  const cipher = readSshString(data, magic.length);
  if (!cipher) return null;
  const kdf = readSshString(data, cipher.next);
  if (!kdf) return null;
  const kdfOptions = readSshString(data, kdf.next);
  if (!kdfOptions || kdfOptions.next + 4 > data.length) return null;
  const count = data.readUInt32BE(kdfOptions.next);
  if (count < 1) return null;
  const pub = readSshString(data, kdfOptions.next + 4);
  if (!pub || keyTypeOfBlob(pub.value) === null) return null;
  const cipherName = cipher.value.toString('latin1');
  return { publicKey: Buffer.from(pub.value), encrypted: cipherName !== 'none', cipher: cipherName };
}

/** True for a legacy PEM private key encrypted with a passphrase (`Proc-Type: 4,ENCRYPTED`) or PKCS#8. */
export function isEncryptedPemKey(text: string): boolean {
  return /Proc-Type:\s*4,ENCRYPTED/.test(text) || /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text);
}

/** True for a PuTTY key file with an encrypted private part. */
export function isEncryptedPpkKey(text: string): boolean {
  const m = /^PuTTY-User-Key-File-\d+:.*\r?\nEncryption:\s*(\S+)/m.exec(text);
  return m !== null && m[1] !== 'none';
}
