/**
 * The shell scripts the configuration editor runs on a host, as root (directly, or through sudo).
 * POSIX sh + coreutils/procps only. Output is framed as `@@vd <kind> …` lines, file bodies follow their
 * header with an exact byte count, so nothing in a file can be mistaken for a frame.
 */

/** Where backups go: beside the configuration, root-only (qemu.conf may hold passwords). */
export const BACKUP_DIR = '/etc/libvirt/virtdeck-backups';
/**
 * Scratch space for the restart transaction (root-only, tmpfs): its log while it runs, and the daemon's
 * command line, environment and working directory, to start it again the same way when it was started
 * without an init system.
 */
export const STATE_DIR = '/run/virtdeck';

const COMMON = String.raw`
set -u
# The daemon of THIS system: its pid file when it names a live process of that name, else the oldest
# process of that name in our own pid and mount namespaces (a machine can run libvirtd in containers
# too, which must never be restarted from here); pidof only where pgrep has no --ns (busybox).
daemon_pid() {
  for f in "/run/$1.pid" "/var/run/$1.pid"; do
    [ -r "$f" ] || continue
    p=$(cat "$f" 2>/dev/null)
    case "$p" in ''|*[!0-9]*) continue ;; esac
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && { echo "$p"; return; }
  done
  if pgrep --help 2>&1 | grep -q -- '--ns'; then
    pgrep --ns $$ --nslist pid,mnt -x -o "$1" 2>/dev/null || true
  else
    pidof -s "$1" 2>/dev/null || true
  fi
}
`;

/**
 * Finds the daemon that runs the QEMU driver (modular virtqemud or monolithic libvirtd), how it is
 * managed, and prints qemu.conf, the daemon's own .conf and libvirt's augeas lenses.
 */
export const READ_SCRIPT = String.raw`${COMMON}
daemon=; pid=
for n in virtqemud libvirtd; do
  p=$(daemon_pid "$n")
  if [ -n "$p" ]; then daemon=$n; pid=$p; break; fi
done
if [ -d /run/systemd/system ]; then
  manager=systemd
  if [ -z "$daemon" ]; then
    if systemctl is-enabled --quiet virtqemud.socket 2>/dev/null || systemctl is-enabled --quiet virtqemud.service 2>/dev/null; then daemon=virtqemud; else daemon=libvirtd; fi
  fi
elif [ -n "$pid" ]; then manager=direct
elif command -v rc-service >/dev/null 2>&1; then manager=openrc
else manager=service
fi
[ -n "$daemon" ] || daemon=libvirtd
pidshow=$pid; [ -n "$pidshow" ] || pidshow=-
printf '@@vd daemon %s %s %s\n' "$daemon" "$pidshow" "$manager"
if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ]; then
  tr '\000' ' ' < "/proc/$pid/cmdline" > /tmp/.virtdeck-cmdline.$$ 2>/dev/null
  printf '@@vd cmdline %s\n' "$(wc -c < /tmp/.virtdeck-cmdline.$$)"; cat /tmp/.virtdeck-cmdline.$$; printf '\n'
  rm -f /tmp/.virtdeck-cmdline.$$
fi
emit() {
  if [ -f "$2" ]; then
    printf '@@vd %s %s %s %s %s\n' "$1" "$2" "$(stat -c '%s %u:%g %a %U:%G' "$2")" "$(sha256sum "$2" | cut -d' ' -f1)" "$(stat -c %Y "$2")"
    cat "$2"; printf '\n'
  else
    printf '@@vd missing %s\n' "$2"
  fi
}
emit file /etc/libvirt/qemu.conf
emit file "/etc/libvirt/$daemon.conf"
for dir in /usr/share/augeas/lenses/dist /usr/share/augeas/lenses; do
  [ -d "$dir" ] || continue
  for f in "$dir"/*.aug; do
    [ -f "$f" ] && grep -q 'incl "/etc/libvirt/' "$f" 2>/dev/null && emit lens "$f"
  done
done
printf '@@vd end\n'
`;

/** Prints one file (a backup) framed like READ_SCRIPT does. $1 = path. */
export const CAT_SCRIPT = String.raw`${COMMON}
f=$1
[ -f "$f" ] || { printf '@@vd missing %s\n' "$f"; exit 3; }
printf '@@vd file %s %s %s %s %s\n' "$f" "$(stat -c '%s %u:%g %a %U:%G' "$f")" "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %Y "$f")"
cat "$f"; printf '\n'
`;

