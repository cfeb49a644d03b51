/**
 * Client authentication in OpenSSH's order, driven through ssh2's `authHandler`:
 *
 *  1. `none` (learns which methods the server accepts, as OpenSSH does).
 *  2. publickey, as ONE key ring in OpenSSH's order (sshconnect2.c pubkey_prepare): agent keys that match a
 *     configured identity file (in file order; the agent signs, so an encrypted key loaded in the agent needs
 *     no passphrase), then the other agent keys (not with IdentitiesOnly), then the identity files not in
 *     the agent. A file key is offered by its public half first; its passphrase is asked only when the
 *     server says it would accept that key (like OpenSSH), up to NumberOfPasswordPrompts (3) times.
 *     Legacy encrypted PEM keys without a `.pub` file are tried after the ring (their public half is
 *     unknown until decrypted).
 *  3. keyboard-interactive, then password (OpenSSH's default PreferredAuthentications order), each up to
 *     NumberOfPasswordPrompts times, through the prompter.
 *
 * Secrets: Buffers from the prompter and the decrypted key text are zeroed after use; nothing is logged.
 */
import { readFile } from 'node:fs/promises';
import type {
  AgentAuthMethod,
  AnyAuthMethod,
  AuthenticationType,
  BaseAgent,
  IdentityCallback,
  KeyboardInteractiveAuthMethod,
  NextAuthHandler,
  ParsedKey,
  PasswordAuthMethod,
  Prompt,
  PublicKeyAuthMethod,
  SignCallback,
  SigningRequestOptions,
} from 'ssh2';
import {
  inspectOpenSshPrivateKey,
  isEncryptedPemKey,
  isEncryptedPpkKey,
  keyTypeOfBlob,
  parsePublicKeyText,
  sha256Fingerprint,
} from './keys';
import { wipeSecret, type SshPromptContext, type SshPrompter, type SshSecret } from './prompter';
import type { ResolvedSshHost } from './ssh-config';
import { Ssh2BaseAgent, ssh2CreateAgent, ssh2ParseKey } from './ssh2-runtime';

export type AskUser = <T>(question: (context: SshPromptContext) => Promise<T>) => Promise<T>;

export interface AuthSessionOptions {
  user: string;
  host: string;
  port: number;
  resolved: Pick<
    ResolvedSshHost,
    | 'identityFiles'
    | 'identityFilesConfigured'
    | 'identitiesOnly'
    | 'preferredAuthentications'
    | 'pubkeyAuthentication'
    | 'passwordAuthentication'
    | 'kbdInteractiveAuthentication'
    | 'numberOfPasswordPrompts'
    | 'batchMode'
  >;
  /** Agent: socket path, `pageant`, or an agent object; null for none. */
  agent: string | BaseAgent | null;
  /** Why there is no agent (for the failure summary), when `agent` is null. */
  agentUnavailableReason?: string;
  prompter: SshPrompter;
  /** Runs a prompter call: pauses the connect timeout, aborts on cancel. */
  ask: AskUser;
  home?: string;
  debug?: (message: string) => void;
}

interface FileKey {
  path: string;
  /** File content, zeroed in dispose(). */
  text: Buffer;
  publicBlob: Buffer | null;
  keyType: string;
  encrypted: boolean;
  privateKey: ParsedKey | null;
  /** What happened to it, for the failure summary. */
  outcome: string | null;
  /** Gave up on it (no passphrase, wrong passphrase 3×): never ask again during this connect. */
  givenUp: boolean;
}

function isParsedKey(value: unknown): value is ParsedKey {
  return (
    typeof value === 'object' && value !== null && typeof (value as ParsedKey).getPublicSSH === 'function'
  );
}

function firstKey(parsed: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  if (Array.isArray(parsed)) return parsed[0] ?? new Error('no key in file');
  return parsed;
}

function tildePath(path: string, home: string | undefined): string {
  return home && path.startsWith(home + '/') ? `~${path.slice(home.length)}` : path;
}

type RingEntry =
  { key: ParsedKey; blob: Buffer; source: 'agent' } | { key: ParsedKey; blob: Buffer; source: FileKey };

/**
 * The publickey identities in OpenSSH's order as one ssh2 agent: agent keys are signed by the agent, file
 * keys by us (decrypting on demand, asking for the passphrase only after the server accepted the key).
 */
