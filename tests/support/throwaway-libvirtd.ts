/**
 * A throw-away libvirtd on scratch configuration files, to show what the real daemon (the lab's
 * libvirtd 9.0) does with a value, without touching the lab's daemon, files or guests.
 *
 * It runs `libvirtd` (the lab's binary) in fresh Linux namespaces (unshare --mount --net --pid --fork
 * --kill-child, so everything it starts dies with it): a private tmpfs over /run, /var/lib/libvirt,
 * /var/cache/libvirt and /var/log/libvirt, the scratch directory bind-mounted over /etc/libvirt (so it
 * reads the scratch qemu.conf and libvirtd.conf, and sees none of the lab's guests), and its own
 * network namespace (its firewall rules, listening ports and guests' VNC/SPICE ports stay private). A
 * private virtlogd serves its guests' logs. The lab's QEMU capabilities cache is copied in, so starting
 * a guest does not probe QEMU again.
 *
 * Then: did the daemon start (its admin socket answers — libvirtd enables its sockets only once every
 * driver is initialised) or exit, with its log; optionally a guest (VNC + SPICE graphics, no disks) is
 * started, and optionally saved (`virsh save`), each with virsh's output.
 *
 * Needs root on the lab machine (it is one), unshare (util-linux), libvirtd, virtlogd, virsh, virt-admin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayOptions {
  /** The qemu.conf it reads. */
  qemuConf: string;
  /** The libvirtd.conf it reads. */
  daemonConf: string;
  /** Extra libvirtd arguments (e.g. --listen). */
  args?: string[];
  /** The daemon's socket directory (unix_sock_dir), when the configuration moves it. */
  socketDir?: string;
  /** Start a guest once the daemon answers. */
  guest?: boolean;
  /** Then save it with `virsh save` (implies guest). */
  save?: boolean;
  /** How long the daemon may take to answer (default 45 s). */
  timeoutMs?: number;
}

export interface ThrowawayResult {
  /** answered: it started and its admin socket answers; exited: it stopped by itself; timeout: neither. */
  daemon: 'answered' | 'exited' | 'timeout';
  /** The daemon's error and warning lines. */
  errors: string[];
  /** The daemon's whole log (stderr). */
  log: string;
  guest: { started: boolean; output: string } | null;
  save: { ok: boolean; output: string } | null;
}

/** Why this machine cannot run a throw-away libvirtd, or null when it can. */
export function throwawayUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root';
  for (const tool of ['unshare', 'libvirtd', 'virtlogd', 'virsh', 'virt-admin', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `no ${tool}`;
  }
  return null;
}

const GUEST_XML = `<domain type='qemu'>
  <name>virtdeck-proof</name>
  <memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='vnc' autoport='yes'/>
    <graphics type='spice' autoport='yes'/>
  </devices>
</domain>
`;

/** Runs inside the namespaces: $1 scratch dir, $2 timeout (s), $3 socket dir, $4 guest|-, $5 save|-, then libvirtd args. */
const SCRIPT = String.raw`set -u
S=$1; timeout=$2; sockdir=$3; guest=$4; save=$5; shift 5
for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do mkdir -p "$d"; done
[ -d /var/cache/libvirt/qemu/capabilities ] && cp -a /var/cache/libvirt/qemu/capabilities "$S/caps-cache"
for d in /run /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do mount -t tmpfs -o mode=0755 tmpfs "$d" || exit 90; done
mkdir -p /run/libvirt /var/cache/libvirt/qemu
[ -d "$S/caps-cache" ] && cp -a "$S/caps-cache" /var/cache/libvirt/qemu/capabilities
mount --bind "$S/etc" /etc/libvirt || exit 91
ip link set lo up
virtlogd >"$S/virtlogd.log" 2>&1 &
libvirtd "$@" >"$S/libvirtd.log" 2>&1 &
pid=$!
admin="libvirtd:///system?socket=$sockdir/libvirt-admin-sock"
uri="qemu:///system?socket=$sockdir/libvirt-sock"
end=$(( $(date +%s) + timeout )); state=timeout
while [ "$(date +%s)" -lt "$end" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; echo "@@tw daemon exited $?"; state=exited; break; fi
  if virt-admin -c "$admin" srv-list >/dev/null 2>&1; then echo '@@tw daemon answered'; state=answered; break; fi
  sleep 0.2
done
[ "$state" = timeout ] && echo '@@tw daemon timeout'
if [ "$state" = answered ] && [ "$guest" = guest ]; then
  if virsh -c "$uri" create "$S/guest.xml" >"$S/guest.out" 2>&1; then
    echo '@@tw guest ok'
    if [ "$save" = save ]; then
      if virsh -c "$uri" save virtdeck-proof "$S/guest.save" >"$S/save.out" 2>&1; then echo '@@tw save ok'; else echo '@@tw save fail'; fi
    fi
    virsh -c "$uri" destroy virtdeck-proof >/dev/null 2>&1
  else
    echo '@@tw guest fail'
  fi
fi
kill -TERM "$pid" 2>/dev/null
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
exit 0
`;

