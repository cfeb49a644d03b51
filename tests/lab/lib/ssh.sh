# shellcheck shell=bash disable=SC2153  # STATE etc. come from lib/common.sh
# The lab's own sshd (127.0.0.1:$SSH_PORT), its accounts and keys.

SSHD_CONFIG="$STATE/ssh/sshd_config"
SSHD_PIDFILE="$STATE/run/sshd.pid"
HOST_KEY="$STATE/ssh/ssh_host_ed25519_key"
KNOWN_HOSTS="$STATE/known_hosts"
SUDOERS_DROPIN=/etc/sudoers.d/virtdeck-lab
PASSWORD_FILE="$STATE/secrets/$OPERATOR_USER.password"

ensure_keypair() {
  local file=$1 comment=$2
  if [[ ! -s "$file" || ! -s "$file.pub" ]]; then
    rm -f "$file" "$file.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$comment" -f "$file" || die "ssh-keygen for $file failed"
    log "generated key $file"
  fi
  chmod 0600 "$file"
}

# Write $2 to file $1 only if the content differs; returns 0 if it changed.
write_if_changed() {
  local file=$1 content=$2
  if [[ -f "$file" ]] && [[ "$(cat "$file")" == "$content" ]]; then
    return 1
  fi
  printf '%s\n' "$content" >"$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
  return 0
}

shadow_field() { getent shadow "$1" | cut -d: -f2; }

