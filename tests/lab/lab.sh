#!/usr/bin/env bash
# VirtDeck test lab: a real libvirt/QEMU host A reachable over SSH on 127.0.0.1, with tiny guests,
# and a second, independent host B (own namespaces, libvirtd, sshd) for migration tests.
#
#   bash tests/lab/lab.sh [up]          build/start everything (idempotent; re-running is fast)
#   bash tests/lab/lab.sh down          destroy the lab's running guests, stop both sshds, host B
#                                       and the libvirt daemons the lab started (state is kept)
#   bash tests/lab/lab.sh down --purge  ... and undefine all vd-* guests, delete the state dir
#   bash tests/lab/lab.sh status        show what is up (exit 0 only if the lab is fully up)
#   bash tests/lab/lab.sh selftest      ACPI shutdown check on a throwaway guest (+ 'up' checks)
#   bash tests/lab/lab.sh isolate on|off   hosts A and B reach only each other's sshd / each other
#   bash tests/lab/lab.sh hostb up|down [--purge]|status   host B alone (host A untouched)
#
# Settings (environment):
#   VIRTDECK_LAB_DIR        state dir, default /var/lib/virtdeck-lab (everything the lab writes)
#   VIRTDECK_LAB_SSH_PORT   lab sshd port on 127.0.0.1, default 2722
#   VIRTDECK_LAB_GUESTS     running VNC guests vd-vnc-N, default 2 (plus one SPICE guest vd-spice-1)
#   VIRTDECK_LAB_OFF_GUESTS defined, shut-off guests vd-off-N, default 2
#   VIRTDECK_LAB_AGENT_GUESTS running guests vd-agent-N with a real QEMU guest agent, default 1
#   VIRTDECK_LAB_BOOT_TIMEOUT seconds to wait for guests to reach their shell prompt, default 180
#   VIRTDECK_LAB_SKIP_SELFTEST=1  skip the ACPI self-test that runs after a fresh guest build
#   VIRTDECK_LAB_HOST_B=0   no host B
#   VIRTDECK_LAB_B_SSH_PORT host B's sshd port, default 2723
#   VIRTDECK_LAB_B_NET      host B's /30 is <NET>.0/30 (<NET>.1 the machine, <NET>.2 host B), default 10.250.72
#   VIRTDECK_LAB_ISOLATION  isolation state 'up' leaves (on|off), default off
#   VIRTDECK_LAB_B_CGROUPNS=0  host B without its own cgroup namespace (its guests then get no cgroups)
#
# Output: $VIRTDECK_LAB_DIR/lab.json, the contract with the test suites (see README.md).
#
# CHANGES OUTSIDE THE STATE DIR (all idempotent; see also tests/lab/README.md):
#   * packages: apt-get installs missing libvirt-daemon-system libvirt-daemon-driver-qemu
#     libvirt-clients qemu-system-x86 qemu-utils openssh-server openssh-client busybox-static
#     cpio gzip sudo procps iproute2 iptables dnsmasq-base pci.ids osinfo-db fio (+ qemu-system-modules-spice
#     where SPICE is split out); e2fsprogs when mkfs.ext4 is missing (the agent guests' ext4 disk).
#   * /etc/libvirt/qemu.conf:     user = "root", group = "root"
#   * /etc/libvirt/libvirtd.conf: unix_sock_group = "libvirt", unix_sock_rw_perms = "0770",
#                                 auth_unix_rw = "none", auth_unix_ro = "none"
#     (keys are set-or-replaced; the original file is kept once as <file>.virtdeck-lab.orig)
#   * user 'virtdeck' (created if missing; home dir, /bin/bash, member of group 'libvirt') with a
#     random password (stored in $VIRTDECK_LAB_DIR/secrets/virtdeck.password).
#   * /etc/sudoers.d/virtdeck-lab: "virtdeck ALL=(ALL) ALL" (sudo WITH password; visudo-checked).
#   * only if root's password field is locked ('!...'): it is set to '*' (still no password
#     login) because sshd with UsePAM=no refuses key logins to locked accounts.
#   * daemons: virtlogd and libvirtd (started directly, or via systemctl when systemd runs),
#     the lab sshd on 127.0.0.1:$VIRTDECK_LAB_SSH_PORT, /run/sshd (sshd privilege separation dir).
#   * /var/lib/libvirt/dnsmasq: mode 0755 if it is not (dnsmasq reads its host files as nobody).
#   * libvirt domains named vd-* (persistent, no autostart); libvirt keeps their definitions in
#     /etc/libvirt/qemu/vd-*.xml and QEMU logs in /var/log/libvirt/qemu/vd-*.log.
#   * host A's libvirtd: storage pool vd-shared (dir $VIRTDECK_LAB_DIR/shared, autostart).
#   * host B (lib/hostb.sh): its processes (a holder 'virtdeck-lab-hostb', virtlogd, libvirtd, sshd,
#     its QEMUs) in their own mount/UTS/network/cgroup namespaces; the veth pair vdlab-b
#     (10.250.72.1/30 here, host B's end 10.250.72.2 inside); cgroup directories
#     /sys/fs/cgroup/[*/]virtdeck-lab-b; iptables rules only inside host B's network namespace.
#     Its files all live in $VIRTDECK_LAB_DIR/hostb.
#   * libvirt storage pool vd-lab-pool (dir, autostart) in $VIRTDECK_LAB_DIR/pool; its definition is
#     /etc/libvirt/storage/vd-lab-pool.xml.
#   Nothing else is touched; domains without the vd- prefix are never touched.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

