# shellcheck shell=bash disable=SC2153  # STATE etc. come from lib/common.sh
# Host B: a second, independent libvirt host on the same machine (tests/lab/README.md, "Host B").
#
# Host B runs in its own PID, mount, UTS, network and cgroup namespaces (lib/hostb-ns.sh) under its
# own init ('hostb-init'). Its /etc/libvirt, /var/lib/libvirt, /run/libvirt, /var/log/libvirt,
# /var/cache/libvirt, $STATE/disks and $STATE/logs are private bind mounts of $HOSTB_ROOT/<path>; it
# has its own virtlogd, libvirtd (own host UUID, hostname, port ranges) and sshd, reachable from the
# machine (host A and the workstation) over a veth pair at $HOSTB_ADDR. Host A is never touched beyond
# the shared pool definition.
#
# Host B's daemons run under other process names (libvirtd-hostb, virtlogd-hostb, sshd-hostb:
# symlinks in $HOSTB_DIR/bin), so that nothing on the machine that looks for "the libvirtd" by name
# (pgrep -x libvirtd, pidof) ever finds host B's instead of host A's. From the machine they are found
# by name AND PID namespace (pgrep --ns); their pidfiles hold host B's own pids.

HOSTB_ENABLED="${VIRTDECK_LAB_HOST_B:-1}"
HOSTB_SSH_PORT="${VIRTDECK_LAB_B_SSH_PORT:-2723}"
# The /30 between the machine (host A's side, .1) and host B (.2).
HOSTB_NET="${VIRTDECK_LAB_B_NET:-10.250.72}"
HOSTB_ADDR_A="$HOSTB_NET.1"
HOSTB_ADDR="$HOSTB_NET.2"
HOSTB_IF=vdlab-b       # the machine's end of the veth pair
HOSTB_PEER_IF=eth0     # host B's end
HOSTB_HOSTNAME=virtdeck-lab-b
HOSTB_CGROUP=virtdeck-lab-b
HOSTB_DIR="$STATE/hostb"
HOSTB_ROOT="$HOSTB_DIR/root" # host B's private view of PATH is $HOSTB_ROOT/PATH
HOSTB_RUN="$HOSTB_DIR/run"
HOSTB_LOGS="$HOSTB_DIR/logs"
HOSTB_BIN="$HOSTB_DIR/bin"
HOSTB_HOST_KEY="$HOSTB_DIR/ssh/ssh_host_ed25519_key"
HOSTB_SSHD_CONFIG="$HOSTB_DIR/ssh/sshd_config"
HOSTB_KNOWN_HOSTS="$HOSTB_DIR/known_hosts"
HOSTB_HOSTS_FILE="$HOSTB_DIR/hosts"
HOSTB_HOSTNAME_FILE="$HOSTB_DIR/hostname"
HOSTB_SOCKET="$HOSTB_ROOT/run/libvirt/libvirt-sock"
# Host B's libvirtd from this machine as root, without SSH (its socket through the backing directory).
HOSTB_LOCAL_URI="qemu+unix:///system?socket=$HOSTB_SOCKET"
# Port ranges: host A keeps libvirt's defaults (migration 49152-49215, display 5900-65535,
# websocket 5700-65535). Host B's are distinct, so nothing collides even without its own network.
HOSTA_MIGRATION_PORT_MIN=49152
HOSTA_MIGRATION_PORT_MAX=49215
HOSTB_MIGRATION_PORT_MIN=49216
HOSTB_MIGRATION_PORT_MAX=49279
HOSTB_DISPLAY_PORT_MIN=6900
HOSTB_DISPLAY_PORT_MAX=6999
HOSTB_WEBSOCKET_PORT_MIN=6800
HOSTB_WEBSOCKET_PORT_MAX=6899
SHARED_POOL=vd-shared
SHARED_DIR="$STATE/shared"
HOSTB_DISKS_POOL=vd-disks
HOSTB_FW_IN=VDLAB-ISOLATE-IN
HOSTB_FW_OUT=VDLAB-ISOLATE-OUT

hostb_enabled() { [[ "$HOSTB_ENABLED" != 0 ]]; }

# The directories host B has to itself (same paths as on the machine, different contents).
hostb_private_paths() {
  printf '%s\n' /etc/libvirt /var/lib/libvirt /run/libvirt /var/log/libvirt /var/cache/libvirt "$STATE/disks" "$STATE/logs"
}

validate_hostb_settings() {
  hostb_enabled || return 0
  if ! [[ "$HOSTB_SSH_PORT" =~ ^[0-9]+$ ]] || ((HOSTB_SSH_PORT < 1 || HOSTB_SSH_PORT > 65535)); then
    die "VIRTDECK_LAB_B_SSH_PORT='$HOSTB_SSH_PORT' is not a TCP port"
  fi
  [[ "$HOSTB_NET" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] ||
    die "VIRTDECK_LAB_B_NET='$HOSTB_NET' must be the first three octets of an IPv4 /24 (e.g. 10.250.72)"
}

virsh_b() { virsh -q -c "$HOSTB_LOCAL_URI" "$@"; }
hostb_answers() { [[ -S "$HOSTB_SOCKET" ]] && timeout 20 virsh -c "$HOSTB_LOCAL_URI" version >/dev/null 2>&1; }

# ---- the namespaces ----------------------------------------------------------------------------

HOSTB_HOLDER=

# Is pid $1 host B's init (this state dir's)?
hostb_is_init() {
  [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == hostb-init ]] &&
    [[ "$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n1)" == "$HOSTB_BIN/hostb-init" ]]
}

# Prints the pid (as the machine sees it) of host B's init if it is alive.
hostb_holder() {
  local pid
  pid="$(pid_alive "$HOSTB_RUN/holder.pid" hostb-init)" || return 1
  hostb_is_init "$pid" || return 1
  printf '%s\n' "$pid"
}

