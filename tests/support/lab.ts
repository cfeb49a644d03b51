import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A lab host's sshd and the key it presents. */
export interface LabSsh {
  host: string;
  port: number;
  hostKey: string;
  /** Exactly as `ssh-keygen -lf` prints it: SHA256:<unpadded base64>. */
  hostKeyFingerprint: string;
  /** OpenSSH known_hosts file with this host's entry (`[host]:port key`). */
  knownHostsFile: string;
}

export interface LabAccounts {
  root: { user: string; identityFile: string; libvirtSshUri?: string };
  operator: { user: string; identityFile: string; sudoPasswordFile: string; libvirtSshUri?: string };
}

export interface LabPortRange {
  min: number;
  max: number;
}

/**
 * Host B (tests/lab/README.md "Host B"): a second, independent libvirt host on the same machine, in its
 * own namespaces, with its own libvirtd (host UUID, hostname, port ranges) and sshd at `address`.
 */
export interface LabHostB {
  /** What its libvirtd reports as hostname (virConnectGetHostname). */
  hostname: string;
  /** Its libvirtd's host UUID (libvirtd.conf host_uuid; <host><uuid> in its capabilities). */
  hostUuid: string;
  /** Host B's address, reachable from the machine (host A and the workstation). */
  address: string;
  /** Host A's address as host B reaches it (host A's migration ports listen there). */
  hostAAddress: string;
  ssh: LabSsh;
  /** The same accounts and keys as host A's, logging in to host B's sshd. */
  accounts: {
    root: LabAccounts['root'] & { libvirtSshUri: string };
    operator: LabAccounts['operator'] & { libvirtSshUri: string };
  };
  /** The libvirt URI on host B itself (what virt-ssh-helper is given). */
  libvirtUri: string;
  /** Host B's libvirtd from this machine as root, without SSH (its socket). */
  localLibvirtUri: string;
  migrationPorts: LabPortRange;
  displayPorts: LabPortRange;
  /** Storage pools defined on host B: the shared one and its private `vd-disks` ($STATE/disks). */
  pools: string[];
  /** Host B's private view of PATH (one of privatePaths) is privateRoot + PATH on this machine. */
  privateRoot: string;
  privatePaths: string[];
  logsDir: string;
  /** State when lab.json was written or `lab.sh isolate` last ran; `up` turns isolation off. */
  isolation: boolean;
}

/** What tests/lab/lab.sh writes to $VIRTDECK_LAB_DIR/lab.json: the contract between the lab and the suites. */
export interface LabInfo {
  stateDir: string;
  /** Host A's sshd. */
  ssh: LabSsh;
  /** A second sshd of host A for the fleet benchmark (same accounts and host key, room for 1000 logins at once). */
  benchSsh?: { host: string; port: number; pidFile: string; log: string };
  accounts: LabAccounts;
  libvirtUri: string;
  /** The guests' shell prompt, as they print it on the serial console. */
  guestPrompt?: string;
  guests: Array<{
    name: string;
    running: boolean;
    graphics: 'vnc' | 'spice';
    uuid?: string;
    serialLog?: string;
  }>;
  /**
   * Running guests with a real QEMU guest agent (vd-agent-N: Debian's qemu-ga, an ext4 disk on /data),
   * listed apart from `guests`. Absent when lab.json came from an older lab.sh or VIRTDECK_LAB_AGENT_GUESTS=0.
   */
  agent?: LabInfo['guests'];
  /** Host A's migration port range (libvirt's default). Present when host B is. */
  migrationPorts?: LabPortRange;
  /** A dir pool defined on both hosts at the same path (shared-storage migration). Present when host B is. */
  sharedPool?: { name: string; path: string };
  /** Absent when the lab runs without host B (VIRTDECK_LAB_HOST_B=0) or lab.json came from an older lab.sh. */
  hostB?: LabHostB;
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
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'the lab must be started as root';
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
  const result = spawnSync('bash', [LAB_SCRIPT, 'up'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const detail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`lab.sh up failed (exit ${result.status ?? result.signal}):\n${detail}`);
  }
  log(`lab: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { available: true, lab: readLabInfo() };
}

/** virsh -q on the lab's host A (qemu:///system), as root, directly; throws with virsh's message when it fails. */
export function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** {@link virsh}, for clean-up: whether it succeeded. */
export function virshOk(...args: string[]): boolean {
  try {
    virsh(...args);
    return true;
  } catch {
    return false;
  }
}

/**
 * A qcow2 v3 image (compat=1.1: backups' persistent bitmaps need it; said, not left to qemu-img's default)
 * of `mib` MiB of random data: random data cannot be skipped as holes, so a copy, clone or full backup has
 * all of it to move.
 */
export function randomQcow2(path: string, mib: number): void {
  const raw = `${path}.raw`;
  execFileSync('sh', ['-c', `head -c ${mib * 1048576} /dev/urandom > '${raw}' && qemu-img convert -q -f raw -O qcow2 -o compat=1.1 '${raw}' '${path}' && rm -f '${raw}'`]);
}

/** Runs a command on the lab host as root, directly (not over SSH): for test preconditions. */
export function labHostExec(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}

/** Host B's description, or a clear error when this lab has none. */
export function requireHostB(lab: LabInfo): LabHostB & { sharedPool: { name: string; path: string } } {
  if (!lab.hostB || !lab.sharedPool)
    throw new Error(
      'lab.json has no host B: run `bash tests/lab/lab.sh up` from this tree (and not with VIRTDECK_LAB_HOST_B=0)',
    );
  return { ...lab.hostB, sharedPool: lab.sharedPool };
}

/** Where this machine sees the file host B has at `path` (host B's private directories differ). */
export function hostBPath(hostB: LabHostB, path: string): string {
  const priv = hostB.privatePaths.some((p) => path === p || path.startsWith(`${p}/`));
  return priv ? `${hostB.privateRoot}${path}` : path;
}

/**
 * Turns the lab's isolation on or off (`lab.sh isolate on|off`): on, hosts A and B reach only each
 * other's sshd — neither reaches the other's migration or NBD ports. Idempotent.
 */
export function labIsolate(on: boolean): void {
  const result = spawnSync('bash', [LAB_SCRIPT, 'isolate', on ? 'on' : 'off'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(
      `lab.sh isolate ${on ? 'on' : 'off'} failed (exit ${result.status ?? result.signal}): ${result.stderr}`,
    );
}