/**
 * Replaces $1 with stdin, atomically, if its SHA-256 is still $2: the new content must hash to $3.
 * Temp file beside the target with the target's owner, mode and SELinux context, a backup of the old
 * file as $5/<name>.$4.bak, then rename(2) over the target; the backup is noted in $6/pending.
 */
export const WRITE_SCRIPT = String.raw`${COMMON}
set -e
umask 077
target=$1; expect=$2; want=$3; stamp=$4; bdir=$5; state=$6
[ -f "$target" ] || { echo "@@vd error $target does not exist"; exit 3; }
cur=$(sha256sum "$target" | cut -d' ' -f1)
[ "$cur" = "$expect" ] || { echo "@@vd conflict $cur"; exit 4; }
dir=$(dirname "$target"); base=$(basename "$target")
tmp=$(mktemp "$dir/.$base.virtdeck.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
got=$(sha256sum "$tmp" | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "@@vd error the new content arrived incomplete"; exit 5; }
chown "$(stat -c %u:%g "$target")" "$tmp"
chmod "$(stat -c %a "$target")" "$tmp"
if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then chcon --reference="$target" "$tmp"; fi
mkdir -p "$bdir"; chmod 700 "$bdir"
backup="$bdir/$base.$stamp.bak"
cp -p "$target" "$backup"
sync "$tmp" 2>/dev/null || true
mv -f "$tmp" "$target"
trap - EXIT
# What the running daemon loaded: the first backup of each file since its last good restart (on tmpfs:
# a reboot restarts the daemon anyway). The restart transaction rolls back to these.
mkdir -p "$state"; chmod 700 "$state"
grep -q "^$target " "$state/pending" 2>/dev/null || printf '%s %s\n' "$target" "$backup" >> "$state/pending"
echo "@@vd ok $backup"
`;

/** Lists the backups: `@@vd backup <size> <mtime> <path>`. $1 = backup dir. */
export const LIST_BACKUPS_SCRIPT = String.raw`${COMMON}
for f in "$1"/*.bak; do
  [ -f "$f" ] && printf '@@vd backup %s %s\n' "$(stat -c '%s %Y' "$f")" "$f"
done
printf '@@vd end\n'
`;

/**
 * The restart transaction, run detached (setsid) so that it completes even if the SSH connection drops:
 * restart the daemon, wait until qemu:///system answers, and when it does not within the timeout, keep
 * the failed files as backups, put the given backups back, restart again and check again.
 * $1 daemon, $2 manager (systemd|direct|openrc|service), $3 timeout s, $4 state dir, $5 backup dir,
 * $6 stamp, then optional pairs "target backup" (default: $4/pending, written by WRITE_SCRIPT).
 */