hostb_cgroupns() { [[ "$(cat "$HOSTB_RUN/cgroupns" 2>/dev/null)" == 1 ]]; }

# Run a command in host B's namespaces (for short commands: ip, iptables, hostname).
hostb_exec() {
  local ns=(-m -u -n -p)
  hostb_cgroupns && ns+=(-C)
  nsenter -t "$HOSTB_HOLDER" "${ns[@]}" -- "$@"
}

# Start a daemon in host B: joins host B's 'daemons' cgroup (in every hierarchy), enters its
# namespaces, no inherited fds, stdio to $1.
hostb_spawn() {
  local log=$1
  shift
  (
    close_inherited_fds
    hostb_join_daemons_cgroup "$BASHPID"
    hostb_exec "$@"
  ) </dev/null >>"$log" 2>&1
}

# Host B's inits left over from an earlier start whose pidfile is gone or wrong: ending an init ends
# every process of that host B (the kernel kills the rest of its PID namespace).
hostb_kill_stale_inits() {
  local pid keep=${1:-}
  for pid in $(pgrep -x hostb-init || true); do
    [[ "$pid" == "$keep" ]] && continue
    hostb_is_init "$pid" || continue
    log "host B: ending a stale instance (init pid $pid)"
    stop_pid "$pid" "host B init"
  done
}

# Remove host B's cgroups (only once nothing runs in them; the kernel frees a cgroup shortly
# after its last process exited, hence the retries).
hostb_remove_cgroups() {
  local d i left
  # Never while any process is in them (another host B instance, e.g. of another state dir).
  for d in /sys/fs/cgroup/"$HOSTB_CGROUP" /sys/fs/cgroup/*/"$HOSTB_CGROUP"; do
    [[ -d "$d" ]] || continue
    if [[ -n "$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]]; then
      warn "host B's cgroup $d still has processes; leaving the cgroups alone"
      return 0
    fi
  done
  for ((i = 0; i < 30; i++)); do
    left=0
    for d in /sys/fs/cgroup/"$HOSTB_CGROUP" /sys/fs/cgroup/*/"$HOSTB_CGROUP"; do
      [[ -d "$d" ]] || continue
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || left=1
    done
    ((left)) || return 0
    sleep 0.1
  done
  warn "could not remove host B's cgroups /sys/fs/cgroup/*/$HOSTB_CGROUP (still in use?)"
}

