#!/usr/bin/env bash
# Host B's namespaces (started by lib/hostb.sh; never run by hand). Two stages:
#
#   stage1 (still in the machine's namespaces): moves itself into the cgroup $HOSTB_CGROUP (in every
#          cgroup hierarchy), then runs stage2 as PID 1 of NEW PID, mount, UTS, network and cgroup
#          namespaces (unshare --fork --propagation private: nothing mounted there is seen outside).
#   stage2 (inside host B, PID 1): mounts its own /proc (host B sees only its processes), /sys (its
#          own network devices) and cgroupfs (its own cgroup tree, rooted at $HOSTB_CGROUP, so its
#          libvirtd's /machine is $HOSTB_CGROUP/machine), moves itself into $HOSTB_CGROUP/daemons,
#          bind-mounts host B's private directories over the machine's (/etc/libvirt,
#          /var/lib/libvirt, ...), /etc/hosts and /etc/hostname, sets the hostname, brings up lo, and becomes host
#          B's init ('hostb-init': reaps orphans, exits on SIGTERM - which ends every process of
#          host B). Everything host B runs (virtlogd, libvirtd, sshd, QEMU) is started into these
#          namespaces with nsenter -t <init>.
#
# Environment (from lib/hostb.sh): HOSTB_DIR, HOSTB_ROOT, HOSTB_RUN, HOSTB_HOSTNAME, HOSTB_CGROUP,
# HOSTB_PRIVATE_PATHS (newline-separated absolute paths), HOSTB_HOSTS_FILE, HOSTB_HOSTNAME_FILE,
# HOSTB_CGROUPNS (0 = none).
set -euo pipefail
export LC_ALL=C
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

say() { printf '[hostb-ns %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() {
  say "ERROR: $*"
  printf '%s\n' "$*" >"$HOSTB_RUN/holder.failed"
  exit 1
}

# Every cgroup hierarchy mounted under /sys/fs/cgroup: "target fstype options" lines.
cgroup_mounts() {
  awk '($2 == "/sys/fs/cgroup" || index($2, "/sys/fs/cgroup/") == 1) && ($3 == "cgroup" || $3 == "cgroup2") { print $2, $3, $4 }' /proc/self/mounts
}

# Join cgroup $1 (a path relative to each hierarchy's root as this process sees it) in every hierarchy.
join_cgroup() {
  local rel=$1 target fstype opts dir
  while read -r target fstype opts; do
    dir="$target/$rel"
    mkdir -p "$dir" || return 1
    if [[ "$fstype" == cgroup && -f "$dir/cpuset.cpus" && -z "$(tr -d '[:space:]' <"$dir/cpuset.cpus")" ]]; then
      # cgroup v1 cpuset: a new cgroup starts with no CPUs/memory nodes; copy the parent's.
      cat "$(dirname "$dir")/cpuset.cpus" >"$dir/cpuset.cpus" || return 1
      cat "$(dirname "$dir")/cpuset.mems" >"$dir/cpuset.mems" || return 1
    fi
    echo $$ >"$dir/cgroup.procs" || return 1
  done < <(cgroup_mounts)
}

stage1() {
  local cgroupns=1
  if [[ "${HOSTB_CGROUPNS:-1}" == 0 ]]; then
    say "VIRTDECK_LAB_B_CGROUPNS=0: host B runs without a cgroup namespace"
    cgroupns=0
  elif [[ -z "$(cgroup_mounts)" ]]; then
    say "no cgroup hierarchies mounted; host B runs without a cgroup namespace"
    cgroupns=0
  elif ! join_cgroup "$HOSTB_CGROUP"; then
    say "could not join cgroup $HOSTB_CGROUP; host B runs without a cgroup namespace"
    cgroupns=0
  fi
  local flags=(--pid --fork --mount --uts --net --propagation private)
  ((cgroupns)) && flags+=(--cgroup)
  exec unshare "${flags[@]}" -- bash "${BASH_SOURCE[0]}" stage2 "$cgroupns"
}

