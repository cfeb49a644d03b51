/**
 * Commands on a guest's host: over the host's existing SSH connection (exec), or on this computer for a
 * local host. Backups use it for what libvirt has no call for: making the backup's directory, writing and
 * reading the manifests, removing a backup's files, and qemu-img (chaining incremental files).
 */
import { spawn } from 'node:child_process';
import { shellQuote, type SshConnection } from '../../ssh';
import { ApiFailure } from '../api-failure';

export interface HostRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface HostShell {
  run(command: string, options?: { stdin?: string; timeoutMs?: number }): Promise<HostRunResult>;
}

export function hostShellFor(ssh: SshConnection | null): HostShell {
  if (ssh) {
    return {
      run: async (command, options = {}) => {
        const r = await ssh.run(command, { timeoutMs: options.timeoutMs ?? 60_000, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
        return { code: r.code, stdout: r.stdout, stderr: r.stderr };
      },
    };
  }
  return {
    run: (command, options = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', command], { stdio: 'pipe' });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
        });
        child.stdin.end(options.stdin ?? '');
      }),
  };
}

/** Runs a command that must succeed; its stderr becomes the failure's message. */
export async function runOk(shell: HostShell, command: string, what: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await shell.run(command, options);
  if (r.code !== 0) throw new ApiFailure('io', `${what} failed on the host: ${r.stderr.trim() || `exit code ${String(r.code)}`}`);
  return r.stdout;
}

/** An absolute, normalised path without `..` or odd characters a shell or XML could trip on. */
export function checkHostPath(path: string, field = 'directory'): string {
  const trimmed = path.trim().replace(/\/+$/, '');
  if (!trimmed.startsWith('/') || trimmed.split('/').some((part) => part === '..' || part === '.') || /[\0\n\r]/.test(trimmed) || trimmed.length > 1000) {
    throw new ApiFailure('invalid-request', `"${path}" is not an absolute directory path on the host`, { field });
  }
  return trimmed.replace(/\/{2,}/g, '/');
}

export { shellQuote };
