import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../support/lab';

/** A serve-mode process of a spec's own (its own config directory), beside the shared one of global setup. */
export interface OwnServe {
  tokenUrl: string;
  /**
   * SIGTERM to its process group (what Ctrl+C does), resolved once every process of the group is gone;
   * SIGKILL (and `killed`) only when that has not happened after 20 s.
   */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startOwnServe(options: {
  configDir: string;
  home: string;
  knownHosts: string;
  /** Where serve mode's log goes (default: this run's stderr). */
  stderr?: 'inherit' | 'ignore';
}): Promise<OwnServe> {
  const child: ChildProcess = spawn('npx', ['tsx', 'main/cli/serve.ts', '--json', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      VIRTDECK_CONFIG_DIR: options.configDir,
      HOME: options.home,
      VIRTDECK_KNOWN_HOSTS: options.knownHosts,
      VIRTDECK_SSH_CONFIG: 'none',
      SSH_AUTH_SOCK: '',
    },
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
    // Its own process group, so that stop() stops npx, tsx and node together.
    detached: true,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      return { code: child.exitCode, signal: child.signalCode, killed: false };
    }
    let killed = false;
    signal('SIGTERM');
    const timer = setTimeout(() => {
      killed = true;
      signal('SIGKILL');
    }, 20_000);
    const result = await exited;
    // npx may exit on the signal before node has finished shutting down (and flushing): wait until no
    // process of the group is left.
    while (groupAlive(child.pid)) await new Promise((resolve) => setTimeout(resolve, 100));
    clearTimeout(timer);
    return { ...result, killed };
  };
  const stdout = child.stdout;
  if (!stdout) throw new Error('serve mode has no stdout');
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('serve mode did not print its URL within 150 s')), 150_000);
      // The reader stays attached, so the pipe never fills up.
      createInterface({ input: stdout }).once('line', (first) => {
        clearTimeout(timer);
        resolve(first);
      });
      void exited.then(({ code }) => reject(new Error(`serve mode exited early with code ${code}`)));
    });
    return { tokenUrl: (JSON.parse(line) as { tokenUrl: string }).tokenUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
