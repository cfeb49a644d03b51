#!/usr/bin/env bash
# Build $VIRTDECK_LAB_DIR/guest/initramfs-net.gz: the lab guest's initramfs (initramfs.gz, unchanged)
# followed by a small second cpio archive that adds networking — the virtio-net driver (and the modules
# it depends on, from the same kernel), busybox udhcpc's event script and an rcS that asks for a DHCP
# lease when the guest has a NIC. The kernel unpacks concatenated archives in order, later files win.
# Tests give it to throwaway guests that get a NIC; the lab's own guests keep initramfs.gz (so this
# never changes what they boot). Rebuilt only when initramfs.gz or an input here changes.
#
# Usage: build-net-initramfs.sh   (after build-initramfs.sh)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=overlay-modules.sh
source "$(dirname "${BASH_SOURCE[0]}")/overlay-modules.sh"

GUEST_DIR="$STATE/guest"
NET_SRC="$LAB_SRC/guest/net"
OUT="$GUEST_DIR/initramfs-net.gz"
# virtio_blk: hot-plugged virtio disks show up in the guest (/proc/partitions; the Hardware tests).
NET_MODULES=(virtio_net virtio_blk)
WORK=
trap 'rm -rf "$WORK" "$OUT.new"' EXIT

inputs_hash() {
  {
    # Contents, not paths: another checkout (worktree) of the same files gives the same hash.
    cat "${BASH_SOURCE[0]}" "$LAB_SRC/guest/overlay-modules.sh" "$GUEST_DIR/initramfs.gz" "$LAB_SRC/guest/rootfs/etc/init.d/rcS" | sha256sum
    (cd "$NET_SRC" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -d' ' -f1
}

main() {
  [[ -s "$GUEST_DIR/initramfs.gz" && -s "$GUEST_DIR/kernel.version" ]] || die "build the guest first (guest/build-initramfs.sh)"
  if [[ -s "$OUT" && -f "$GUEST_DIR/net.stamp" && "$(cat "$GUEST_DIR/net.stamp")" == "$(inputs_hash)" ]]; then
    log "guest network initramfs up to date"
    return 0
  fi
  local kver moddir root
  kver="$(cat "$GUEST_DIR/kernel.version")"
  moddir="$GUEST_DIR/kernel-tree/lib/modules/$kver"
  WORK="$(mktemp -d "$GUEST_DIR/net-root.XXXXXX")"
  root="$WORK/root"
  mkdir -p "$root/etc/init.d"
  overlay_modules "$root" "$moddir" "${NET_MODULES[@]}"
  cat "$LAB_SRC/guest/rootfs/etc/init.d/rcS" "$NET_SRC/rcS.net" >"$root/etc/init.d/rcS"
  cp "$NET_SRC/udhcpc.script" "$root/etc/udhcpc.script"
  chmod 0755 "$root/etc/init.d/rcS" "$root/etc/udhcpc.script"
  {
    cat "$GUEST_DIR/initramfs.gz"
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6)
  } >"$OUT.new"
  mv -f "$OUT.new" "$OUT"
  inputs_hash >"$GUEST_DIR/net.stamp"
  log "guest network initramfs built: $(tr '\n' ' ' <"$root/etc/vd-modules.list" | sed 's#kernel/[^ ]*/##g')"
}

main "$@"
