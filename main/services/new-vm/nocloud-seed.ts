/**
 * cloud-init's NoCloud seed, made here: user-data and meta-data as cloud-init's NoCloud datasource
 * reads them from a filesystem labelled "cidata", in an ISO 9660 image (iso9660-writer.ts) that the
 * wizard uploads as a raw volume. The host needs no cloud-localds or genisoimage. A password is put in
 * as its SHA-512 crypt hash only.
 */
import { randomBytes } from 'node:crypto';
import { encrypt } from 'unixcrypt';
import { stringify } from 'yaml';
import { buildIso9660 } from './iso9660-writer';

export interface CloudInitConfig {
  user: string;
  password: string | null;
  sshKey: string | null;
  hostname: string;
}

export interface NoCloudSeed {
  userData: string;
  metaData: string;
  image: Buffer;
}

/** The label cloud-init's NoCloud datasource looks for (it also accepts CIDATA). */
export const NOCLOUD_LABEL = 'cidata';

const SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** SHA-512 crypt ($6$) with a random 16-character salt, as `openssl passwd -6` makes it. */
export function hashPassword(password: string): string {
  const salt = [...randomBytes(16)].map((b) => SALT_CHARS[b % SALT_CHARS.length]).join('');
  return encrypt(password, `$6$${salt}`);
}

export function nocloudUserData(config: CloudInitConfig, passwordHash: string | null): string {
  const user: Record<string, unknown> = {
    name: config.user,
    shell: '/bin/bash',
    sudo: 'ALL=(ALL) NOPASSWD:ALL',
    lock_passwd: passwordHash === null,
  };
  if (passwordHash !== null) user.passwd = passwordHash;
  if (config.sshKey) user.ssh_authorized_keys = [config.sshKey.trim()];
  const document: Record<string, unknown> = {
    hostname: config.hostname,
    users: [user],
    ssh_pwauth: passwordHash !== null,
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}

export function nocloudMetaData(instanceId: string, hostname: string): string {
  return stringify({ 'instance-id': instanceId, 'local-hostname': hostname }, { lineWidth: 0 });
}

/** user-data, meta-data and the seed image holding them. */
export function buildNoCloudSeed(config: CloudInitConfig, instanceId: string, options: { date?: Date; passwordHash?: string | null } = {}): NoCloudSeed {
  const passwordHash = options.passwordHash !== undefined ? options.passwordHash : config.password ? hashPassword(config.password) : null;
  const userData = nocloudUserData(config, passwordHash);
  const metaData = nocloudMetaData(instanceId, config.hostname);
  const image = buildIso9660({
    volumeId: NOCLOUD_LABEL,
    files: [
      { name: 'user-data', data: Buffer.from(userData, 'utf8') },
      { name: 'meta-data', data: Buffer.from(metaData, 'utf8') },
    ],
    ...(options.date ? { date: options.date } : {}),
  });
  return { userData, metaData, image };
}