LAB_DIR_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$LAB_DIR_SRC/lib/common.sh"
# shellcheck source=lib/host.sh
source "$LAB_DIR_SRC/lib/host.sh"
# shellcheck source=lib/ssh.sh
source "$LAB_DIR_SRC/lib/ssh.sh"
# shellcheck source=lib/guests.sh
source "$LAB_DIR_SRC/lib/guests.sh"
# shellcheck source=lib/report.sh
source "$LAB_DIR_SRC/lib/report.sh"
# shellcheck source=lib/hostb.sh
source "$LAB_DIR_SRC/lib/hostb.sh"
# shellcheck source=lib/storage.sh
source "$LAB_DIR_SRC/lib/storage.sh"

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

prepare_state_dir() {
  mkdir -p "$STATE" "$STATE/run" "$STATE/logs" "$STATE/secrets" "$STATE/keys" "$STATE/guest"
  chmod 0755 "$STATE"
  chmod 0700 "$STATE/secrets" "$STATE/keys"
}

take_lock() {
  mkdir -p "$STATE/run"
  exec 9>"$STATE/run/lab.lock"
  flock -w 900 9 || die "another lab.sh is still running (lock $STATE/run/lab.lock)"
}

cmd_up() {
  local t0
  t0="$(now)"
  prepare_state_dir
  check_state_path_secure
  take_lock
  ensure_packages
  ensure_libvirt
  ensure_accounts
  ensure_ssh_keys
  ensure_sshd
  ensure_bench_sshd
  verify_ssh
  bash "$LAB_SRC/guest/build-initramfs.sh"
  bash "$LAB_SRC/guest/build-net-initramfs.sh"
  if ((AGENT_GUESTS > 0)); then
    # The agent guests' disk is formatted here (mkfs.ext4); qemu-ga itself is downloaded, never installed.
    command -v mkfs.ext4 >/dev/null || apt_install e2fsprogs
    bash "$LAB_SRC/guest/build-agent-initramfs.sh"
  fi
  if [[ -f "$STATE/guest/.fresh-build" ]]; then
    if [[ "${VIRTDECK_LAB_SKIP_SELFTEST:-0}" != 1 ]]; then
      acpi_selftest
    fi
    rm -f "$STATE/guest/.fresh-build"
  fi
  ensure_guests
  hostb_up
  ensure_storage_pool
  write_lab_json
  print_summary
  log "lab is up ($(since "$t0")s)"
}

