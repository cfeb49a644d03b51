/**
 * The test lab (tests/lab/lab.sh) over real SSH, no mocks: both lab accounts log in with their keys,
 * the server's host key is pinned to lab.json's fingerprint (a different key is refused), both accounts
 * reach libvirt (the operator through the `libvirt` group socket, without polkit), every lab guest is in
 * the state lab.json promises, and the operator's sudo needs — and accepts — its password.
 *
 * The lab is started by tests/integration/global-setup.ts (or by hand: `bash tests/lab/lab.sh up`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const LAB_JSON = join(process.env.VIRTDECK_LAB_DIR ?? '/var/lib/virtdeck-lab', 'lab.json');
// global-setup.ts decided whether the lab runs here (and said why not); with REQUIRE_LAB=1 it throws
// instead, so this never skips in CI.
const SKIP = !inject('lab').available;

interface LabAccount {
  user: string;
  identityFile: string;
}

interface LabGuest {
  name: string;
  running: boolean;
  graphics: string;
}

interface Lab {
  ssh: { host: string; port: number; hostKey: string; hostKeyFingerprint: string; knownHostsFile: string };
  accounts: { root: LabAccount; operator: LabAccount & { sudoPasswordFile: string } };
  libvirtUri: string;
  guests: LabGuest[];
}

type AccountName = keyof Lab['accounts'];
const ACCOUNTS: readonly AccountName[] = ['root', 'operator'];

// ---- lab.json, checked at runtime (it is written by a shell script) -------------------------------------

function field(value: unknown, key: string, where: string): unknown {
  if (typeof value !== 'object' || value === null) throw new Error(`lab.json: ${where} is not an object`);
  return (value as Record<string, unknown>)[key];
}

function str(value: unknown, key: string, where: string): string {
  const v = field(value, key, where);
  if (typeof v !== 'string' || v === '')
    throw new Error(`lab.json: ${where}.${key} is not a non-empty string`);
  return v;
}

function account(value: unknown, where: string): LabAccount {
  return { user: str(value, 'user', where), identityFile: str(value, 'identityFile', where) };
}

function readLab(): Lab {
  const raw: unknown = JSON.parse(readFileSync(LAB_JSON, 'utf8'));
  const ssh = field(raw, 'ssh', 'lab');
  const port = field(ssh, 'port', 'ssh');
  if (typeof port !== 'number' || !Number.isInteger(port))
    throw new Error('lab.json: ssh.port is not an integer');
  const accounts = field(raw, 'accounts', 'lab');
  const operator = field(accounts, 'operator', 'accounts');
  const guests = field(raw, 'guests', 'lab');
  if (!Array.isArray(guests) || guests.length === 0)
    throw new Error('lab.json: guests is not a non-empty array');
  return {
    ssh: {
      host: str(ssh, 'host', 'ssh'),
      port,
      hostKey: str(ssh, 'hostKey', 'ssh'),
      hostKeyFingerprint: str(ssh, 'hostKeyFingerprint', 'ssh'),
      knownHostsFile: str(ssh, 'knownHostsFile', 'ssh'),
    },
    accounts: {
      root: account(field(accounts, 'root', 'accounts'), 'accounts.root'),
      operator: {
        ...account(operator, 'accounts.operator'),
        sudoPasswordFile: str(operator, 'sudoPasswordFile', 'accounts.operator'),
      },
    },
    libvirtUri: str(raw, 'libvirtUri', 'lab'),
    guests: guests.map((g: unknown, i): LabGuest => {
      const running = field(g, 'running', `guests[${i}]`);
      if (typeof running !== 'boolean') throw new Error(`lab.json: guests[${i}].running is not a boolean`);
      const name = str(g, 'name', `guests[${i}]`);
      // Names end up in shell commands below: allow only what libvirt domain names of the lab use.
      if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`lab.json: unexpected guest name ${name}`);
      return { name, running, graphics: str(g, 'graphics', `guests[${i}]`) };
    }),
  };
}

// ---- ssh2 helpers -----------------------------------------------------------------------------------------

/** OpenSSH's fingerprint of a raw (wire format) public key: what `ssh-keygen -lf` prints. */
function sha256Fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

interface Connection {
  client: Client;
  /** Fingerprint of the host key the server presented. */
  presented: string;
}

