# shellcheck shell=bash disable=SC2153  # STATE etc. come from lib/common.sh
# Host side of the lab: packages, libvirt configuration, virtlogd/libvirtd daemons.

REQUIRED_PACKAGES=(
  libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils
  openssh-server openssh-client
  busybox-static cpio gzip sudo procps
  iproute2
  osinfo-db
  # Virtual networks: dnsmasq serves DHCP/DNS, iptables (nft backend on Debian 12) does NAT for libvirt 9.0.
  dnsmasq-base iptables
  # Vendor and device names for the host-device list (/usr/share/misc/pci.ids).
  pci.ids
  # "Benchmark storage" runs fio on the host.
  fio
)

# Is systemd the init system? (Not in CI sandboxes; a developer laptop maybe.)
have_systemd() { [[ -d /run/systemd/system ]]; }

spice_module_present() {
  compgen -G '/usr/lib/*/qemu/ui-spice-core.so' >/dev/null || compgen -G '/usr/lib/qemu/ui-spice-core.so' >/dev/null
}

ensure_packages() {
  local missing=() p
  for p in "${REQUIRED_PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  # SPICE: Debian bookworm ships QEMU's SPICE modules inside qemu-system-common (pulled in by
  # qemu-system-x86); newer Debian/Ubuntu split them out into qemu-system-modules-spice.
  if ! spice_module_present && ! pkg_installed qemu-system-modules-spice; then
    apt_update_once
    pkg_known qemu-system-modules-spice && missing+=(qemu-system-modules-spice)
  fi
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}"
  else
    log "packages: all present"
  fi
  [[ -x /usr/sbin/sshd ]] || die "/usr/sbin/sshd missing after installing openssh-server"
  command -v virsh >/dev/null || die "virsh missing after installing libvirt-clients"
  command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing after installing qemu-system-x86"
  spice_module_present || die "QEMU's SPICE module (ui-spice-core.so) is missing; SPICE guests cannot start"
  getent group libvirt >/dev/null || die "group 'libvirt' missing (libvirt-daemon-system should create it)"
}

# Returns 0 if any libvirt config file changed.
configure_libvirt() {
  local changed=1
  # QEMU as root:root. Without it libvirt re-probes QEMU capabilities on every call in these
  # sandboxes and a single define takes minutes.
  conf_set /etc/libvirt/qemu.conf user '"root"' && changed=0
  conf_set /etc/libvirt/qemu.conf group '"root"' && changed=0
  # Group 'libvirt' may use the read-write socket without polkit (no polkit daemon runs here).
  conf_set /etc/libvirt/libvirtd.conf unix_sock_group '"libvirt"' && changed=0
  conf_set /etc/libvirt/libvirtd.conf unix_sock_rw_perms '"0770"' && changed=0
  conf_set /etc/libvirt/libvirtd.conf auth_unix_rw '"none"' && changed=0
  conf_set /etc/libvirt/libvirtd.conf auth_unix_ro '"none"' && changed=0
  return $changed
}

libvirt_answers() {
  timeout 20 virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1
}

wait_libvirt() {
  local deadline=$((SECONDS + 90))
  until libvirt_answers; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$STATE/logs/libvirtd.log" >&2 2>/dev/null || true
      die "libvirtd did not answer 'virsh -c $LIBVIRT_URI version' within 90 s (log: $STATE/logs/libvirtd.log)"
    fi
    sleep 0.5
  done
}