# Fresh /sys (this network namespace's devices) and cgroupfs: inside the cgroup namespace a new
# cgroup mount shows the subtree rooted at the namespace's root ($HOSTB_CGROUP).
remount_sys() {
  local mounts top target fstype opts o
  mounts="$(cgroup_mounts)"
  top="$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/self/mounts | tail -n1)"
  umount -R /sys || return 1
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || return 1
  [[ -n "$mounts" ]] || return 0
  if [[ "$top" == tmpfs ]]; then
    mount -t tmpfs -o mode=0755,nosuid,nodev,noexec tmpfs /sys/fs/cgroup || return 1
  fi
  while read -r target fstype opts; do
    mkdir -p "$target" 2>/dev/null || true
    if [[ "$fstype" == cgroup2 ]]; then
      mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$target" || return 1
    else
      o="$(tr ',' '\n' <<<"$opts" | grep -vxE 'rw|ro|relatime|noatime|nosuid|nodev|noexec' | paste -sd, -)"
      mount -t cgroup -o "nosuid,nodev,noexec,$o" cgroup "$target" || return 1
    fi
  done <<<"$mounts"
}

stage2() {
  local cgroupns=$1 path gpid gcomm gstate gppid
  # Our pid and our parent's (unshare) as the machine sees them, before /proc shows host B's view.
  read -r gpid gcomm gstate gppid _ </proc/self/stat
  : "$gcomm" "$gstate"
  mount -t proc -o nosuid,nodev,noexec proc /proc || fail "mount -t proc failed"
  remount_sys || fail "could not mount /sys and cgroupfs in host B's namespaces"
  if ((cgroupns)); then
    # Daemons live in a child cgroup: cgroup v2 allows no processes in a cgroup whose controllers
    # are delegated to children (libvirt's /machine).
    join_cgroup daemons || fail "could not join cgroup daemons in host B's cgroup namespace"
  fi
  hostname "$HOSTB_HOSTNAME" || fail "hostname $HOSTB_HOSTNAME failed"
  ip link set lo up || fail "ip link set lo up failed"
  while IFS= read -r path; do
    [[ -n "$path" ]] || continue
    mkdir -p "$HOSTB_ROOT$path"
    [[ -d "$path" ]] || fail "mount point $path does not exist"
    mount --bind "$HOSTB_ROOT$path" "$path" || fail "mount --bind $HOSTB_ROOT$path $path failed"
  done <<<"$HOSTB_PRIVATE_PATHS"
  mount --bind "$HOSTB_HOSTS_FILE" /etc/hosts || fail "mount --bind $HOSTB_HOSTS_FILE /etc/hosts failed"
  if [[ -f /etc/hostname ]]; then
    mount --bind "$HOSTB_HOSTNAME_FILE" /etc/hostname || fail "mount --bind $HOSTB_HOSTNAME_FILE /etc/hostname failed"
  fi
  printf '%s\n' "$cgroupns" >"$HOSTB_RUN/cgroupns"
  printf '%s\n' "$gppid" >"$HOSTB_RUN/holder.parent"
  printf '%s\n' "$gpid" >"$HOSTB_RUN/holder.pid"
  touch "$HOSTB_RUN/holder.ready"
  say "host B namespaces ready (init: pid $gpid on the machine, hostname $(hostname), cgroup namespace: $cgroupns)"
  cd /
  # shellcheck disable=SC2016  # for the init's own shell
  exec "$HOSTB_DIR/bin/hostb-init" -c 'trap "exit 0" TERM; while :; do sleep 3600 & wait; done'
}

case "${1:-}" in
stage1) stage1 ;;
stage2) stage2 "${2:-0}" ;;
*)
  echo "usage: hostb-ns.sh stage1 (started by tests/lab/lib/hostb.sh)" >&2
  exit 2
  ;;
esac