cmd_selftest() {
  # 'up' would run the self-test itself after a fresh guest build; run it exactly once here.
  VIRTDECK_LAB_SKIP_SELFTEST=1 cmd_up
  acpi_selftest
}

cmd_down() {
  local purge=0
  [[ "${1:-}" == "--purge" ]] && purge=1
  if [[ ! -d "$STATE" ]]; then
    log "no state dir $STATE; nothing to do"
    return 0
  fi
  take_lock
  if hostb_enabled || [[ -d "$HOSTB_DIR" ]]; then
    hostb_down "$purge"
  fi
  if libvirt_answers; then
    destroy_lab_guests
    if ((purge)); then
      undefine_lab_guests
      virsh_ pool-destroy "$SHARED_POOL" >/dev/null 2>&1 || true
      virsh_ pool-undefine "$SHARED_POOL" >/dev/null 2>&1 || true
      remove_storage_pool
    fi
  elif ((purge)); then
    # libvirtd is not running: its vd-* definitions can be removed from disk directly.
    local f
    for f in /etc/libvirt/qemu/vd-*.xml; do
      [[ -e "$f" ]] || continue
      log "removing $f (libvirtd is not running)"
      rm -f "$f" "/etc/libvirt/qemu/autostart/$(basename "$f")"
    done
  fi
  stop_sshd
  stop_bench_sshd
  if have_systemd; then
    log "systemd manages libvirtd/virtlogd; leaving them running"
  else
    stop_daemons
  fi
  rm -f "$STATE/lab.json"
  if ((purge)); then
    log "removing state dir $STATE"
    rm -rf "$STATE"
  fi
  log "lab is down"
}

# isolate on|off: hosts A and B reach only each other's sshd (on) or each other freely (off).
cmd_isolate() {
  local want=${1:-}
  [[ "$want" == on || "$want" == off ]] || die "usage: lab.sh isolate on|off"
  hostb_enabled || die "host B is disabled (VIRTDECK_LAB_HOST_B=0)"
  take_lock
  HOSTB_HOLDER="$(hostb_holder)" || die "host B is not running; run: bash tests/lab/lab.sh up"
  hostb_set_isolation "$want"
  hostb_json_set_isolation "$want"
}

# hostb up|down [--purge]|status: host B alone (host A is not touched).
cmd_hostb() {
  local sub=${1:-status}
  (($# > 0)) && shift
  hostb_enabled || die "host B is disabled (VIRTDECK_LAB_HOST_B=0)"
  case "$sub" in
  up)
    prepare_state_dir
    check_state_path_secure
    take_lock
    libvirt_answers || die "host A's libvirtd does not answer; run: bash tests/lab/lab.sh up"
    [[ -s "$STATE/keys/id_root" && -s "$STATE/authorized_keys/root" ]] || die "host A's keys are missing; run: bash tests/lab/lab.sh up"
    hostb_up
    write_lab_json
    ;;
  down)
    take_lock
    hostb_down "$([[ "${1:-}" == --purge ]] && echo 1 || echo 0)"
    ;;
  status) hostb_status ;;
  *) die "usage: lab.sh hostb up|down [--purge]|status" ;;
  esac
}

main() {
  local cmd=${1:-up}
  (($# > 0)) && shift
  case "$cmd" in
  up | down | status | selftest | isolate | hostb) ;;
  -h | --help | help)
    usage
    return 0
    ;;
  *)
    usage >&2
    die "unknown command '$cmd'"
    ;;
  esac
  require_root "$cmd"
  validate_settings
  validate_hostb_settings
  case "$cmd" in
  up) cmd_up ;;
  down) cmd_down "$@" ;;
  status) cmd_status ;;
  selftest) cmd_selftest ;;
  isolate) cmd_isolate "$@" ;;
  hostb) cmd_hostb "$@" ;;
  esac
}

main "$@"