# Move pid $1 (as the machine sees it) into host B's 'daemons' cgroup.
hostb_join_daemons_cgroup() {
  local d
  hostb_cgroupns || return 0
  for d in /sys/fs/cgroup/"$HOSTB_CGROUP"/daemons /sys/fs/cgroup/*/"$HOSTB_CGROUP"/daemons; do
    [[ -f "$d/cgroup.procs" ]] && echo "$1" >"$d/cgroup.procs"
  done
  return 0
}

# The veth pair goes away with host B's network namespace (shortly after its last process).
hostb_wait_link_gone() {
  local i
  for ((i = 0; i < 30; i++)); do
    ip link show "$HOSTB_IF" >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  return 1
}

# Start host B's namespaces with (1) or without (0) its own cgroup namespace. Returns 1 if they
# failed to come up (reason in $HOSTB_RUN/holder.failed).
hostb_launch_namespace() {
  local cgroupns=$1 i pid
  rm -f "$HOSTB_RUN"/holder.* "$HOSTB_RUN"/*.pid
  # /run/libvirt is a tmpfs on a real host: nothing in it survives a restart of host B.
  rm -rf "${HOSTB_ROOT:?}/run/libvirt"
  mkdir -p "$HOSTB_ROOT/run/libvirt"
  (
    close_inherited_fds
    export HOSTB_DIR HOSTB_ROOT HOSTB_RUN HOSTB_HOSTNAME HOSTB_CGROUP HOSTB_HOSTS_FILE HOSTB_HOSTNAME_FILE
    HOSTB_PRIVATE_PATHS="$(hostb_private_paths)"
    HOSTB_CGROUPNS=$cgroupns
    export HOSTB_PRIVATE_PATHS HOSTB_CGROUPNS
    exec setsid bash "$LAB_SRC/lib/hostb-ns.sh" stage1
  ) </dev/null >>"$HOSTB_LOGS/namespace.log" 2>&1 &
  for ((i = 0; i < 100; i++)); do
    [[ -f "$HOSTB_RUN/holder.failed" ]] && return 1
    if [[ -f "$HOSTB_RUN/holder.ready" ]] && pid="$(hostb_holder)"; then
      HOSTB_HOLDER=$pid
      # unshare, the init's parent, stays in the namespace-root cgroup otherwise (cgroup v2 allows
      # no processes there once libvirt delegates controllers to /machine).
      hostb_join_daemons_cgroup "$(cat "$HOSTB_RUN/holder.parent")" || true
      return 0
    fi
    sleep 0.1
  done
  echo "did not come up within 10 s" >"$HOSTB_RUN/holder.failed"
  return 1
}

hostb_start_namespace() {
  local cgroupns=${VIRTDECK_LAB_B_CGROUPNS:-1}
  hostb_kill_stale_inits
  hostb_remove_cgroups
  hostb_wait_link_gone ||
    die "the interface $HOSTB_IF exists but no host B of $STATE runs (another lab's host B?); remove it with 'ip link del $HOSTB_IF' if it is stale"
  log "host B: starting its namespaces"
  if ! hostb_launch_namespace "$cgroupns"; then
    [[ "$cgroupns" != 0 ]] ||
      die "host B's namespaces failed: $(cat "$HOSTB_RUN/holder.failed" 2>/dev/null) (see $HOSTB_LOGS/namespace.log)"
    # A cgroup layout this lab does not know: host B without its own cgroups beats no host B.
    warn "host B's namespaces failed with a cgroup namespace ($(cat "$HOSTB_RUN/holder.failed" 2>/dev/null)); trying without (its guests get no cgroups)"
    hostb_kill_stale_inits
    hostb_remove_cgroups
    hostb_launch_namespace 0 ||
      die "host B's namespaces failed: $(cat "$HOSTB_RUN/holder.failed" 2>/dev/null) (see $HOSTB_LOGS/namespace.log)"
  fi
  log "host B: namespaces up (init pid $HOSTB_HOLDER$(hostb_cgroupns && echo ', own cgroup namespace'))"
}

hostb_ensure_namespace() {
  local pid
  if pid="$(hostb_holder)"; then
    HOSTB_HOLDER=$pid
    hostb_kill_stale_inits "$pid"
    return 0
  fi
  hostb_start_namespace
}

# A route of the machine (other than the default route and our own link) covering host B's /30
# means VIRTDECK_LAB_B_NET collides with a real network.
hostb_check_subnet() {
  local routes
  routes="$(ip -4 route show to match "$HOSTB_ADDR" 2>/dev/null | grep -v '^default' | grep -vw "dev $HOSTB_IF" || true)"
  [[ -z "$routes" ]] || die "host B's network $HOSTB_NET.0/30 overlaps a route of this machine ($routes); set VIRTDECK_LAB_B_NET to a free /24 prefix"
}

hostb_ensure_link() {
  if ip link show "$HOSTB_IF" >/dev/null 2>&1 && ! hostb_exec ip link show "$HOSTB_PEER_IF" >/dev/null 2>&1; then
    die "the interface $HOSTB_IF exists but does not lead to this host B (another lab's host B?); remove it with 'ip link del $HOSTB_IF' if it is stale"
  fi
  if ! ip link show "$HOSTB_IF" >/dev/null 2>&1; then
    hostb_check_subnet
    ip link add "$HOSTB_IF" type veth peer name "$HOSTB_PEER_IF" netns "$HOSTB_HOLDER" ||
      die "ip link add $HOSTB_IF type veth (peer in host B's network namespace) failed"
    log "host B: veth $HOSTB_IF ($HOSTB_ADDR_A) <-> host B $HOSTB_PEER_IF ($HOSTB_ADDR)"
  fi
  ip -4 -o addr show dev "$HOSTB_IF" | grep -qF " $HOSTB_ADDR_A/30 " || ip addr add "$HOSTB_ADDR_A/30" dev "$HOSTB_IF" ||
    die "ip addr add $HOSTB_ADDR_A/30 dev $HOSTB_IF failed"
  ip link set "$HOSTB_IF" up
  hostb_exec sh -c "ip -4 -o addr show dev $HOSTB_PEER_IF | grep -qF ' $HOSTB_ADDR/30 ' || ip addr add $HOSTB_ADDR/30 dev $HOSTB_PEER_IF; ip link set $HOSTB_PEER_IF up" ||
    die "configuring $HOSTB_PEER_IF in host B failed"
}

# ---- configuration -----------------------------------------------------------------------------

hostb_host_uuid() {
  if [[ ! -s "$HOSTB_DIR/host-uuid" ]]; then
    local uuid a_uuid
    a_uuid="$(virsh_ capabilities 2>/dev/null | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' | head -n1)"
    uuid="$(cat /proc/sys/kernel/random/uuid)"
    [[ "$uuid" != "$a_uuid" ]] || uuid="$(cat /proc/sys/kernel/random/uuid)"
    printf '%s\n' "$uuid" >"$HOSTB_DIR/host-uuid"
    log "host B: host UUID $uuid"
  fi
  cat "$HOSTB_DIR/host-uuid"
}

render_hostb_libvirtd_conf() {
  cat <<EOF
# VirtDeck test lab, host B (generated by tests/lab/lab.sh; rewritten by 'up').
host_uuid = "$(hostb_host_uuid)"
unix_sock_group = "libvirt"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$HOSTB_LOGS/libvirtd.log"
EOF
}

render_hostb_qemu_conf() {
  cat <<EOF
# VirtDeck test lab, host B (generated by tests/lab/lab.sh; rewritten by 'up').
user = "root"
group = "root"
remote_display_port_min = $HOSTB_DISPLAY_PORT_MIN
remote_display_port_max = $HOSTB_DISPLAY_PORT_MAX
remote_websocket_port_min = $HOSTB_WEBSOCKET_PORT_MIN
remote_websocket_port_max = $HOSTB_WEBSOCKET_PORT_MAX
migration_port_min = $HOSTB_MIGRATION_PORT_MIN
migration_port_max = $HOSTB_MIGRATION_PORT_MAX
# Incoming migrations (and their NBD servers) are announced at host B's address.
migration_host = "$HOSTB_ADDR"
EOF
  if ! hostb_cgroupns; then
    # Without its own cgroup namespace host B must not create /machine/qemu-N-NAME cgroups that
    # could collide with host A's.
    echo 'cgroup_controllers = [ ]'
  fi
}

render_hostb_virtlogd_conf() {
  cat <<EOF
# VirtDeck test lab, host B (generated by tests/lab/lab.sh; rewritten by 'up').
log_outputs = "3:file:$HOSTB_LOGS/virtlogd.log"
EOF
}

render_hostb_hosts() {
  local a_name
  a_name="$(hostname)"
  printf '# VirtDeck test lab, host B /etc/hosts (generated by tests/lab/lab.sh).\n'
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
  printf '%s\t%s\n' "$HOSTB_ADDR" "$HOSTB_HOSTNAME"
  # Host A's hostname (what its libvirtd announces for incoming migrations) is host A's veth address.
  if [[ -n "$a_name" && "$a_name" != localhost* ]]; then
    printf '%s\t%s virtdeck-lab-a\n' "$HOSTB_ADDR_A" "$a_name"
  else
    printf '%s\tvirtdeck-lab-a\n' "$HOSTB_ADDR_A"
  fi
}

render_hostb_sshd_config() {
  cat <<EOF
# VirtDeck test lab, host B sshd (generated by tests/lab/lab.sh; do not edit, it is rewritten by 'up').
# Runs inside host B's namespaces: its sessions see host B's libvirt socket and files.
Port $HOSTB_SSH_PORT
ListenAddress $HOSTB_ADDR
ListenAddress 127.0.0.1
HostKey $HOSTB_HOST_KEY
PidFile $HOSTB_RUN/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys/%u
AllowUsers root $OPERATOR_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin prohibit-password
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
PrintLastLog no
MaxStartups 256:30:512
MaxSessions 64
LogLevel INFO
Subsystem sftp internal-sftp
EOF
}

# Write $2 into file $1 in place (keeps the inode: /etc/hosts is bind-mounted from it).
write_in_place_if_changed() {
  local file=$1 content=$2
  if [[ -f "$file" ]] && [[ "$(cat "$file")" == "$content" ]]; then
    return 1
  fi
  printf '%s\n' "$content" >"$file"
  return 0
}

# Returns 0 if libvirt's configuration changed (libvirtd must be restarted).
hostb_write_configs() {
  local changed=1 etc="$HOSTB_ROOT/etc/libvirt"
  mkdir -p "$etc"
  write_if_changed "$etc/libvirtd.conf" "$(render_hostb_libvirtd_conf)" && changed=0
  write_if_changed "$etc/qemu.conf" "$(render_hostb_qemu_conf)" && changed=0
  write_if_changed "$etc/virtlogd.conf" "$(render_hostb_virtlogd_conf)" || true
  chmod 0644 "$etc/libvirtd.conf" "$etc/virtlogd.conf"
  chmod 0600 "$etc/qemu.conf"
  write_in_place_if_changed "$HOSTB_HOSTS_FILE" "$(render_hostb_hosts)" || true
  chmod 0644 "$HOSTB_HOSTS_FILE"
  return $changed
}

# Host B's private directories, created like the packages create them on a real host.
hostb_prepare_dirs() {
  mkdir -p "$HOSTB_DIR" "$HOSTB_RUN" "$HOSTB_LOGS" "$HOSTB_DIR/ssh" "$SHARED_DIR"
  chmod 0755 "$HOSTB_DIR" "$HOSTB_DIR/ssh" "$SHARED_DIR"
  chmod 0700 "$HOSTB_RUN"
  local p
  while IFS= read -r p; do mkdir -p "$HOSTB_ROOT$p"; done < <(hostb_private_paths)
  mkdir -p "$HOSTB_ROOT/var/lib/libvirt/images" "$HOSTB_ROOT/var/lib/libvirt/qemu" \
    "$HOSTB_ROOT/var/log/libvirt/qemu" "$HOSTB_ROOT/var/cache/libvirt/qemu/capabilities"
  chmod 0711 "$HOSTB_ROOT/var/lib/libvirt/images"
  [[ -f "$HOSTB_HOSTS_FILE" ]] || : >"$HOSTB_HOSTS_FILE"
  [[ "$(cat "$HOSTB_HOSTNAME_FILE" 2>/dev/null)" == "$HOSTB_HOSTNAME" ]] || printf '%s\n' "$HOSTB_HOSTNAME" >"$HOSTB_HOSTNAME_FILE"
  # Host B's programs under their own names (see the top of this file).
  mkdir -p "$HOSTB_BIN"
  local name target
  for name in libvirtd virtlogd sshd hostb-init; do
    case "$name" in
    sshd) target=/usr/sbin/sshd ;;
    hostb-init) target="$(command -v bash)" ;;
    *) target="$(command -v "$name")" || die "$name is not installed" ;;
    esac
    [[ "$name" == hostb-init ]] || name="$name-hostb"
    [[ "$(readlink "$HOSTB_BIN/$name" 2>/dev/null)" == "$target" ]] || ln -sfn "$target" "$HOSTB_BIN/$name"
  done
}

# Host B's first libvirtd start would probe QEMU for ~10 s; host A's cache for the same binaries is
# valid for it too (libvirt re-probes by itself if it is not).
hostb_seed_caps_cache() {
  local dst="$HOSTB_ROOT/var/cache/libvirt/qemu/capabilities" f
  compgen -G "$dst/*.xml" >/dev/null && return 0
  for f in /var/cache/libvirt/qemu/capabilities/*.xml; do
    [[ -f "$f" ]] && cp -p "$f" "$dst/"
  done
  return 0
}

# ---- daemons -----------------------------------------------------------------------------------

# The pid (as the machine sees it) of host B's daemon $1 (libvirtd|virtlogd|sshd): the oldest
# process named $1-hostb in host B's PID namespace.
hostb_daemon_pid() {
  local pid
  [[ -n "$HOSTB_HOLDER" ]] || return 1
  pid="$(pgrep -o -x "$1-hostb" --ns "$HOSTB_HOLDER" --nslist pid 2>/dev/null)" || return 1
  proc_running "$pid" || return 1
  printf '%s\n' "$pid"
}

hostb_wait_daemon() {
  local name=$1 i
  for ((i = 0; i < 100; i++)); do
    hostb_daemon_pid "$name" >/dev/null && return 0
    sleep 0.1
  done
  die "host B: $name did not start (see $HOSTB_LOGS/$name.log and $HOSTB_LOGS/$name.out)"
}

hostb_start_virtlogd() {
  local pid
  if pid="$(hostb_daemon_pid virtlogd)"; then
    return 0
  fi
  log "host B: starting virtlogd"
  hostb_spawn "$HOSTB_LOGS/virtlogd.out" "$HOSTB_BIN/virtlogd-hostb" -d -p "$HOSTB_RUN/virtlogd.pid" ||
    die "host B: virtlogd -d failed (see $HOSTB_LOGS/virtlogd.out)"
  hostb_wait_daemon virtlogd
}

hostb_wait_libvirt() {
  local deadline=$((SECONDS + 90))
  until hostb_answers; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$HOSTB_LOGS/libvirtd.log" >&2 2>/dev/null || true
      die "host B: libvirtd did not answer on $HOSTB_SOCKET within 90 s (log: $HOSTB_LOGS/libvirtd.log)"
    fi
    sleep 0.2
  done
}

hostb_start_libvirtd() {
  local config_changed=$1 pid
  if pid="$(hostb_daemon_pid libvirtd)"; then
    if ((config_changed)); then
      log "host B: libvirtd config changed, restarting (pid $pid)"
      stop_pid "$pid" libvirtd
    else
      hostb_wait_libvirt
      return 0
    fi
  fi
  log "host B: starting libvirtd"
  rm -f "$HOSTB_RUN/libvirtd.pid"
  hostb_spawn "$HOSTB_LOGS/libvirtd.out" "$HOSTB_BIN/libvirtd-hostb" -d -p "$HOSTB_RUN/libvirtd.pid" ||
    die "host B: libvirtd -d failed (see $HOSTB_LOGS/libvirtd.out, $HOSTB_LOGS/libvirtd.log)"
  hostb_wait_daemon libvirtd
  hostb_wait_libvirt
}

hostb_sshd_listening() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOSTB_ADDR/$HOSTB_SSH_PORT" 2>/dev/null
}

hostb_ensure_sshd() {
  local changed=0 pid i
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
  ensure_keypair "$HOSTB_HOST_KEY" "virtdeck-lab-host-b"
  write_if_changed "$HOSTB_KNOWN_HOSTS" "[$HOSTB_ADDR]:$HOSTB_SSH_PORT $(cut -d' ' -f1-2 "$HOSTB_HOST_KEY.pub")" || true
  chmod 0644 "$HOSTB_KNOWN_HOSTS"
  write_if_changed "$HOSTB_SSHD_CONFIG" "$(render_hostb_sshd_config)" && changed=1
  chmod 0644 "$HOSTB_SSHD_CONFIG"
  /usr/sbin/sshd -t -f "$HOSTB_SSHD_CONFIG" || die "sshd -t rejected $HOSTB_SSHD_CONFIG"
  if pid="$(hostb_daemon_pid sshd)"; then
    if ((changed)); then
      log "host B: sshd config changed, restarting (pid $pid)"
      stop_pid "$pid" sshd
    else
      return 0
    fi
  fi
  log "host B: starting sshd on $HOSTB_ADDR:$HOSTB_SSH_PORT"
  rm -f "$HOSTB_RUN/sshd.pid"
  hostb_spawn "$HOSTB_LOGS/sshd.out" "$HOSTB_BIN/sshd-hostb" -f "$HOSTB_SSHD_CONFIG" -E "$HOSTB_LOGS/sshd.log" ||
    die "host B: sshd failed to start: $(tail -n 5 "$HOSTB_LOGS/sshd.log" 2>/dev/null)"
  for ((i = 0; i < 50; i++)); do
    hostb_sshd_listening && return 0
    sleep 0.1
  done
  die "host B: sshd is not listening on $HOSTB_ADDR:$HOSTB_SSH_PORT: $(tail -n 5 "$HOSTB_LOGS/sshd.log" 2>/dev/null)"
}

# ssh into host B as $1 (root|virtdeck), strict host key checking against host B's known_hosts.
hostb_ssh() {
  local user=$1
  shift
  ssh -q -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$HOSTB_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 \
    -i "$STATE/keys/id_$user" -p "$HOSTB_SSH_PORT" "$user@$HOSTB_ADDR" "$@"
}

# What the SSH check depends on: the daemons (pids), keys and configuration. While it is unchanged a
# warm 'up' does not log in again (two SSH logins cost over a second here).
hostb_verify_fingerprint() {
  {
    hostb_daemon_pid sshd
    hostb_daemon_pid libvirtd
    cat "$STATE/authorized_keys/root" "$STATE/authorized_keys/$OPERATOR_USER" "$HOSTB_KNOWN_HOSTS" \
      "$HOSTB_SSHD_CONFIG" "$HOSTB_ROOT/etc/libvirt/libvirtd.conf" 2>/dev/null
    id "$OPERATOR_USER" 2>/dev/null
  } | sha256sum | cut -d' ' -f1
}

# Both accounts log in over host B's own sshd and reach host B's libvirtd (its hostname and UUID).
hostb_verify_ssh() {
  local out uuid tmp rc_root=0 rc_op=0 fingerprint
  fingerprint="$(hostb_verify_fingerprint)"
  [[ "$(cat "$HOSTB_RUN/ssh-verified" 2>/dev/null)" == "$fingerprint" ]] && return 0
  rm -f "$HOSTB_RUN/ssh-verified"
  uuid="$(hostb_host_uuid)"
  tmp="$(mktemp -d)"
  # Both logins at once (each SSH handshake takes most of a second here).
  hostb_ssh root "id -u; virsh -q -c $LIBVIRT_URI hostname; virsh -c $LIBVIRT_URI capabilities | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' | head -n1" >"$tmp/root" 2>&1 &
  local root_job=$!
  hostb_ssh "$OPERATOR_USER" "id -nG; virsh -c $LIBVIRT_URI uri; virsh -q -c $LIBVIRT_URI hostname" >"$tmp/op" 2>&1 || rc_op=$?
  wait "$root_job" || rc_root=$?
  out="$(cat "$tmp/root")"
  ((rc_root == 0)) || { rm -rf "$tmp"; die "host B: ssh root@$HOSTB_ADDR:$HOSTB_SSH_PORT failed: $out (see $HOSTB_LOGS/sshd.log)"; }
  [[ "$out" == "0"$'\n'"$HOSTB_HOSTNAME"$'\n'"$uuid" ]] ||
    { rm -rf "$tmp"; die "host B: over ssh as root, expected uid 0, hostname $HOSTB_HOSTNAME and host UUID $uuid; got: $out"; }
  out="$(cat "$tmp/op")"
  rm -rf "$tmp"
  ((rc_op == 0)) ||
    die "host B: ssh/virsh as $OPERATOR_USER failed: $out (see $HOSTB_LOGS/sshd.log, $HOSTB_LOGS/libvirtd.log)"
  grep -qw libvirt <<<"$out" || die "host B: $OPERATOR_USER is not in group libvirt in a fresh session: $out"
  grep -qx "$LIBVIRT_URI" <<<"$out" || die "host B: $OPERATOR_USER cannot use $LIBVIRT_URI: $out"
  grep -qx "$HOSTB_HOSTNAME" <<<"$out" || die "host B: $OPERATOR_USER reached a libvirtd that is not host B's: $out"
  printf '%s\n' "$fingerprint" >"$HOSTB_RUN/ssh-verified"
  log "host B: root and $OPERATOR_USER log in over its sshd and reach its libvirtd ($HOSTB_HOSTNAME, host UUID $uuid)"
}

# ---- pools, guests -----------------------------------------------------------------------------

# Define (persistent, autostart) and start dir pool $2 at $3 on the libvirtd at URI $1.
ensure_dir_pool() {
  local uri=$1 name=$2 dir=$3 info path
  info="$(virsh -q -c "$uri" "pool-info $name; pool-dumpxml $name" 2>/dev/null || true)"
  if [[ -n "$info" ]]; then
    path="$(sed -n 's:.*<path>\(.*\)</path>.*:\1:p' <<<"$info" | head -n1)"
    if [[ "$path" != "$dir" ]]; then
      warn "pool $name on $uri points at '$path', not $dir; re-defining it"
      virsh -q -c "$uri" pool-destroy "$name" >/dev/null 2>&1 || true
      virsh -q -c "$uri" pool-undefine "$name" >/dev/null 2>&1 || true
      info=
    fi
  fi
  if [[ -z "$info" ]]; then
    virsh -q -c "$uri" pool-define-as "$name" dir --target "$dir" >/dev/null || die "pool-define-as $name on $uri failed"
    virsh -q -c "$uri" pool-autostart "$name" >/dev/null || true
    log "pool $name ($dir) defined on $uri"
  fi
  if ! grep -qE '^State: +running' <<<"$info"; then
    virsh -q -c "$uri" pool-start "$name" >/dev/null 2>&1 ||
      grep -qE '^State: +running' <<<"$(virsh -q -c "$uri" pool-info "$name" 2>/dev/null)" ||
      die "pool-start $name on $uri failed"
  fi
}

hostb_ensure_pools() {
  ensure_dir_pool "$LIBVIRT_URI" "$SHARED_POOL" "$SHARED_DIR"
  ensure_dir_pool "$HOSTB_LOCAL_URI" "$SHARED_POOL" "$SHARED_DIR"
  ensure_dir_pool "$HOSTB_LOCAL_URI" "$HOSTB_DISKS_POOL" "$STATE/disks"
}

hostb_lab_domains() { virsh_b list --all --name 2>/dev/null | grep -E '^vd-' || true; }

# Host B starts empty: every vd-* guest a test left there is destroyed and undefined, with the
# disks it had in host B's private $STATE/disks.
hostb_clean_guests() {
  local name f
  for name in $(hostb_lab_domains); do
    log "host B: removing leftover guest $name"
    virsh_b destroy "$name" >/dev/null 2>&1 || true
    virsh_b undefine --managed-save --snapshots-metadata --checkpoints-metadata --nvram "$name" >/dev/null 2>&1 ||
      virsh_b undefine "$name" >/dev/null 2>&1 || true
  done
  for f in "$HOSTB_ROOT$STATE/disks"/vd-*; do
    [[ -e "$f" ]] || continue
    log "host B: removing leftover disk $f"
    rm -f "$f"
  done
  # Always: files deleted behind libvirt's back leave stale volumes, and libvirt skips pre-creating
  # the disk of an incoming migration whose volume it believes to exist.
  virsh_b "pool-refresh $HOSTB_DISKS_POOL; pool-refresh $SHARED_POOL" >/dev/null 2>&1 || true
  virsh_ pool-refresh "$SHARED_POOL" >/dev/null 2>&1 || true
  [[ -z "$(hostb_lab_domains)" ]] || die "host B: vd-* guests remain after cleaning: $(hostb_lab_domains | tr '\n' ' ')"
}

# ---- isolation ---------------------------------------------------------------------------------
# 'isolate on': on its link to the machine, host B's network namespace accepts only TCP to its sshd
# and ICMP, and opens no connection of its own; every other connection attempt either way is
# refused at once (TCP RST / ICMP port unreachable, so a migration fails immediately instead of
# timing out). Neither host reaches the other's migration or NBD ports; the workstation still
# reaches both sshds. The rules live in host B's network namespace only: the machine's firewall is
# never touched.

hostb_iptables() { hostb_exec iptables -w 5 "$@"; }

hostb_fw_rules() { hostb_iptables -S 2>/dev/null; }

# on|off, from the rules themselves (host B's filter table as `iptables -S` prints it: $1, or read now).
hostb_isolation_state() {
  local rules=${1-$(hostb_fw_rules)}
  if grep -q -- "^-A $HOSTB_FW_IN " <<<"$rules"; then echo on; else echo off; fi
}

hostb_set_isolation() {
  local want=$1 rules jump_in jump_out have_in=0 have_out=0
  rules="$(hostb_fw_rules)"
  jump_in="-A INPUT -i $HOSTB_PEER_IF -j $HOSTB_FW_IN"
  jump_out="-A OUTPUT -o $HOSTB_PEER_IF -j $HOSTB_FW_OUT"
  grep -qxF -- "$jump_in" <<<"$rules" && have_in=1
  grep -qxF -- "$jump_out" <<<"$rules" && have_out=1
  if ((have_in && have_out)) && [[ "$(hostb_isolation_state "$rules")" == "$want" ]]; then
    printf '%s\n' "$want" >"$HOSTB_DIR/isolation"
    return 0
  fi
  # One atomic iptables-restore: declaring a chain with --noflush empties it.
  {
    printf '*filter\n:%s - [0:0]\n:%s - [0:0]\n' "$HOSTB_FW_IN" "$HOSTB_FW_OUT"
    ((have_in)) || printf -- '-I INPUT 1 -i %s -j %s\n' "$HOSTB_PEER_IF" "$HOSTB_FW_IN"
    ((have_out)) || printf -- '-I OUTPUT 1 -o %s -j %s\n' "$HOSTB_PEER_IF" "$HOSTB_FW_OUT"
    if [[ "$want" == on ]]; then
      # Incoming: only host B's sshd (and ICMP); other TCP gets a RST, the rest ICMP port unreachable.
      printf -- '-A %s -p tcp --dport %s -j RETURN\n' "$HOSTB_FW_IN" "$HOSTB_SSH_PORT"
      printf -- '-A %s -p icmp -j RETURN\n' "$HOSTB_FW_IN"
      printf -- '-A %s -p tcp -j REJECT --reject-with tcp-reset\n' "$HOSTB_FW_IN"
      printf -- '-A %s -j REJECT --reject-with icmp-port-unreachable\n' "$HOSTB_FW_IN"
      # Outgoing: refuse host B's own connection attempts (SYN) and UDP. Everything else passes: the
      # replies of host B's sshd, and the RSTs with which the INPUT rules refuse host A.
      printf -- '-A %s -p icmp -j RETURN\n' "$HOSTB_FW_OUT"
      printf -- '-A %s -p tcp --syn -j REJECT --reject-with icmp-port-unreachable\n' "$HOSTB_FW_OUT"
      printf -- '-A %s -p udp -j REJECT --reject-with icmp-port-unreachable\n' "$HOSTB_FW_OUT"
    fi
    printf 'COMMIT\n'
  } | hostb_exec iptables-restore -w 5 --noflush || die "host B: iptables-restore of the isolation rules failed"
  [[ "$(hostb_isolation_state)" == "$want" ]] || die "host B: isolation is not $want after applying the rules"
  printf '%s\n' "$want" >"$HOSTB_DIR/isolation"
  log "host B: isolation $want (hosts A and B $([[ "$want" == on ]] && echo 'reach only each other'\''s sshd' || echo 'reach each other freely'))"
}

# Keep lab.json's isolation field in step (only that line; the rest describes the lab at 'up').
hostb_json_set_isolation() {
  local json="$STATE/lab.json" val=false
  [[ "$1" == on ]] && val=true
  [[ -f "$json" ]] && grep -q '"isolation": ' "$json" || return 0
  sed -i -E "s/(\"isolation\": )(true|false)/\1$val/" "$json"
}

# ---- up / down / status ------------------------------------------------------------------------

hostb_up() {
  hostb_enabled || {
    log "host B: disabled (VIRTDECK_LAB_HOST_B=0)"
    return 0
  }
  local t0 changed=0
  t0="$(now)"
  hostb_prepare_dirs
  hostb_ensure_namespace
  hostb_ensure_link
  hostb_write_configs && changed=1
  hostb_seed_caps_cache
  hostb_start_virtlogd
  hostb_start_libvirtd "$changed"
  hostb_ensure_sshd
  hostb_verify_ssh
  hostb_ensure_pools
  hostb_clean_guests
  hostb_set_isolation "${VIRTDECK_LAB_ISOLATION:-off}"
  log "host B: up ($HOSTB_HOSTNAME, ssh $HOSTB_ADDR:$HOSTB_SSH_PORT, isolation $(hostb_isolation_state)) in $(since "$t0")s"
}

hostb_down() {
  local purge=${1:-0} pid name
  if HOSTB_HOLDER="$(hostb_holder)"; then
    if hostb_answers; then
      for name in $(virsh_b list --state-running --state-paused --name 2>/dev/null | grep -E '^vd-' || true); do
        log "host B: $name: destroying"
        virsh_b destroy "$name" >/dev/null 2>&1 || warn "host B: virsh destroy $name failed"
      done
      if ((purge)); then
        for name in $(hostb_lab_domains); do virsh_b undefine "$name" >/dev/null 2>&1 || true; done
      fi
    fi
    for name in sshd libvirtd virtlogd; do
      if pid="$(hostb_daemon_pid "$name")"; then
        log "host B: $name: stopping (pid $pid)"
        stop_pid "$pid" "$name"
      fi
    done
    # Ending host B's init ends whatever else still runs in it.
    log "host B: ending its namespaces (init pid $HOSTB_HOLDER)"
    stop_pid "$HOSTB_HOLDER" "host B init"
    pid="$(cat "$HOSTB_RUN/holder.parent" 2>/dev/null || true)"
    [[ -n "$pid" ]] && proc_running "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == unshare ]] && stop_pid "$pid" unshare
  fi
  hostb_kill_stale_inits
  hostb_wait_link_gone || warn "the interface $HOSTB_IF is still there (another lab's host B?); leaving it"
  hostb_remove_cgroups
  rm -f "$HOSTB_RUN"/*.pid "$HOSTB_RUN"/holder.*
  if ((purge)); then
    log "host B: removing $HOSTB_DIR"
    rm -rf "$HOSTB_DIR"
  fi
}

hostb_status() {
  hostb_enabled || {
    echo "host B: disabled (VIRTDECK_LAB_HOST_B=0)"
    return 0
  }
  local ok=0 pid name
  echo "host B ($HOSTB_HOSTNAME, $HOSTB_ADDR):"
  if pid="$(hostb_holder)"; then
    HOSTB_HOLDER=$pid
    echo "  namespaces: init pid $pid$(hostb_cgroupns && echo ', own cgroup namespace')"
    ok=1
    for name in virtlogd libvirtd sshd; do
      if pid="$(hostb_daemon_pid "$name")"; then
        echo "  $name: running (pid $pid)$([[ "$name" == sshd ]] && echo " on $HOSTB_ADDR:$HOSTB_SSH_PORT, host key $(ssh-keygen -lf "$HOSTB_HOST_KEY.pub" | awk '{ print $2 }')")"
      else
        echo "  $name: not running"
        ok=0
      fi
    done
    if hostb_answers; then
      echo "  libvirt: answers (host UUID $(hostb_host_uuid))"
      local guests
      guests="$(virsh_b list --all --name 2>/dev/null | grep -E '^vd-' | tr '\n' ' ' || true)"
      echo "  vd-* guests: ${guests:-none}"
    else
      echo "  libvirt: does not answer on $HOSTB_SOCKET"
      ok=0
    fi
    echo "  isolation: $(hostb_isolation_state)"
  else
    echo "  not running"
  fi
  ((ok))
}

# lab.json's host B part (and the shared pool), indented for the top-level object.
hostb_json() {
  local fp isolation=false
  fp="$(ssh-keygen -lf "$HOSTB_HOST_KEY.pub" | awk '{ print $2 }')"
  [[ "$(hostb_isolation_state)" == on ]] && isolation=true
  local uri_root uri_op
  uri_root="qemu+libssh://root@$HOSTB_ADDR:$HOSTB_SSH_PORT/system?keyfile=$STATE/keys/id_root&known_hosts=$HOSTB_KNOWN_HOSTS&known_hosts_verify=normal&sshauth=privkey"
  uri_op="qemu+libssh://$OPERATOR_USER@$HOSTB_ADDR:$HOSTB_SSH_PORT/system?keyfile=$STATE/keys/id_$OPERATOR_USER&known_hosts=$HOSTB_KNOWN_HOSTS&known_hosts_verify=normal&sshauth=privkey"
  printf '  "migrationPorts": { "min": %s, "max": %s },\n' "$HOSTA_MIGRATION_PORT_MIN" "$HOSTA_MIGRATION_PORT_MAX"
  printf '  "sharedPool": { "name": %s, "path": %s },\n' "$(json_str "$SHARED_POOL")" "$(json_str "$SHARED_DIR")"
  printf '  "hostB": {\n'
  printf '    "hostname": %s,\n' "$(json_str "$HOSTB_HOSTNAME")"
  printf '    "hostUuid": %s,\n' "$(json_str "$(hostb_host_uuid)")"
  printf '    "address": %s,\n' "$(json_str "$HOSTB_ADDR")"
  printf '    "hostAAddress": %s,\n' "$(json_str "$HOSTB_ADDR_A")"
  printf '    "ssh": {\n'
  printf '      "host": %s,\n' "$(json_str "$HOSTB_ADDR")"
  printf '      "port": %s,\n' "$HOSTB_SSH_PORT"
  printf '      "hostKey": %s,\n' "$(json_str "$(cut -d' ' -f1-2 "$HOSTB_HOST_KEY.pub")")"
  printf '      "hostKeyFingerprint": %s,\n' "$(json_str "$fp")"
  printf '      "knownHostsFile": %s\n' "$(json_str "$HOSTB_KNOWN_HOSTS")"
  printf '    },\n'
  printf '    "accounts": {\n'
  printf '      "root": { "user": "root", "identityFile": %s, "libvirtSshUri": %s },\n' \
    "$(json_str "$STATE/keys/id_root")" "$(json_str "$uri_root")"
  printf '      "operator": { "user": %s, "identityFile": %s, "sudoPasswordFile": %s, "groups": ["libvirt"], "libvirtSshUri": %s }\n' \
    "$(json_str "$OPERATOR_USER")" "$(json_str "$STATE/keys/id_$OPERATOR_USER")" \
    "$(json_str "$PASSWORD_FILE")" "$(json_str "$uri_op")"
  printf '    },\n'
  printf '    "libvirtUri": %s,\n' "$(json_str "$LIBVIRT_URI")"
  printf '    "localLibvirtUri": %s,\n' "$(json_str "$HOSTB_LOCAL_URI")"
  printf '    "migrationPorts": { "min": %s, "max": %s },\n' "$HOSTB_MIGRATION_PORT_MIN" "$HOSTB_MIGRATION_PORT_MAX"
  printf '    "displayPorts": { "min": %s, "max": %s },\n' "$HOSTB_DISPLAY_PORT_MIN" "$HOSTB_DISPLAY_PORT_MAX"
  printf '    "pools": [%s, %s],\n' "$(json_str "$SHARED_POOL")" "$(json_str "$HOSTB_DISKS_POOL")"
  printf '    "privateRoot": %s,\n' "$(json_str "$HOSTB_ROOT")"
  printf '    "privatePaths": [%s],\n' "$(hostb_private_paths | while IFS= read -r p; do json_str "$p"; printf ', '; done | sed 's/, $//')"
  printf '    "logsDir": %s,\n' "$(json_str "$HOSTB_LOGS")"
  printf '    "isolation": %s\n' "$isolation"
  printf '  }'
}
