# shellcheck shell=bash disable=SC2153  # STATE etc. come from lib/common.sh
# The lab's storage pool: a persistent, autostarted dir pool in the state dir, for the tests and
# benchmarks of the storage area (and anything that needs somewhere to put a volume).

LAB_POOL_NAME="vd-lab-pool"
LAB_POOL_DIR="$STATE/pool"

ensure_storage_pool() {
  mkdir -p "$LAB_POOL_DIR"
  chmod 0755 "$LAB_POOL_DIR"
  if ! virsh_ pool-info "$LAB_POOL_NAME" >/dev/null 2>&1; then
    log "defining storage pool $LAB_POOL_NAME ($LAB_POOL_DIR)"
    virsh_ pool-define-as "$LAB_POOL_NAME" dir --target "$LAB_POOL_DIR" >/dev/null || die "virsh pool-define-as $LAB_POOL_NAME failed"
  fi
  local info
  info="$(virsh_ pool-info "$LAB_POOL_NAME")" || die "virsh pool-info $LAB_POOL_NAME failed"
  # (not piped into grep -q: with pipefail, virsh killed by SIGPIPE would read as "not running")
  if ! grep -Eq '^State:[[:space:]]+running' <<<"$info"; then
    virsh_ pool-start "$LAB_POOL_NAME" >/dev/null || die "virsh pool-start $LAB_POOL_NAME failed"
  fi
  virsh_ pool-autostart "$LAB_POOL_NAME" >/dev/null || warn "virsh pool-autostart $LAB_POOL_NAME failed"
}

# down --purge: the pool's definition goes (its directory goes with the state dir).
remove_storage_pool() {
  virsh_ pool-destroy "$LAB_POOL_NAME" >/dev/null 2>&1 || true
  virsh_ pool-undefine "$LAB_POOL_NAME" >/dev/null 2>&1 || true
}