/**
 * Connects as `acct`, accepting the server only if its host key has fingerprint `expectedFingerprint`.
 * Resolves on `ready`; rejects on `error` (a refused host key surfaces as an error, never as `ready`).
 */
function connect(lab: Lab, acct: LabAccount, expectedFingerprint: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented = '';
    client.once('ready', () => resolve({ client, presented }));
    client.once('error', (err: Error) => {
      client.end();
      reject(Object.assign(err, { presented }));
    });
    client.connect({
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: acct.user,
      privateKey: readFileSync(acct.identityFile),
      readyTimeout: 20_000,
      // Only our key: never fall back to an agent or to password/keyboard-interactive auth.
      authHandler: ['publickey'],
      hostVerifier: (key: Buffer): boolean => {
        presented = sha256Fingerprint(key);
        return presented === expectedFingerprint;
      },
    });
  });
}

interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(client: Client, command: string, stdin?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      channel.on('exit', (exitCode: number | null) => (code = exitCode));
      channel.on('close', () => resolve({ code, stdout, stderr }));
      channel.on('error', reject);
      if (stdin !== undefined) channel.write(stdin);
      channel.end();
    });
  });
}

/** Runs `command`, expecting exit status 0; returns stdout. */
async function run(client: Client, command: string, stdin?: string): Promise<string> {
  const result = await exec(client, command, stdin);
  if (result.code !== 0) {
    throw new Error(`\`${command}\` exited with ${String(result.code)}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

const LIBVIRT_SOCKET = '/var/run/libvirt/libvirt-sock';
const REMOTE_PROGRAM = 0x20008086;
const REMOTE_PROC_CONNECT_OPEN = 1;

interface RpcReplyHeader {
  program: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

/** XDR encoding of REMOTE_PROC_CONNECT_OPEN's call: header + remote_connect_open_args { name, flags }. */
function connectOpenCall(uri: string): Buffer {
  const name = Buffer.from(uri, 'utf8');
  const padded = Math.ceil(name.length / 4) * 4;
  const call = Buffer.alloc(28 + 8 + padded + 4);
  // length, program, version, procedure, type (CALL), serial, status (OK), name present, name length
  [call.length, REMOTE_PROGRAM, 1, REMOTE_PROC_CONNECT_OPEN, 0, 1, 0, 1, name.length].forEach((word, i) =>
    call.writeUInt32BE(word, i * 4),
  );
  name.copy(call, 36);
  call.writeUInt32BE(0, 36 + padded); // flags
  return call;
}

/**
 * Opens a direct-streamlocal channel to libvirtd's read-write socket and sends one libvirt RPC call,
 * REMOTE_PROC_CONNECT_OPEN(uri): the path a client tunnelling libvirt's protocol through SSH takes.
 * Resolves with the reply header.
 */
function libvirtConnectOpenOverSsh(client: Client, uri: string): Promise<RpcReplyHeader> {
  return new Promise((resolve, reject) => {
    client.openssh_forwardOutStreamLocal(LIBVIRT_SOCKET, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      let received = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error('no libvirt RPC reply within 20 s')), 20_000);
      channel.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 4 || received.length < received.readUInt32BE(0)) return;
        clearTimeout(timer);
        if (received.length < 28) {
          reject(new Error(`short libvirt RPC reply (${received.length} bytes)`));
          return;
        }
        resolve({
          program: received.readUInt32BE(4),
          procedure: received.readUInt32BE(12),
          type: received.readUInt32BE(16),
          serial: received.readUInt32BE(20),
          status: received.readUInt32BE(24),
        });
        channel.close();
      });
      channel.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
      channel.on('close', () => {
        clearTimeout(timer);
        reject(new Error('libvirt closed the stream before replying'));
      });
      channel.write(connectOpenCall(uri));
    });
  });
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

// ---- the tests ------------------------------------------------------------------------------------------

describe.skipIf(SKIP)('lab over real SSH (ssh2)', () => {
  let lab: Lab;
  const sessions = new Map<AccountName, Client>();

  function session(name: AccountName): Client {
    const client = sessions.get(name);
    if (!client) throw new Error(`no SSH session for the ${name} account (did beforeAll fail?)`);
    return client;
  }

  beforeAll(async () => {
    lab = readLab();
    for (const name of ACCOUNTS) {
      const { client } = await connect(lab, lab.accounts[name], lab.ssh.hostKeyFingerprint);
      sessions.set(name, client);
    }
  }, 60_000);

  afterAll(() => {
    for (const client of sessions.values()) client.end();
  });

  it("lab.json's fingerprint is the fingerprint of its host key, which is in its known_hosts file", () => {
    const [type, base64] = lab.ssh.hostKey.split(' ');
    expect(type).toBe('ssh-ed25519');
    expect(base64).toBeDefined();
    expect(sha256Fingerprint(Buffer.from(base64 ?? '', 'base64'))).toBe(lab.ssh.hostKeyFingerprint);
    expect(lab.ssh.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const knownHosts = lines(readFileSync(lab.ssh.knownHostsFile, 'utf8'));
    expect(knownHosts).toContain(`[${lab.ssh.host}]:${lab.ssh.port} ${type} ${base64}`);
  });

  it.each(ACCOUNTS)('%s logs in with its key; the server presents the pinned host key', async (name) => {
    const { client, presented } = await connect(lab, lab.accounts[name], lab.ssh.hostKeyFingerprint);
    try {
      expect(presented).toBe(lab.ssh.hostKeyFingerprint);
      const out = lines(await run(client, 'id -un; id -u'));
      expect(out[0]).toBe(lab.accounts[name].user);
      if (name === 'root') expect(out[1]).toBe('0');
      else expect(out[1]).not.toBe('0');
    } finally {
      client.end();
    }
  });

  it.each(ACCOUNTS)('%s: a different host key fingerprint is refused (error, never ready)', async (name) => {
    const wrong = sha256Fingerprint(randomBytes(51));
    expect(wrong).not.toBe(lab.ssh.hostKeyFingerprint);
    const attempt = connect(lab, lab.accounts[name], wrong);
    await expect(attempt).rejects.toThrow(/verification failed/i);
    // It was refused because of the key the server really presented, not because the server was unreachable.
    const error: unknown = await attempt.catch((err: unknown) => err);
    expect(field(error, 'presented', 'error')).toBe(lab.ssh.hostKeyFingerprint);
  });

  it('the operator account is in group libvirt', async () => {
    const groups = (await run(session('operator'), 'id -nG')).trim().split(/\s+/);
    expect(groups).toContain('libvirt');
  });

  it.each(ACCOUNTS)('%s: virsh list --all --name shows every lab guest', async (name) => {
    const listed = lines(await run(session(name), `virsh -c ${lab.libvirtUri} list --all --name`));
    for (const guest of lab.guests) expect(listed).toContain(guest.name);
  });

  it.each(ACCOUNTS)(
    '%s: libvirt RPC through an SSH stream-local channel to the libvirt socket (CONNECT_OPEN is OK)',
    async (name) => {
      const reply = await libvirtConnectOpenOverSsh(session(name), lab.libvirtUri);
      expect(reply).toEqual({
        program: REMOTE_PROGRAM,
        procedure: REMOTE_PROC_CONNECT_OPEN,
        type: 1, // REPLY
        serial: 1,
        status: 0, // OK (1 would be an error, e.g. access denied)
      });
    },
  );

  it.each(ACCOUNTS)('%s: virsh domstate matches lab.json (running / shut off)', async (name) => {
    for (const guest of lab.guests) {
      const state = lines(await run(session(name), `virsh -c ${lab.libvirtUri} domstate ${guest.name}`))[0];
      expect(state, guest.name).toBe(guest.running ? 'running' : 'shut off');
    }
  });

  it('operator: sudo without a password is refused (sudo -n true fails)', async () => {
    const result = await exec(session('operator'), 'sudo -n true');
    expect(result.code).not.toBe(0);
    // Refused for lack of a password, not because the account is missing from sudoers.
    expect(result.stderr).toMatch(/password is required/i);
  });

  it('operator: sudo -S with the password from sudoPasswordFile runs as root', async () => {
    const password = readFileSync(lab.accounts.operator.sudoPasswordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(12);
    const out = await run(session('operator'), "sudo -S -p '' id -u", `${password}\n`);
    expect(out.trim()).toBe('0');
  });

  it('operator: sudo -S with a wrong password is refused', async () => {
    const result = await exec(session('operator'), "sudo -S -k -p '' id -u", 'not-the-password\n');
    expect(result.code).not.toBe(0);
    expect(result.stdout.trim()).not.toBe('0');
  }, 30_000); // pam_unix delays failed attempts by ~2 s
});
