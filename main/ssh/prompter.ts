/**
 * What an SSH connection may need to ask the user: an unknown host key, a key passphrase, a password,
 * keyboard-interactive answers. Every method is optional: a missing one means "cannot ask" (an unknown
 * host key is then refused, the auth method skipped).
 *
 * Each call gets a context whose `signal` aborts when the connect is cancelled, times out or the server
 * hangs up: close the dialog then. Connects never hang on a prompter that ignores the signal.
 *
 * Secrets: return a Buffer when you can; VirtDeck zeroes it once used (a JS string cannot be wiped).
 * Secrets are never logged, never written to disk and never kept after the connect.
 */

export type SshSecret = string | Buffer;

export interface SshPromptContext {
  readonly signal: AbortSignal;
}

export interface HostKeyPromptInfo {
  /** The host as connected to (HostName) and port; with a HostKeyAlias, `host` is the alias. */
  host: string;
  port: number;
  /** Key type from the key itself, e.g. `ssh-ed25519`. */
  keyType: string;
  /** `SHA256:` + unpadded base64, exactly as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** Where `accept-and-save` writes the key (null: no user known_hosts file, save is not possible). */
  knownHostsFile: string | null;
  /** The jump host chain this connection goes through, e.g. ['bastion:22']; empty when direct. */
  via: string[];
}

export type HostKeyDecision = 'accept-once' | 'accept-and-save' | 'reject';

export interface PassphrasePromptInfo {
  /** The private key file (absolute path). */
  keyFile: string;
  keyType: string;
  /** Fingerprint of its public key when known before decrypting (OpenSSH format keys, `.pub` present). */
  fingerprint: string | null;
  /** 1 for the first ask; > 1 after a wrong passphrase. */
  attempt: number;
  user: string;
  host: string;
  port: number;
}

export interface PasswordPromptInfo {
  user: string;
  host: string;
  port: number;
  /** 1 for the first ask; > 1 after the server refused the previous password. */
  attempt: number;
}

export interface KeyboardInteractivePromptInfo {
  user: string;
  host: string;
  port: number;
  /** As sent by the server (may be empty). */
  name: string;
  instructions: string;
  prompts: Array<{ prompt: string; echo: boolean }>;
  attempt: number;
}

export interface SshPrompter {
  /** Unknown host key: accept for this connection only, accept and append to known_hosts, or reject. */
  hostKeyUnknown?(info: HostKeyPromptInfo, context: SshPromptContext): Promise<HostKeyDecision>;
  /** Passphrase of an encrypted key file; null skips this key. */
  passphrase?(info: PassphrasePromptInfo, context: SshPromptContext): Promise<SshSecret | null>;
  /** Password for `password` authentication; null stops trying passwords. */
  password?(info: PasswordPromptInfo, context: SshPromptContext): Promise<SshSecret | null>;
  /** One answer per prompt, in order; null stops keyboard-interactive. */
  keyboardInteractive?(
    info: KeyboardInteractivePromptInfo,
    context: SshPromptContext,
  ): Promise<SshSecret[] | null>;
}

/** Overwrites a Buffer secret with zeros (strings cannot be wiped in JS). */
export function wipeSecret(secret: SshSecret | null | undefined): void {
  if (Buffer.isBuffer(secret)) secret.fill(0);
}