export const RESTART_SCRIPT = String.raw`${COMMON}
umask 077
daemon=$1; manager=$2; timeout=$3; state=$4; bdir=$5; stamp=$6; shift 6
# Without explicit pairs: the backups noted by the saves since the last good restart (paths have no spaces).
if [ $# -eq 0 ] && [ -s "$state/pending" ]; then set -- $(cat "$state/pending"); fi
step() { printf '@@vd step %s\n' "$*"; }
now() { date +%s; }
answers() {
  if command -v virsh >/dev/null 2>&1; then
    LC_ALL=C timeout 15 virsh -c qemu:///system version >/dev/null 2>"$state/answer.err"
  else
    p=$(daemon_pid "$daemon")
    [ -n "$p" ] && { [ -S /run/libvirt/libvirt-sock ] || [ -S /run/libvirt/virtqemud-sock ]; }
  fi
}
wait_answer() {
  end=$(( $(now) + timeout )); gone=0
  while [ "$(now)" -lt "$end" ]; do
    if answers; then sleep 2; answers && return 0; fi
    # Started directly, a daemon that is gone for 5 s will not come back by itself.
    if [ "$manager" = direct ] && [ -z "$(daemon_pid "$daemon")" ]; then
      gone=$((gone + 1))
      if [ "$gone" -ge 5 ]; then step "$daemon exited"; return 1; fi
    else gone=0; fi
    sleep 1
  done
  return 1
}
pid=$(daemon_pid "$daemon")
if [ "$manager" = direct ]; then
  if [ -n "$pid" ]; then
    cat "/proc/$pid/cmdline" > "$state/cmdline"; cat "/proc/$pid/environ" > "$state/environ"
    readlink "/proc/$pid/cwd" > "$state/cwd" || echo / > "$state/cwd"
  elif [ ! -s "$state/cmdline" ]; then
    step "$daemon is not running and was never seen running: nothing to copy its command line from"; echo '@@vd result failed'; exit 1
  fi
fi
restart() {
  case $manager in
    systemd) step "systemctl restart $daemon.service"; systemctl restart "$daemon.service" 2>&1 | sed 's/^/@@vd step   /' ;;
    openrc) step "rc-service $daemon restart"; rc-service "$daemon" restart 2>&1 | sed 's/^/@@vd step   /' ;;
    service) step "service $daemon restart"; service "$daemon" restart 2>&1 | sed 's/^/@@vd step   /' ;;
    direct)
      p=$(daemon_pid "$daemon")
      if [ -n "$p" ]; then
        step "stopping $daemon (pid $p) with SIGTERM"
        kill -TERM "$p" 2>/dev/null; i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$p" 2>/dev/null; then step "$daemon did not stop within 30 s: SIGKILL"; kill -KILL "$p"; sleep 0.5; fi
      fi
      # umask 022 as init systems start it, not this script's 077: libvirtd would write dnsmasq's host
      # files 0600 and dnsmasq (running as nobody) would silently ignore static DHCP hosts and DNS entries.
      cwd=$(cat "$state/cwd"); um=022
      step "starting the same command line again in $cwd (umask $um): $(tr '\000' ' ' < "$state/cmdline")"
      if tr '\000' '\n' < "$state/cmdline" | grep -qx -e -d -e --daemon; then
        (umask "$um" && cd "$cwd" && { cat "$state/environ"; cat "$state/cmdline"; } | xargs -0 env -i) </dev/null >/dev/null 2>&1
      else
        (umask "$um" && cd "$cwd" && { cat "$state/environ"; printf 'setsid\000'; cat "$state/cmdline"; } | xargs -0 env -i) </dev/null >/dev/null 2>&1 &
      fi ;;
  esac
}
t0=$(now)
restart
if wait_answer; then step "qemu:///system answers after $(( $(now) - t0 )) s"; rm -f "$state/pending"; echo '@@vd result ok'; exit 0; fi
step "qemu:///system did not answer within $timeout s: $(tr '\n' ' ' < "$state/answer.err" 2>/dev/null | cut -c1-300)"
if [ $# -lt 2 ]; then step "no backup to go back to"; echo '@@vd result failed'; exit 1; fi
while [ $# -ge 2 ]; do
  target=$1; backup=$2; shift 2
  base=$(basename "$target")
  cp -p "$target" "$bdir/$base.$stamp-failed.bak" && step "kept the file that failed as $bdir/$base.$stamp-failed.bak"
  tmp=$(mktemp "$(dirname "$target")/.$base.virtdeck.XXXXXX") && cp "$backup" "$tmp" &&
    chown "$(stat -c %u:%g "$target")" "$tmp" && chmod "$(stat -c %a "$target")" "$tmp" &&
    { if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then chcon --reference="$target" "$tmp"; fi; } &&
    mv -f "$tmp" "$target" && step "restored $target from $backup" && echo "@@vd restored $target"
done
t0=$(now)
restart
if wait_answer; then step "qemu:///system answers again after $(( $(now) - t0 )) s"; rm -f "$state/pending"; echo '@@vd result rolled-back'; exit 0; fi
step "qemu:///system still does not answer: $(tr '\n' ' ' < "$state/answer.err" 2>/dev/null | cut -c1-300)"
echo '@@vd result failed'; exit 1
`;

/**
 * Runs a script detached in its own session (so it completes even if the SSH connection drops), waits
 * for it and prints its log. $1 = log file, $2 = the script, then its arguments.
 */
export const DETACHED_SCRIPT = String.raw`set -u
umask 077
log=$1; script=$2; shift 2
mkdir -p "$(dirname "$log")"; chmod 700 "$(dirname "$log")"
setsid sh -c "$script" restart "$@" > "$log" 2>&1 < /dev/null &
wait $!
cat "$log" && rm -f "$log"
`;