# A process counts as gone once it exited, even if its parent has not reaped it yet (zombie).
proc_running() {
  kill -0 "$1" 2>/dev/null && [[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

stop_pid() {
  local pid=$1 what=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    proc_running "$pid" || return 0
    sleep 0.1
  done
  warn "$what (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

start_virtlogd() {
  local pid
  if pid="$(pid_alive /run/virtlogd.pid virtlogd)"; then
    log "virtlogd: running (pid $pid)"
    return 0
  fi
  log "virtlogd: starting"
  (close_inherited_fds && exec virtlogd -d) </dev/null >>"$STATE/logs/virtlogd.out" 2>&1 || die "virtlogd -d failed (see $STATE/logs/virtlogd.out)"
  local i
  for ((i = 0; i < 50; i++)); do
    pid="$(pid_alive /run/virtlogd.pid virtlogd)" && break
    sleep 0.1
  done
  [[ -n "$pid" ]] || die "virtlogd did not start (see $STATE/logs/virtlogd.out)"
  printf '%s\n' "$pid" >"$STATE/run/virtlogd.started-by-lab"
}

start_libvirtd() {
  local config_changed=$1 pid
  if pid="$(pid_alive /run/libvirtd.pid libvirtd)"; then
    if ((config_changed)); then
      log "libvirtd: config changed, restarting (pid $pid)"
      stop_pid "$pid" libvirtd
      # Keep the 'started by lab' marker if we started the old one; otherwise we now own it.
    else
      log "libvirtd: running (pid $pid)"
      wait_libvirt
      return 0
    fi
  fi
  log "libvirtd: starting"
  # Daemon log goes to the state dir (warnings and errors). stdio must not stay attached to
  # the caller (e.g. a Vitest globalSetup waiting for EOF).
  # umask 022: the directories libvirtd creates (e.g. /var/lib/libvirt/dnsmasq) must be readable by
  # dnsmasq after it drops to 'nobody', whatever umask the caller runs with.
  (close_inherited_fds && umask 022 && LIBVIRT_LOG_OUTPUTS="3:file:$STATE/logs/libvirtd.log" exec libvirtd -d) \
    </dev/null >>"$STATE/logs/libvirtd.out" 2>&1 ||
    die "libvirtd -d failed (see $STATE/logs/libvirtd.out and $STATE/logs/libvirtd.log)"
  local i
  pid=
  for ((i = 0; i < 100; i++)); do
    pid="$(pid_alive /run/libvirtd.pid libvirtd)" && break
    sleep 0.1
  done
  [[ -n "$pid" ]] || die "libvirtd did not write /run/libvirtd.pid (see $STATE/logs/libvirtd.log)"
  printf '%s\n' "$pid" >"$STATE/run/libvirtd.started-by-lab"
  wait_libvirt
}

start_daemons_systemd() {
  local config_changed=$1
  log "systemd detected: using systemctl for virtlogd/libvirtd"
  systemctl start virtlogd.socket virtlogd.service 2>/dev/null || systemctl start virtlogd || true
  if ((config_changed)); then
    systemctl restart libvirtd.service || die "systemctl restart libvirtd failed"
  else
    systemctl start libvirtd.service || die "systemctl start libvirtd failed"
  fi
  wait_libvirt
}

ensure_libvirt() {
  local changed=0
  configure_libvirt && changed=1
  if have_systemd; then
    start_daemons_systemd "$changed"
  else
    start_virtlogd
    start_libvirtd "$changed"
  fi
  ensure_dnsmasq_state_dir
  log "libvirt: $(virsh -c "$LIBVIRT_URI" version 2>/dev/null | grep -i 'running hypervisor' | sed 's/^ *//')"
}

# libvirt keeps each network's dnsmasq config, static DHCP hosts and DNS hosts in
# /var/lib/libvirt/dnsmasq (made 0777 & ~umask). dnsmasq reads the host files after dropping to
# 'nobody': in a 0700 directory (a libvirtd once started under umask 077) static DHCP hosts and DNS
# entries are silently ignored. Make it what a normal install has.
ensure_dnsmasq_state_dir() {
  local dir=/var/lib/libvirt/dnsmasq mode
  [[ -d "$dir" ]] || return 0
  mode="$(stat -c %a "$dir")"
  if [[ "$mode" != 755 ]]; then
    log "libvirt: $dir was mode $mode; setting 0755 so dnsmasq (as nobody) reads its host files"
    chmod 0755 "$dir"
  fi
}

# Stop virtlogd/libvirtd, but only the instances this lab started.
stop_daemons() {
  local name pid recorded
  for name in libvirtd virtlogd; do
    recorded="$(cat "$STATE/run/$name.started-by-lab" 2>/dev/null || true)"
    if pid="$(pid_alive "/run/$name.pid" "$name")"; then
      if [[ -n "$recorded" ]]; then
        log "$name: stopping (pid $pid, started by the lab)"
        stop_pid "$pid" "$name"
      else
        log "$name: running (pid $pid) but not started by the lab; leaving it"
      fi
    fi
    rm -f "$STATE/run/$name.started-by-lab"
  done
}
