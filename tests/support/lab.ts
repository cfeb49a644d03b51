import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What tests/lab/lab.sh writes to $VIRTDECK_LAB_DIR/lab.json: the contract between the lab and the suites. */
export interface LabInfo {
  stateDir: string;
  ssh: { host: string; port: number; hostKey: string; hostKeyFingerprint: string; knownHostsFile: string };
  accounts: {
    root: { user: string; identityFile: string };
    operator: { user: string; identityFile: string; sudoPasswordFile: string };
  };
  libvirtUri: string;
  /** The guests' shell prompt, as they print it on the serial console. */
  guestPrompt?: string;
  guests: Array<{ name: string; running: boolean; graphics: 'vnc' | 'spice'; uuid?: string; serialLog?: string }>;
  /** A running dir pool (vd-lab-pool) in the state dir. */
  storagePool?: { name: string; path: string };
}

export type LabAvailability = { available: true; lab: LabInfo } | { available: false; reason: string };

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const LAB_SCRIPT = join(PROJECT_ROOT, 'tests', 'lab', 'lab.sh');

export function labStateDir(): string {
  return process.env.VIRTDECK_LAB_DIR ?? '/var/lib/virtdeck-lab';
}

export function labRequired(): boolean {
  return process.env.REQUIRE_LAB === '1';
}

function isDebianLike(): boolean {
  if (!existsSync('/etc/os-release')) return false;
  const release = readFileSync('/etc/os-release', 'utf8');
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release);
}

/** Why this machine cannot run the lab, or null when it can. */
export function labUnsupportedReason(): string | null {
  if (process.env.VIRTDECK_SKIP_LAB === '1') return 'VIRTDECK_SKIP_LAB=1 is set';
  if (process.platform !== 'linux') return `the lab needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the lab must be started as root';
  if (!isDebianLike()) return 'the lab installs Debian/Ubuntu packages and this is neither';
  return null;
}

export function readLabInfo(): LabInfo {
  return JSON.parse(readFileSync(join(labStateDir(), 'lab.json'), 'utf8')) as LabInfo;
}

/**
 * Brings the lab up (idempotent: seconds when it already runs) and returns its description, or the
 * reason it cannot run here. With REQUIRE_LAB=1 a lab that cannot run is an error, not a skip.
 */
export function ensureLab(log: (line: string) => void = console.log): LabAvailability {
  const unsupported = labUnsupportedReason();
  if (unsupported) {
    if (labRequired()) throw new Error(`REQUIRE_LAB=1 but ${unsupported}`);
    return { available: false, reason: unsupported };
  }
  log('lab: bringing the lab up (bash tests/lab/lab.sh up)…');
  const started = Date.now();
  const result = spawnSync('bash', [LAB_SCRIPT, 'up'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    const detail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`lab.sh up failed (exit ${result.status ?? result.signal}):\n${detail}`);
  }
  log(`lab: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { available: true, lab: readLabInfo() };
}

/** Runs a command on the lab host as root, directly (not over SSH): for test preconditions. */
export function labHostExec(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}