/** Starts a throw-away libvirtd on `qemuConf` and `daemonConf` and reports what it did. */
export async function runThrowawayLibvirtd(options: ThrowawayOptions): Promise<ThrowawayResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'virtdeck-throwaway-'));
  try {
    mkdirSync(join(scratch, 'etc'), { mode: 0o755 });
    writeFileSync(join(scratch, 'etc', 'qemu.conf'), options.qemuConf, { mode: 0o600 });
    writeFileSync(join(scratch, 'etc', 'libvirtd.conf'), options.daemonConf, { mode: 0o644 });
    // The lock manager plugins read their own files from /etc/libvirt (qemu-lockd.conf…).
    for (const name of ['qemu-lockd.conf', 'qemu-sanlock.conf', 'virtlogd.conf', 'virtlockd.conf'])
      if (existsSync(`/etc/libvirt/${name}`)) cpSync(`/etc/libvirt/${name}`, join(scratch, 'etc', name));
    writeFileSync(join(scratch, 'guest.xml'), GUEST_XML);
    const timeoutS = Math.ceil((options.timeoutMs ?? 45_000) / 1000);
    const args = [
      '--mount',
      '--net',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--propagation',
      'private',
      'sh',
      '-c',
      SCRIPT,
      'throwaway',
      scratch,
      String(timeoutS),
      options.socketDir ?? '/run/libvirt',
      options.guest || options.save ? 'guest' : '-',
      options.save ? 'save' : '-',
      '--config',
      '/etc/libvirt/libvirtd.conf',
      ...(options.args ?? []),
    ];
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      // The script bounds itself; this only guards against a hang (unshare --kill-child takes the rest along).
      const guard = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 120) * 1000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(guard);
        if (!/@@tw daemon/.test(out))
          reject(new Error(`throw-away libvirtd did not run (exit ${code}): ${err.trim()}`));
        else resolve(out);
      });
    });
    const read = (name: string) =>
      existsSync(join(scratch, name)) ? readFileSync(join(scratch, name), 'utf8') : '';
    const log = read('libvirtd.log');
    const state = /@@tw daemon (answered|exited|timeout)/.exec(stdout)?.[1] as ThrowawayResult['daemon'];
    const guestWord = /@@tw guest (ok|fail)/.exec(stdout)?.[1];
    const saveWord = /@@tw save (ok|fail)/.exec(stdout)?.[1];
    return {
      daemon: state,
      errors: log.split('\n').filter((l) => / (error|warning) : /.test(l)),
      log,
      guest: guestWord ? { started: guestWord === 'ok', output: read('guest.out').trim() } : null,
      save: saveWord ? { ok: saveWord === 'ok', output: read('save.out').trim() } : null,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Noise of a daemon in a sandbox without DMI, KVM, dnsmasq or D-Bus: not about the configuration. */
const NOISE =
  /ethtool ioctl|dmidecode|\/dev\/mem|udevGetDMIData|\/dev\/kvm|dnsmasq|system bus|DBus not available|firewalld/;

/** The daemon's errors that matter (without the sandbox's noise). */
export function relevantErrors(result: ThrowawayResult): string[] {
  return result.errors.filter((l) => !NOISE.test(l));
}
