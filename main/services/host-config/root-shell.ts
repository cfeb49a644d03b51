import { createHash } from 'node:crypto';
import { ApiFailure } from '../api-failure';
import { shellJoin, type SshConnection } from '../../ssh';

export type RootAccess = 'root' | 'sudo' | 'sudo-password';

export interface RootShellResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Asks the user for the sudo password (null = declined); `retry` after a refused one. */
export type SudoPasswordAsker = (question: {
  user: string;
  host: string;
  retry: boolean;
}) => Promise<string | null>;

/**
 * Runs scripts as root on a host over an SSH connection: directly when the account is root, else
 * through `sudo` (`sudo -n` when no password is needed, else `sudo -S` with the password on stdin).
 * The password is checked with `sudo -S -k true` before a script that reads stdin runs, so a wrong
 * password can never make sudo read the script's input as further password attempts. It is never
 * logged, never part of a command line, and kept by the caller's prompter only.
 */
export class RootShell {
  private access: Promise<RootAccess> | null = null;
  /** SHA-256 of the password sudo last accepted (not the password): scripts without input skip the check. */
  private verified: string | null = null;

  constructor(
    private readonly ssh: SshConnection,
    private readonly who: { user: string; host: string },
    private readonly askPassword: SudoPasswordAsker,
    private readonly forgetPassword: () => void,
  ) {}

  /** How this account becomes root (probed once per connection). */
  mode(): Promise<RootAccess> {
    this.access ??= this.probe().catch((error: unknown) => {
      this.access = null;
      throw error;
    });
    return this.access;
  }

  private async probe(): Promise<RootAccess> {
    const result = await this.ssh.run(
      'id -u; if command -v sudo >/dev/null 2>&1; then if sudo -n true 2>/dev/null; then echo sudo; else echo sudo-password; fi; else echo no-sudo; fi',
      { timeoutMs: 30_000 },
    );
    const [uid, sudo] = result.stdout.trim().split('\n');
    if (uid === '0') return 'root';
    if (sudo === 'sudo') return 'sudo';
    if (sudo === 'sudo-password') return 'sudo-password';
    throw new ApiFailure(
      'ssh',
      `${this.who.user}@${this.who.host} is not root and has no sudo: the configuration in /etc/libvirt needs root to read and write`,
    );
  }

  /**
   * A password sudo accepts (asks again after a refusal, at most three times). With `trustVerified`, a
   * password sudo already accepted in this session is not checked again (for scripts that read no input:
   * a stale one only makes sudo fail, and the run is retried with the check).
   */
  private async password(trustVerified = false): Promise<string> {
    let retry = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const password = await this.askPassword({ ...this.who, retry });
      if (password === null)
        throw new ApiFailure('ssh', 'The sudo password was not given; nothing was read or changed');
      const digest = createHash('sha256').update(password).digest('hex');
      if (trustVerified && digest === this.verified) return password;
      const check = await this.ssh.run("sudo -S -k -p '' true", {
        stdin: `${password}\n`,
        timeoutMs: 30_000,
      });
      if (check.code === 0) {
        this.verified = digest;
        return password;
      }
      this.verified = null;
      this.forgetPassword();
      if (!/incorrect password|try again|Sorry/i.test(check.stderr)) {
        throw new ApiFailure(
          'ssh',
          `sudo refused ${this.who.user}: ${check.stderr.trim().split('\n')[0] ?? `exit ${check.code}`}`,
        );
      }
      retry = true;
    }
    throw new ApiFailure(
      'ssh',
      `sudo refused the password for ${this.who.user} three times; nothing was read or changed`,
    );
  }

  /** Runs `script` with `args` as root, feeding `stdin`. */
  async run(
    script: string,
    args: readonly string[],
    options: { stdin?: Buffer; timeoutMs: number },
  ): Promise<RootShellResult> {
    const mode = await this.mode();
    const command = shellJoin(['sh', '-c', script, 'virtdeck', ...args]);
    let prefix = '';
    let stdin = options.stdin ?? Buffer.alloc(0);
    if (mode === 'sudo') prefix = 'sudo -n ';
    const trustVerified = mode === 'sudo-password' && !options.stdin?.length && this.verified !== null;
    if (mode === 'sudo-password') {
      const password = await this.password(trustVerified);
      prefix = "sudo -S -k -p '' ";
      stdin = Buffer.concat([Buffer.from(`${password}\n`), stdin]);
    }
    const result = await this.ssh.run(`${prefix}${command}`, {
      stdin,
      timeoutMs: options.timeoutMs,
      maxStdoutBytes: 32 << 20,
    });
    stdin.fill(0);
    // The password sudo accepted earlier no longer works: check it again (and ask) before running again.
    if (trustVerified && result.code !== 0 && /incorrect password|try again|Sorry/i.test(result.stderr)) {
      this.verified = null;
      return this.run(script, args, options);
    }
    // sudo without a password only worked while an earlier login's credentials were cached: ask now.
    if (mode === 'sudo' && result.code !== 0 && /a password is required/i.test(result.stderr)) {
      this.access = Promise.resolve('sudo-password');
      return this.run(script, args, options);
    }
    return { code: result.code, stdout: result.stdoutBuffer, stderr: result.stderr };
  }
}

// ---- framed output (`@@vd …` headers, bodies with exact byte counts) --------------------------------

export interface Frame {
  /** The words of the header after `@@vd`. */
  words: string[];
  /** The body of a `file`/`lens`/`cmdline` frame. */
  body?: Buffer;
}

const MARK = Buffer.from('@@vd ');

/** Splits a script's output into frames; text outside frames is ignored. */
export function parseFrames(output: Buffer): Frame[] {
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < output.length) {
    const nl = output.indexOf(0x0a, pos);
    const end = nl < 0 ? output.length : nl;
    const line = output.subarray(pos, end);
    pos = end + 1;
    if (!line.subarray(0, MARK.length).equals(MARK)) continue;
    const words = line.subarray(MARK.length).toString('utf8').split(' ');
    const frame: Frame = { words };
    const kind = words[0];
    if (kind === 'file' || kind === 'lens' || kind === 'cmdline') {
      const size = Number(kind === 'cmdline' ? words[1] : words[2]);
      if (!Number.isSafeInteger(size) || size < 0 || pos + size > output.length) {
        throw new ApiFailure('io', `The host's answer was cut short (${kind} ${words[1] ?? ''})`);
      }
      frame.body = output.subarray(pos, pos + size);
      pos += size + 1; // the newline printed after the body
    }
    frames.push(frame);
  }
  return frames;
}
