# shellcheck shell=bash
# shellcheck disable=SC2034  # settings used by the files that source this one
# Shared helpers for the VirtDeck test lab. Sourced by lab.sh and guest/build-initramfs.sh.

LAB_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${VIRTDECK_LAB_DIR:-/var/lib/virtdeck-lab}"
SSH_PORT="${VIRTDECK_LAB_SSH_PORT:-2722}"
# The bench sshd (fleet benchmark: 1000 parallel logins), same accounts and host key.
BENCH_SSH_PORT="${VIRTDECK_LAB_BENCH_SSH_PORT:-2732}"
VNC_GUESTS="${VIRTDECK_LAB_GUESTS:-2}"
OFF_GUESTS="${VIRTDECK_LAB_OFF_GUESTS:-2}"
AGENT_GUESTS="${VIRTDECK_LAB_AGENT_GUESTS:-1}"
BOOT_TIMEOUT="${VIRTDECK_LAB_BOOT_TIMEOUT:-180}"
LIBVIRT_URI="qemu:///system"
OPERATOR_USER="virtdeck"
GUEST_PROMPT="vd# "

export LC_ALL=C
export DEBIAN_FRONTEND=noninteractive
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

# Shared with child scripts (guest/build-initramfs.sh) so log timestamps stay monotonic.
export _LAB_T0="${_LAB_T0:-$(date +%s.%N)}"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
_elapsed() { awk -v a="$_LAB_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%6.1fs", b - a }'; }
log() { printf '[lab %s] %s\n' "$(_elapsed)" "$*" >&2; }
warn() { printf '[lab %s] WARNING: %s\n' "$(_elapsed)" "$*" >&2; }
die() {
  printf '[lab %s] ERROR: %s\n' "$(_elapsed)" "$*" >&2
  exit 1
}

require_root() {
  [[ "$(id -u)" == 0 ]] || die "must run as root (it installs packages, configures libvirt and runs sshd); try: sudo bash $0 ${*:-up}"
}

# Validate numeric settings early so typos fail loudly instead of half-building a lab.
validate_settings() {
  if ! [[ "$SSH_PORT" =~ ^[0-9]+$ ]] || ((SSH_PORT < 1 || SSH_PORT > 65535)); then
    die "VIRTDECK_LAB_SSH_PORT='$SSH_PORT' is not a TCP port"
  fi
  ((SSH_PORT != 22 && SSH_PORT != 2222)) || die "VIRTDECK_LAB_SSH_PORT must not be 22 or 2222 (reserved for real sshds)"
  if ! [[ "$BENCH_SSH_PORT" =~ ^[0-9]+$ ]] || ((BENCH_SSH_PORT < 1 || BENCH_SSH_PORT > 65535 || BENCH_SSH_PORT == SSH_PORT)); then
    die "VIRTDECK_LAB_BENCH_SSH_PORT='$BENCH_SSH_PORT' is not a TCP port other than the lab sshd's"
  fi
  [[ "$VNC_GUESTS" =~ ^[0-9]+$ ]] || die "VIRTDECK_LAB_GUESTS='$VNC_GUESTS' is not a number"
  [[ "$OFF_GUESTS" =~ ^[0-9]+$ ]] || die "VIRTDECK_LAB_OFF_GUESTS='$OFF_GUESTS' is not a number"
  [[ "$AGENT_GUESTS" =~ ^[0-9]+$ ]] || die "VIRTDECK_LAB_AGENT_GUESTS='$AGENT_GUESTS' is not a number"
  [[ "$BOOT_TIMEOUT" =~ ^[0-9]+$ ]] || die "VIRTDECK_LAB_BOOT_TIMEOUT='$BOOT_TIMEOUT' is not a number"
  [[ "$STATE" == /* ]] || die "VIRTDECK_LAB_DIR='$STATE' must be an absolute path"
  [[ "$STATE" =~ ^[A-Za-z0-9/._-]+$ ]] || die "VIRTDECK_LAB_DIR='$STATE' may only contain letters, digits, '/', '.', '_' and '-'"
  [[ "$STATE" != / ]] || die "VIRTDECK_LAB_DIR must not be /"
}

# ---- apt ---------------------------------------------------------------------------------------

_APT_UPDATED=0
apt_update_once() {
  ((_APT_UPDATED)) && return 0
  log "apt-get update"
  apt-get update -qq || die "apt-get update failed (is the Debian/Ubuntu mirror reachable?)"
  _APT_UPDATED=1
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# True if apt knows the package (in the current package lists).
pkg_known() {
  apt-cache show --no-all-versions "$1" >/dev/null 2>&1
}

apt_install() {
  (($# > 0)) || return 0
  apt_update_once
  log "apt-get install $*"
  apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "$@" >/dev/null ||
    die "apt-get install $* failed"
}

# ---- small utilities ---------------------------------------------------------------------------

# JSON string literal (paths, key lines and names only; no control characters expected).
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# Set-or-replace `key = value` in a libvirt-style config file (idempotent). Keeps a one-time
# backup FILE.virtdeck-lab.orig. Returns 0 if the file changed, 1 if it was already right.
conf_set() {
  local file=$1 key=$2 value=$3 line
  line="$key = $value"
  [[ -f "$file" ]] || die "config file $file does not exist (is libvirt installed?)"
  if grep -qxF "$line" "$file" && [[ "$(grep -cE "^[[:space:]]*${key}[[:space:]]*=" "$file")" == 1 ]]; then
    return 1
  fi
  [[ -e "$file.virtdeck-lab.orig" ]] || cp -p "$file" "$file.virtdeck-lab.orig"
  local tmp
  tmp="$(mktemp "$file.XXXXXX")"
  # Drop every active assignment of the key, then append ours under a marker comment.
  grep -vE "^[[:space:]]*${key}[[:space:]]*=" "$file" >"$tmp" || true
  if ! grep -qxF '# --- added by VirtDeck test lab (tests/lab/lab.sh) ---' "$tmp"; then
    printf '\n# --- added by VirtDeck test lab (tests/lab/lab.sh) ---\n' >>"$tmp"
  fi
  printf '%s\n' "$line" >>"$tmp"
  chmod --reference="$file" "$tmp"
  chown --reference="$file" "$tmp"
  mv -f "$tmp" "$file"
  log "set '$line' in $file"
  return 0
}

# pid from a pidfile if that process is alive (and optionally its comm matches).
pid_alive() {
  local pidfile=$1 comm=${2:-} pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(head -n1 "$pidfile" | tr -dc 0-9)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Zombies (exited, not yet reaped by PID 1 in some sandboxes) are not alive.
  [[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  if [[ -n "$comm" ]]; then
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] || return 1
  fi
  printf '%s\n' "$pid"
}

virsh_() { virsh -q -c "$LIBVIRT_URI" "$@"; }

# Close every fd above 2 in this (sub)shell. Daemons must not inherit the lab lock (fd 9), a
# caller's lock (`flock /tmp/virtdeck-lab-tests.lock CMD` hands its locked fd to CMD: a libvirtd
# started under it would hold the test lock for as long as it runs), or pipes a caller waits on.
close_inherited_fds() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
  done
  return 0
}