ensure_accounts() {
  # --- root: sshd (UsePAM no) refuses even key logins for accounts whose password field starts
  # with '!' (locked). '*' means the same for passwords ("no password login") but is not "locked".
  if [[ "$(shadow_field root)" == '!'* ]]; then
    [[ -f "$STATE/secrets/root.shadow.orig" ]] || shadow_field root >"$STATE/secrets/root.shadow.orig"
    usermod -p '*' root
    warn "root's password field was locked ('!'); set it to '*' so sshd allows key logins (original saved in $STATE/secrets/root.shadow.orig)"
  fi

  # --- operator account: non-root, group libvirt, sudo with password.
  if ! id "$OPERATOR_USER" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash --groups libvirt --comment "VirtDeck lab operator" "$OPERATOR_USER" ||
      die "useradd $OPERATOR_USER failed"
    log "created user $OPERATOR_USER"
  fi
  if ! id -nG "$OPERATOR_USER" | tr ' ' '\n' | grep -qx libvirt; then
    usermod -aG libvirt "$OPERATOR_USER"
    log "added $OPERATOR_USER to group libvirt"
  fi
  if [[ "$(getent passwd "$OPERATOR_USER" | cut -d: -f7)" != /bin/bash ]]; then
    usermod -s /bin/bash "$OPERATOR_USER"
  fi
  local home
  home="$(getent passwd "$OPERATOR_USER" | cut -d: -f6)"
  if [[ ! -d "$home" ]]; then
    mkdir -p "$home"
    chown "$OPERATOR_USER:" "$home"
    chmod 0750 "$home"
  fi

  # Random sudo password, generated once, stored 0600 in the state dir. A real password also keeps
  # the account unlocked for sshd. We remember the resulting shadow hash so that re-runs only
  # call chpasswd when the account's password was changed behind our back.
  if [[ ! -s "$PASSWORD_FILE" ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$PASSWORD_FILE")
    rm -f "$STATE/secrets/$OPERATOR_USER.shadow"
    log "generated sudo password for $OPERATOR_USER ($PASSWORD_FILE)"
  fi
  chmod 0600 "$PASSWORD_FILE"
  if [[ "$(shadow_field "$OPERATOR_USER")" != "$(cat "$STATE/secrets/$OPERATOR_USER.shadow" 2>/dev/null)" ]]; then
    printf '%s:%s\n' "$OPERATOR_USER" "$(cat "$PASSWORD_FILE")" | chpasswd || die "chpasswd for $OPERATOR_USER failed"
    (umask 077 && shadow_field "$OPERATOR_USER" >"$STATE/secrets/$OPERATOR_USER.shadow")
    log "set password of $OPERATOR_USER"
  fi

  # sudoers drop-in (validated before it is installed).
  local rule="# VirtDeck test lab (tests/lab/lab.sh): the operator account may sudo WITH its password.
$OPERATOR_USER ALL=(ALL) ALL"
  if [[ ! -f "$SUDOERS_DROPIN" ]] || [[ "$(cat "$SUDOERS_DROPIN")" != "$rule" ]]; then
    local tmp
    tmp="$(mktemp)"
    printf '%s\n' "$rule" >"$tmp"
    visudo -cqf "$tmp" || die "generated sudoers drop-in does not validate (visudo -cf)"
    install -m 0440 -o root -g root "$tmp" "$SUDOERS_DROPIN"
    rm -f "$tmp"
    log "installed $SUDOERS_DROPIN"
  fi
  grep -qE '^[@#]includedir[[:space:]]+/etc/sudoers.d' /etc/sudoers ||
    die "/etc/sudoers does not include /etc/sudoers.d; $SUDOERS_DROPIN would be ignored"
}

# sshd (StrictModes) rejects authorized_keys files below group/world-writable or non-root-owned
# directories (e.g. /tmp); fail early with the reason instead of "Permission denied (publickey)".
check_state_path_secure() {
  local d=$STATE mode owner
  while [[ "$d" != / ]]; do
    mode="$(stat -c %a "$d")"
    owner="$(stat -c %u "$d")"
    if ((owner != 0 || (8#$mode & 8#022) != 0)); then
      die "sshd would refuse the lab's authorized keys: $d is not root-owned or is group/world-writable (mode $mode); choose another VIRTDECK_LAB_DIR"
    fi
    d="$(dirname "$d")"
  done
}

ensure_ssh_keys() {
  mkdir -p "$STATE/ssh" "$STATE/keys" "$STATE/authorized_keys"
  chmod 0755 "$STATE/authorized_keys"
  chmod 0700 "$STATE/keys"
  ensure_keypair "$HOST_KEY" "virtdeck-lab-host"
  ensure_keypair "$STATE/keys/id_root" "virtdeck-lab-root"
  ensure_keypair "$STATE/keys/id_$OPERATOR_USER" "virtdeck-lab-$OPERATOR_USER"
  # Authorized keys live in the state dir (AuthorizedKeysFile), so home dirs stay untouched.
  # Root-owned and 0644: sshd's StrictModes accepts root-owned files for any user.
  local u
  for u in root "$OPERATOR_USER"; do
    write_if_changed "$STATE/authorized_keys/$u" "$(cat "$STATE/keys/id_$u.pub")" || true
    chown root:root "$STATE/authorized_keys/$u"
    chmod 0644 "$STATE/authorized_keys/$u"
  done
  write_if_changed "$KNOWN_HOSTS" "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1-2 "$HOST_KEY.pub")" || true
  chmod 0644 "$KNOWN_HOSTS"
}

render_sshd_config() {
  cat <<EOF
# VirtDeck test lab sshd (generated by tests/lab/lab.sh; do not edit, it is rewritten by 'up').
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $HOST_KEY
PidFile $SSHD_PIDFILE
AuthorizedKeysFile $STATE/authorized_keys/%u
AllowUsers root $OPERATOR_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin prohibit-password
# No PAM: without systemd/logind, pam_systemd/pam_loginuid only add failures and delays.
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
PrintLastLog no
# Tests open many connections and the app multiplexes many channels per connection.
MaxStartups 256:30:512
MaxSessions 64
LogLevel INFO
Subsystem sftp internal-sftp
EOF
}

port_listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts (or keeps, or restarts on a changed config) one of the lab's sshds on the same machine:
#   start_lab_sshd LABEL CONFIG PIDFILE PORT LOG PORT_VARIABLE CONFIG_TEXT
start_lab_sshd() {
  local label=$1 config=$2 pidfile=$3 port=$4 logfile=$5 port_var=$6 text=$7
  mkdir -p /run/sshd "$STATE/run" "$STATE/logs"
  chmod 0755 /run/sshd
  local changed=0 pid
  write_if_changed "$config" "$text" && changed=1
  chmod 0644 "$config"
  /usr/sbin/sshd -t -f "$config" || die "sshd -t rejected $config"
  if pid="$(pid_alive "$pidfile" sshd)"; then
    if ((changed)); then
      log "$label: config changed, restarting (pid $pid)"
      stop_pid "$pid" sshd
    else
      log "$label: running (pid $pid) on 127.0.0.1:$port"
      return 0
    fi
  fi
  if port_listening "$port"; then
    die "127.0.0.1:$port is already in use by another process; set $port_var to a free port"
  fi
  log "$label: starting on 127.0.0.1:$port"
  (close_inherited_fds && exec /usr/sbin/sshd -f "$config" -E "$logfile") </dev/null >/dev/null 2>&1 ||
    die "$label failed to start: $(tail -n 5 "$logfile" 2>/dev/null)"
  local i
  for ((i = 0; i < 50; i++)); do
    port_listening "$port" && return 0
    sleep 0.1
  done
  die "$label is not listening on 127.0.0.1:$port: $(tail -n 5 "$logfile" 2>/dev/null)"
}

ensure_sshd() {
  start_lab_sshd sshd "$SSHD_CONFIG" "$SSHD_PIDFILE" "$SSH_PORT" "$STATE/logs/sshd.log" \
    VIRTDECK_LAB_SSH_PORT "$(render_sshd_config)"
}

# ssh into the lab as $1 (root|virtdeck), strict host key checking against the lab known_hosts.
lab_ssh() {
  local user=$1
  shift
  ssh -q -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 \
    -i "$STATE/keys/id_$user" -p "$SSH_PORT" "$user@127.0.0.1" "$@"
}

verify_ssh() {
  local out
  out="$(lab_ssh root 'id -u' 2>&1)" || die "ssh root@127.0.0.1:$SSH_PORT failed: $out (see $STATE/logs/sshd.log)"
  [[ "$out" == 0 ]] || die "ssh as root: unexpected 'id -u' output: $out"
  out="$(lab_ssh "$OPERATOR_USER" "id -un; id -nG; virsh -c $LIBVIRT_URI uri" 2>&1)" ||
    die "ssh/virsh as $OPERATOR_USER failed: $out (see $STATE/logs/sshd.log, $STATE/logs/libvirtd.log)"
  grep -qw libvirt <<<"$out" || die "$OPERATOR_USER is not in group libvirt in a fresh session: $out"
  grep -qx "$LIBVIRT_URI" <<<"$out" || die "$OPERATOR_USER cannot use $LIBVIRT_URI: $out"
  log "ssh: root and $OPERATOR_USER log in with their keys; $OPERATOR_USER reaches $LIBVIRT_URI"
}

stop_sshd() {
  local pid
  if pid="$(pid_alive "$SSHD_PIDFILE" sshd)"; then
    log "sshd: stopping (pid $pid)"
    stop_pid "$pid" sshd
  fi
  rm -f "$SSHD_PIDFILE"
}

# --- The bench sshd (127.0.0.1:$BENCH_SSH_PORT): the same accounts, keys and host key as the lab sshd,
# configured for the fleet benchmark's 1000 parallel logins (the lab sshd's MaxStartups 256:30:512 refuses
# some of them), so that admission limits show VirtDeck's behaviour rather than this config's.
BENCH_SSHD_CONFIG="$STATE/ssh/sshd_bench_config"
BENCH_SSHD_PIDFILE="$STATE/run/sshd-bench.pid"

render_bench_sshd_config() {
  render_sshd_config | sed \
    -e "s|^Port .*|Port $BENCH_SSH_PORT|" \
    -e "s|^PidFile .*|PidFile $BENCH_SSHD_PIDFILE|" \
    -e "s|^# VirtDeck test lab sshd |# VirtDeck test lab BENCH sshd |" \
    -e "/^# Tests open many connections/,/^MaxSessions/d"
  cat <<EOF
# 1000 hosts at once: up to 1200 unauthenticated connections before random early drops, none refused
# below 1200; a login may wait its turn for the CPU for 5 minutes (the machine has 2 cores).
MaxStartups 1200:30:2400
MaxSessions 64
LoginGraceTime 300
EOF
}

ensure_bench_sshd() {
  start_lab_sshd "bench sshd" "$BENCH_SSHD_CONFIG" "$BENCH_SSHD_PIDFILE" "$BENCH_SSH_PORT" \
    "$STATE/logs/sshd-bench.log" VIRTDECK_LAB_BENCH_SSH_PORT "$(render_bench_sshd_config)"
}

stop_bench_sshd() {
  local pid
  if pid="$(pid_alive "$BENCH_SSHD_PIDFILE" sshd)"; then
    log "bench sshd: stopping (pid $pid)"
    stop_pid "$pid" sshd
  fi
  rm -f "$BENCH_SSHD_PIDFILE"
}