class KeyRing extends Ssh2BaseAgent<ParsedKey> {
  entries: RingEntry[] = [];
  agentKeyCount = 0;
  agentError: string | null = null;

  constructor(
    private readonly session: SshAuthSession,
    private readonly agent: BaseAgent | null,
    private readonly fileKeys: readonly FileKey[],
    private readonly identitiesOnly: boolean,
  ) {
    super();
  }

  getIdentities(cb: IdentityCallback<ParsedKey>): void {
    const finish = (agentKeys: ParsedKey[]) => {
      this.agentKeyCount = agentKeys.length;
      const remaining = [...agentKeys];
      const entries: RingEntry[] = [];
      const filesNotInAgent: FileKey[] = [];
      for (const file of this.fileKeys) {
        if (!file.publicBlob) continue;
        const i = remaining.findIndex((k) => k.getPublicSSH().equals(file.publicBlob as Buffer));
        const inAgent = i >= 0 ? remaining.splice(i, 1)[0] : undefined;
        if (inAgent) entries.push({ key: inAgent, blob: inAgent.getPublicSSH(), source: 'agent' });
        else filesNotInAgent.push(file);
      }
      if (!this.identitiesOnly) {
        for (const k of remaining) entries.push({ key: k, blob: k.getPublicSSH(), source: 'agent' });
      }
      for (const file of filesNotInAgent) {
        const blob = file.publicBlob as Buffer;
        const pub = file.privateKey ?? ssh2ParseKey(`${file.keyType} ${blob.toString('base64')}`);
        if (pub instanceof Error) {
          file.outcome = `unusable public key (${pub.message})`;
          continue;
        }
        entries.push({ key: pub, blob, source: file });
      }
      this.entries = entries;
      cb(
        null,
        entries.map((e) => e.key),
      );
    };
    if (!this.agent) {
      finish([]);
      return;
    }
    this.agent.getIdentities((err, keys) => {
      if (err || !keys) {
        this.agentError = err?.message ?? 'no answer';
        finish([]);
        return;
      }
      const parsed: ParsedKey[] = [];
      for (const k of keys) {
        const entry = k as string | Buffer | ParsedKey | { pubKey: string | Buffer | ParsedKey };
        const candidate =
          typeof entry === 'object' && !Buffer.isBuffer(entry) && 'pubKey' in entry ? entry.pubKey : entry;
        const key = isParsedKey(candidate) ? candidate : ssh2ParseKey(candidate);
        if (!(key instanceof Error)) parsed.push(key);
      }
      finish(parsed);
    });
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions, cb?: SignCallback): void;
  sign(pubKey: ParsedKey, data: Buffer, cb: SignCallback): void;
  sign(
    pubKey: ParsedKey,
    data: Buffer,
    optionsOrCb: SigningRequestOptions | SignCallback,
    maybeCb?: SignCallback,
  ): void {
    const cb = typeof optionsOrCb === 'function' ? optionsOrCb : maybeCb;
    const options = typeof optionsOrCb === 'function' ? {} : optionsOrCb;
    if (!cb) return;
    const blob = pubKey.getPublicSSH();
    const entry = this.entries.find((e) => e.blob.equals(blob));
    if (!entry) {
      cb(new Error('unknown key'));
      return;
    }
    if (entry.source === 'agent') {
      if (!this.agent) {
        cb(new Error('no agent'));
        return;
      }
      this.agent.sign(pubKey, data, options, cb);
      return;
    }
    const file = entry.source;
    this.session.unlock(file).then(
      (key) => {
        if (!key) {
          cb(new Error(`${file.path}: ${file.outcome ?? 'not unlocked'}`));
          return;
        }
        const signature = key.sign(data, options.hash);
        if (signature instanceof Error) cb(signature);
        else {
          file.outcome = 'signed';
          cb(null, signature);
        }
      },
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

type Step =
  | { kind: 'keyring' }
  | { kind: 'legacy-key'; file: FileKey }
  | { kind: 'keyboard-interactive' }
  | { kind: 'password' };

/** One authentication run (one connect). Create, `await prepare()`, pass `handler` to ssh2, `dispose()`. */
export class SshAuthSession {
  /** What the server accepts, from its last USERAUTH_FAILURE. */
  serverMethods: string[] = [];
  /** The method of the last attempt started (the successful one after 'ready'). */
  lastMethod: string | null = null;
  /** Set when asking the user failed (cancelled, timed out): the connect fails with this, not "auth failed". */
  fatal: unknown = null;

  private fileKeys: FileKey[] = [];
  private skippedFiles: string[] = [];
  private agent: BaseAgent | null = null;
  private ring: KeyRing | null = null;
  private steps: Step[] = [];
  private index = 0;
  private kbdAttempts = 0;
  private kbdDeclined = false;
  private passwordAttempts = 0;
  private passwordDeclined = false;
  private pendingSecrets: SshSecret[] = [];
  private triedLog: Array<() => string> = [];

  constructor(private readonly options: AuthSessionOptions) {}

  private debug(message: string): void {
    this.options.debug?.(message);
  }

  /** Reads the identity files (public halves; unencrypted keys fully) and plans the methods. */
  async prepare(): Promise<void> {
    const { resolved } = this.options;
    if (this.options.agent !== null) {
      this.agent =
        typeof this.options.agent === 'string' ? ssh2CreateAgent(this.options.agent) : this.options.agent;
    }
    if (resolved.pubkeyAuthentication) {
      for (const path of resolved.identityFiles) {
        const key = await this.loadFileKey(path, resolved.identityFilesConfigured);
        if (key) this.fileKeys.push(key);
      }
    }
    const steps: Step[] = [];
    for (const method of resolved.preferredAuthentications) {
      if (method === 'publickey' && resolved.pubkeyAuthentication) {
        if (steps.some((s) => s.kind === 'keyring')) continue;
        this.ring = new KeyRing(this, this.agent, this.fileKeys, resolved.identitiesOnly);
        steps.push({ kind: 'keyring' });
        for (const file of this.fileKeys) if (!file.publicBlob) steps.push({ kind: 'legacy-key', file });
      } else if (method === 'keyboard-interactive' && resolved.kbdInteractiveAuthentication) {
        if (this.options.prompter.keyboardInteractive && !resolved.batchMode) steps.push({ kind: method });
      } else if (method === 'password' && resolved.passwordAuthentication) {
        if (this.options.prompter.password && !resolved.batchMode) steps.push({ kind: method });
      }
    }
    this.steps = steps;
  }

  private async loadFileKey(path: string, configured: boolean): Promise<FileKey | null> {
    const home = this.options.home;
    let text: Buffer;
    try {
      text = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // OpenSSH's default key names are only tried when present; a configured file that is missing is noted.
      if (configured)
        this.skippedFiles.push(`${tildePath(path, home)} (${code === 'ENOENT' ? 'not found' : code})`);
      return null;
    }
    const str = text.toString('utf8');
    const info = inspectOpenSshPrivateKey(str);
    let publicBlob = info?.publicKey ?? null;
    const encrypted = info ? info.encrypted : isEncryptedPemKey(str) || isEncryptedPpkKey(str);
    let privateKey: ParsedKey | null = null;
    if (!encrypted) {
      const parsed = firstKey(ssh2ParseKey(text));
      if (parsed instanceof Error || !parsed.isPrivateKey()) {
        const type = publicBlob ? keyTypeOfBlob(publicBlob) : null;
        const why = type?.startsWith('sk-')
          ? 'security-key (FIDO) keys work only through ssh-agent'
          : `unsupported key (${parsed instanceof Error ? parsed.message : 'not a private key'})`;
        this.skippedFiles.push(`${tildePath(path, home)} (${why})`);
        text.fill(0);
        return null;
      }
      privateKey = parsed;
      publicBlob = parsed.getPublicSSH();
    }
    if (!publicBlob) {
      try {
        publicBlob = parsePublicKeyText(await readFile(`${path}.pub`, 'utf8'))?.blob ?? null;
      } catch {
        publicBlob = null;
      }
    }
    const keyType = (publicBlob && keyTypeOfBlob(publicBlob)) ?? 'unknown';
    if (keyType.startsWith('sk-')) {
      this.skippedFiles.push(
        `${tildePath(path, home)} (security-key (FIDO) keys work only through ssh-agent)`,
      );
      text.fill(0);
      return null;
    }
    return { path, text, publicBlob, keyType, encrypted, privateKey, outcome: null, givenUp: false };
  }

  /** Decrypts a file key, asking for its passphrase (3 tries); null when skipped. */
  async unlock(file: FileKey): Promise<ParsedKey | null> {
    if (file.privateKey) return file.privateKey;
    if (file.givenUp) return null;
    const { prompter, resolved } = this.options;
    const ask = prompter.passphrase?.bind(prompter);
    if (!ask || resolved.batchMode) {
      file.outcome = 'encrypted; no way to ask for its passphrase';
      file.givenUp = true;
      return null;
    }
    const tries = Math.max(1, resolved.numberOfPasswordPrompts);
    for (let attempt = 1; attempt <= tries; attempt++) {
      const secret = await this.options.ask((context) =>
        ask(
          {
            keyFile: file.path,
            keyType: file.keyType,
            fingerprint: file.publicBlob ? sha256Fingerprint(file.publicBlob) : null,
            attempt,
            user: this.options.user,
            host: this.options.host,
            port: this.options.port,
          },
          context,
        ),
      );
      if (secret === null) {
        file.outcome = 'passphrase not given';
        file.givenUp = true;
        return null;
      }
      const passphrase = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
      let parsed: ParsedKey | Error;
      try {
        parsed = firstKey(ssh2ParseKey(file.text, passphrase));
      } finally {
        passphrase.fill(0);
        wipeSecret(secret);
      }
      if (!(parsed instanceof Error) && parsed.isPrivateKey()) {
        if (file.publicBlob && !parsed.getPublicSSH().equals(file.publicBlob)) {
          file.outcome = 'private key does not match its public key';
          file.givenUp = true;
          return null;
        }
        file.privateKey = parsed;
        file.publicBlob ??= parsed.getPublicSSH();
        file.keyType = keyTypeOfBlob(file.publicBlob) ?? file.keyType;
        return parsed;
      }
      this.debug(`passphrase for ${file.path} did not decrypt it (attempt ${attempt})`);
      file.outcome = `wrong passphrase (${attempt}×)`;
    }
    file.givenUp = true;
    return null;
  }

  /** ssh2 `authHandler`. */
  readonly handler = (
    methodsLeft: AuthenticationType[] | null,
    _partialSuccess: boolean | null,
    next: NextAuthHandler,
  ): void => {
    this.wipePending();
    if (methodsLeft === null) {
      this.lastMethod = 'none';
      next({ type: 'none', username: this.options.user });
      return;
    }
    this.serverMethods = [...methodsLeft];
    // ssh2 takes `false` for "no more methods" (its typings omit it).
    const proceed = next as (method: AnyAuthMethod | false) => void;
    this.pickNext(methodsLeft).then(
      (method) => proceed(method ?? false),
      (err: unknown) => {
        this.fatal = err;
        proceed(false);
      },
    );
  };

  private async pickNext(methodsLeft: readonly string[]): Promise<AnyAuthMethod | null> {
    const username = this.options.user;
    const N = Math.max(1, this.options.resolved.numberOfPasswordPrompts);
    while (this.index < this.steps.length) {
      const step = this.steps[this.index];
      if (!step) break;
      const method = step.kind === 'keyring' || step.kind === 'legacy-key' ? 'publickey' : step.kind;
      if (!methodsLeft.includes(method)) {
        this.index++;
        continue;
      }
      switch (step.kind) {
        case 'keyring': {
          this.index++;
          if (!this.ring || (!this.agent && !this.fileKeys.some((f) => f.publicBlob))) continue;
          const ring = this.ring;
          this.triedLog.push(() => this.describeRing(ring));
          this.lastMethod = 'publickey';
          const auth: AgentAuthMethod = { type: 'agent', username, agent: ring };
          return auth;
        }
        case 'legacy-key': {
          this.index++;
          const key = await this.unlock(step.file);
          const file = step.file;
          this.triedLog.push(
            () =>
              `publickey (${tildePath(file.path, this.options.home)}${file.outcome ? `: ${file.outcome}` : ''})`,
          );
          if (!key) continue;
          file.outcome = 'not accepted';
          this.lastMethod = 'publickey';
          const auth: PublicKeyAuthMethod = { type: 'publickey', username, key };
          return auth;
        }
        case 'keyboard-interactive': {
          if (this.kbdDeclined || this.kbdAttempts >= N) {
            this.index++;
            continue;
          }
          this.kbdAttempts++;
          if (this.kbdAttempts === 1) this.triedLog.push(() => `keyboard-interactive (${this.kbdAttempts}×)`);
          this.lastMethod = 'keyboard-interactive';
          const attempt = this.kbdAttempts;
          const auth: KeyboardInteractiveAuthMethod = {
            type: 'keyboard-interactive',
            username,
            prompt: (name, instructions, _lang, prompts: Prompt[], finish) => {
              this.answerKeyboardInteractive(name, instructions, prompts, attempt, finish);
            },
          };
          return auth;
        }
        case 'password': {
          if (this.passwordDeclined || this.passwordAttempts >= N) {
            this.index++;
            continue;
          }
          const ask = this.options.prompter.password?.bind(this.options.prompter);
          if (!ask) {
            this.index++;
            continue;
          }
          const attempt = this.passwordAttempts + 1;
          const secret = await this.options.ask((context) =>
            ask({ user: username, host: this.options.host, port: this.options.port, attempt }, context),
          );
          if (secret === null) {
            this.passwordDeclined = true;
            this.index++;
            continue;
          }
          this.passwordAttempts = attempt;
          if (attempt === 1) this.triedLog.push(() => `password (${this.passwordAttempts}×)`);
          this.pendingSecrets.push(secret);
          this.lastMethod = 'password';
          // ssh2 sends a Buffer password as is (and types it as string): it is zeroed after the attempt.
          const auth = { type: 'password', username, password: secret } as PasswordAuthMethod;
          return auth;
        }
      }
    }
    return null;
  }

  private answerKeyboardInteractive(
    name: string,
    instructions: string,
    prompts: Prompt[],
    attempt: number,
    finish: (answers: string[]) => void,
  ): void {
    const ask = this.options.prompter.keyboardInteractive?.bind(this.options.prompter);
    const empty = () => prompts.map(() => '');
    if (!ask) {
      this.kbdDeclined = true;
      finish(empty());
      return;
    }
    this.options
      .ask((context) =>
        ask(
          {
            user: this.options.user,
            host: this.options.host,
            port: this.options.port,
            name,
            instructions,
            prompts: prompts.map((p) => ({ prompt: p.prompt, echo: p.echo === true })),
            attempt,
          },
          context,
        ),
      )
      .then(
        (answers) => {
          if (answers === null) {
            this.kbdDeclined = true;
            finish(empty());
            return;
          }
          // ssh2 writes keyboard-interactive answers as strings: Buffers are converted, then zeroed.
          const texts = prompts.map((_p, i) => {
            const a = answers[i];
            return a === undefined ? '' : typeof a === 'string' ? a : a.toString('utf8');
          });
          for (const a of answers) wipeSecret(a);
          finish(texts);
        },
        (err: unknown) => {
          this.fatal = err;
          this.kbdDeclined = true;
          finish(empty());
        },
      );
  }

  private describeRing(ring: KeyRing): string {
    const home = this.options.home;
    const parts: string[] = [];
    if (this.agent) {
      parts.push(
        ring.agentError
          ? `ssh-agent unavailable (${ring.agentError})`
          : `ssh-agent (${ring.agentKeyCount} key${ring.agentKeyCount === 1 ? '' : 's'})`,
      );
    } else if (this.options.agentUnavailableReason) {
      parts.push(`no ssh-agent (${this.options.agentUnavailableReason})`);
    }
    for (const file of this.fileKeys) {
      if (!file.publicBlob && file.encrypted) continue; // listed as its own legacy-key attempt
      const outcome = file.outcome ?? 'not accepted';
      parts.push(
        `${tildePath(file.path, home)} (${outcome === 'signed' ? 'signature not accepted' : outcome})`,
      );
    }
    parts.push(...this.skippedFiles);
    return `publickey: ${parts.length > 0 ? parts.join(', ') : 'no keys'}`;
  }

  /** What was tried, in order (for SshAuthError). */
  tried(): string[] {
    const list = this.triedLog.map((f) => f());
    if (!list.some((t) => t.startsWith('publickey')) && this.skippedFiles.length > 0) {
      list.unshift(`publickey: not tried (${this.skippedFiles.join(', ')})`);
    }
    return list;
  }

  private wipePending(): void {
    for (const s of this.pendingSecrets) wipeSecret(s);
    this.pendingSecrets = [];
  }

  /** Zeroes key material and pending secrets; drops decrypted keys. Call after the connect ends. */
  dispose(): void {
    this.wipePending();
    for (const file of this.fileKeys) {
      file.text.fill(0);
      file.privateKey = null;
    }
    if (this.ring) this.ring.entries = [];
  }
}
