import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromiumPath } from '../support/chromium';
import { PROJECT_ROOT, ensureLab, labRequired } from '../support/lab';
import { commandInstalled, startXvfb } from '../support/xvfb';

/**
 * Starts the lab (when this machine can) and the real serve-mode process (`npm run serve -- --json`)
 * with an empty config directory; tests find its URLs in the environment.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!chromiumPath()) {
    const reason = 'no Chromium found (install Debian package chromium or set CHROMIUM_PATH)';
    if (labRequired()) throw new Error(`REQUIRE_LAB=1 but ${reason}`);
    process.env.VIRTDECK_E2E_SKIP = reason;
    return async () => undefined;
  }
  const lab = ensureLab();
  process.env.VIRTDECK_E2E_LAB = JSON.stringify(lab);

  const configDir = mkdtempSync(join(tmpdir(), 'virtdeck-e2e-config-'));
  // Known hosts and SSH config of their own: this machine's ~/.ssh stays out of the tests. The config
  // names the lab's operator account under an alias, for the import test.
  const home = mkdtempSync(join(tmpdir(), 'virtdeck-e2e-home-'));
  const sshConfig = join(home, 'ssh_config');
  writeFileSync(
    sshConfig,
    lab.available
      ? `Host lab-alias\n  HostName ${lab.lab.ssh.host}\n  Port ${lab.lab.ssh.port}\n  User ${lab.lab.accounts.operator.user}\n` +
          `  IdentityFile ${lab.lab.accounts.operator.identityFile}\n`
      : '',
  );
  // "Open in remote-viewer" starts a real viewer from the serve process: give it a display of its own
  // when this machine has none (CI) and the viewer is installed.
  let xvfb: ChildProcess | null = null;
  if (!process.env.DISPLAY && commandInstalled('remote-viewer') && commandInstalled('Xvfb')) {
    const started = await startXvfb();
    xvfb = started.process;
    process.env.DISPLAY = started.display;
  }
  const child: ChildProcess = spawn('npx', ['tsx', 'main/cli/serve.ts', '--json', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      VIRTDECK_CONFIG_DIR: configDir,
      HOME: home,
      VIRTDECK_KNOWN_HOSTS: join(home, 'known_hosts'),
      VIRTDECK_SSH_CONFIG: sshConfig,
      SSH_AUTH_SOCK: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its own process group, so that teardown stops npx, tsx and node together.
    detached: true,
  });
  const stop = () => {
    if (xvfb && xvfb.exitCode === null) xvfb.kill();
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', stop);
  const stdout = child.stdout;
  if (!stdout) throw new Error('serve mode has no stdout');
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: stdout });
    const timer = setTimeout(() => reject(new Error('serve mode did not print its URL within 120 s')), 120_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`serve mode exited early with code ${code}`)));
  });
  const { url, tokenUrl } = JSON.parse(firstLine) as { url: string; tokenUrl: string };
  process.env.VIRTDECK_E2E_URL = url;
  process.env.VIRTDECK_E2E_TOKEN_URL = tokenUrl;
  process.env.VIRTDECK_E2E_CONFIG_DIR = configDir;
  process.env.VIRTDECK_E2E_HOME = home;
  return async () => stop();
}
