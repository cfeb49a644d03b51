/**
 * Stand-in SSH transport for the libvirt benchmarks and integration tests, until the app's own SSH
 * layer lands: ssh2 with public-key auth only, the host key checked against an OpenSSH
 * known_hosts file (plain or hashed entries; `acceptNew` appends an unknown host like
 * `StrictHostKeyChecking=accept-new`), and a dialer that runs `virt-ssh-helper URI` in an exec
 * channel without a pty — what libvirt's own qemu+ssh does on hosts with libvirt ≥ 6.8.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel } from 'ssh2';

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly privateKey: Buffer | string;
  /** OpenSSH known_hosts file to check the host key against. */
  readonly knownHostsFile?: string;
  /** Accept (and record in knownHostsFile, if given) a host that has no entry yet. */
  readonly acceptNew?: boolean;
  readonly readyTimeoutMs?: number;
  /** Optional: wrap the TCP connection (e.g. through a proxy). */
  readonly sock?: Duplex;
}

export function fingerprintOf(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The host pattern OpenSSH writes: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hostMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern.split(',').some((p) => p === name);
}

export type HostKeyCheck = { ok: true; known: boolean } | { ok: false; reason: string };

/** Checks a raw (wire-format) host key against known_hosts entries for host:port. */
export function checkHostKey(knownHosts: string, host: string, port: number, key: Buffer): HostKeyCheck {
  const name = knownHostsName(host, port);
  const b64 = key.toString('base64');
  let sawHost = false;
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [hosts, , keyB64] = fields;
    if (!hosts || !keyB64 || !hostMatches(hosts, name)) continue;
    if (marker === '@revoked' && keyB64 === b64)
      return { ok: false, reason: `the host key of ${name} is revoked` };
    if (marker) continue;
    sawHost = true;
    if (keyB64 === b64) return { ok: true, known: true };
  }
  if (sawHost) return { ok: false, reason: `HOST KEY MISMATCH for ${name}: presented ${fingerprintOf(key)}` };
  return { ok: true, known: false };
}

/** Connects and authenticates (public key only). Rejects on any host key problem. */
export function connectSsh(target: SshTarget): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyError: Error | null = null;
    client.once('ready', () => {
      // ssh2 leaves Nagle's algorithm on: a small RPC written while an earlier one is unacknowledged
      // would wait a full round trip. libvirt RPC is latency-bound; turn it off.
      client.setNoDelay(true);
      resolve(client);
    });
    client.once('error', (err: Error) => {
      client.end();
      reject(hostKeyError ?? err);
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      authHandler: ['publickey'],
      readyTimeout: target.readyTimeoutMs ?? 20_000,
      ...(target.sock ? { sock: target.sock } : {}),
      hostVerifier: (key: Buffer): boolean => {
        const file = target.knownHostsFile;
        const content = file && existsSync(file) ? readFileSync(file, 'utf8') : '';
        const check = checkHostKey(content, target.host, target.port, key);
        if (!check.ok) {
          hostKeyError = new Error(check.reason);
          return false;
        }
        if (check.known) return true;
        if (!target.acceptNew) {
          hostKeyError = new Error(
            `unknown host key for ${knownHostsName(target.host, target.port)} (${fingerprintOf(key)}); ` +
              'pass a known_hosts file that lists it, or accept new host keys',
          );
          return false;
        }
        if (file) {
          const type = key.readUInt32BE(0);
          const alg = key.subarray(4, 4 + type).toString('latin1');
          appendFileSync(
            file,
            `${knownHostsName(target.host, target.port)} ${alg} ${key.toString('base64')}\n`,
          );
        }
        return true;
      },
    });
  });
}

/** Runs `command` in an exec channel (no pty). stderr is kept (last 4 KiB) for diagnostics. */
export function execChannel(
  client: Client,
  command: string,
): Promise<ClientChannel & { stderrText(): string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      let stderr = '';
      channel.stderr.on('data', (b: Buffer) => {
        stderr = (stderr + b.toString('utf8')).slice(-4096);
      });
      resolve(Object.assign(channel, { stderrText: () => stderr }));
    });
  });
}

/** Shell-quotes one word for the remote `sh -c`. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A LibvirtClient dialer: each call opens a new exec channel running virt-ssh-helper on the same
 * SSH connection. `env` adds variables in front of the command (handy to find the helper's
 * process on the host in tests).
 */
export function virtSshHelperDialer(
  client: Client,
  uri: string,
  options: { readOnly?: boolean; env?: Readonly<Record<string, string>> } = {},
): () => Promise<Duplex> {
  const env = Object.entries(options.env ?? {})
    .map(([k, v]) => `${k}=${shellQuote(v)} `)
    .join('');
  const command = `${env}virt-ssh-helper ${options.readOnly ? '-r ' : ''}${shellQuote(uri)}`;
  return async () => execChannel(client, command);
}

/** Parses `USER@HOST[:PORT]` (IPv6 as `[addr]:port`). */
export function parseTarget(spec: string): { username: string; host: string; port: number } {
  const at = spec.lastIndexOf('@');
  if (at <= 0) throw new Error(`--target must be USER@HOST[:PORT], got ${spec}`);
  const username = spec.slice(0, at);
  let rest = spec.slice(at + 1);
  let port = 22;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    rest = v6[1] as string;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > 0) {
      port = Number(rest.slice(colon + 1));
      rest = rest.slice(0, colon);
    }
  }
  if (!rest || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad --target ${spec}`);
  return { username, host: rest, port };
}
