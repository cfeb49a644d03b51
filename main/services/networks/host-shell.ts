import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { shellQuote, type SshConnection } from '../../ssh';
import { ApiFailure } from '../api-failure';

/** Runs a read-only script on a host: over its existing SSH connection, or locally for "this computer". */
export interface HostShell {
  run(script: string, timeoutMs?: number): Promise<string>;
}

export function hostShellOf(ssh: SshConnection | null): HostShell {
  if (ssh) {
    return {
      run: async (script, timeoutMs = 60_000) => {
        const result = await ssh.run(`sh -c ${shellQuote(script)}`, { timeoutMs });
        if (result.code !== 0 && result.stdout.trim() === '') {
          throw new ApiFailure('ssh', `The host's script failed (exit ${result.code ?? result.signal}): ${result.stderr.trim() || 'no output'}`);
        }
        return result.stdout;
      },
    };
  }
  return {
    run: async (script, timeoutMs = 60_000) =>
      (await promisify(execFile)('sh', ['-c', script], { timeout: timeoutMs, maxBuffer: 64 << 20 })).stdout,
  };
}
