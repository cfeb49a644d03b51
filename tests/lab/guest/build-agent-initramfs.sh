#!/usr/bin/env bash
# Build $VIRTDECK_LAB_DIR/guest/initramfs-agent.gz: the lab guest's initramfs (initramfs.gz, unchanged)
# followed by a second cpio archive that makes the guest answer as a real QEMU guest agent:
#   * Debian's qemu-ga binary, taken from the qemu-guest-agent .deb (apt-get download + dpkg -x; it is
#     never installed on the host) and the shared libraries ldd says it needs, at the same paths;
#   * virtio_blk (and its dependencies) so the guest sees its disk, which is mounted on /data (ext4:
#     a real file system for guest-fsfreeze-freeze/thaw; the lab formats it on the host, lib/guests.sh);
#   * /etc/os-release (what guest-get-osinfo reports), /etc/passwd and /etc/group (for login);
#   * an rcS addition (guest/agent/rcS.agent) that mounts /data and names the virtio-serial ports
#     (/dev/virtio-ports/<name>), and an inittab that keeps qemu-ga running on the
#     org.qemu.guest_agent.0 port and logs root in on tty2 (an utmp entry: guest-get-users).
# The lab's agent guests (vd-agent-N) boot it; the other guests keep initramfs.gz. Rebuilt only when
# initramfs.gz, the qemu-ga package or an input here changes (the stamp hashes contents, not paths).
#
# Usage: build-agent-initramfs.sh   (after build-initramfs.sh)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=overlay-modules.sh
source "$(dirname "${BASH_SOURCE[0]}")/overlay-modules.sh"

GUEST_DIR="$STATE/guest"
AGENT_SRC="$LAB_SRC/guest/agent"
AGENT_CACHE="$GUEST_DIR/agent-cache"
OUT="$GUEST_DIR/initramfs-agent.gz"
AGENT_PACKAGE=qemu-guest-agent
AGENT_MODULES=(virtio_blk)
WORK=
trap 'rm -rf "$WORK" "$OUT.new"' EXIT

# The contents of a file, hashed (a path in the hash would rebuild the image per checkout).
content_hash() { sha256sum <"$1" | cut -d' ' -f1; }

inputs_hash() {
  {
    content_hash "${BASH_SOURCE[0]}"
    content_hash "$LAB_SRC/guest/overlay-modules.sh"
    content_hash "$GUEST_DIR/initramfs.gz"
    content_hash "$LAB_SRC/guest/rootfs/etc/init.d/rcS"
    content_hash "$LAB_SRC/guest/rootfs/etc/inittab"
    (cd "$AGENT_SRC" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    cat "$AGENT_CACHE/package.version" 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}

# Debian's qemu-guest-agent .deb, unpacked into $AGENT_CACHE/tree (kept until the candidate version changes).
fetch_agent() {
  local want have=
  want="$(apt-cache policy "$AGENT_PACKAGE" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')"
  if [[ -z "$want" || "$want" == "(none)" ]]; then
    apt_update_once
    want="$(apt-cache policy "$AGENT_PACKAGE" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')"
    [[ -n "$want" && "$want" != "(none)" ]] || die "apt knows no $AGENT_PACKAGE package"
  fi
  [[ -f "$AGENT_CACHE/tree/.complete" ]] && have="$(cat "$AGENT_CACHE/package.version" 2>/dev/null || true)"
  [[ "$have" == "$AGENT_PACKAGE $want" ]] && return 0
  log "guest agent: downloading $AGENT_PACKAGE $want"
  rm -rf "$AGENT_CACHE"
  mkdir -p "$AGENT_CACHE/debs" "$AGENT_CACHE/tree"
  chown _apt "$AGENT_CACHE/debs" 2>/dev/null || true
  (cd "$AGENT_CACHE/debs" && apt-get download -qq "$AGENT_PACKAGE=$want" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
  local deb
  deb="$(find "$AGENT_CACHE/debs" -name "${AGENT_PACKAGE}_*.deb" | head -n1)"
  [[ -n "$deb" ]] || die "apt-get download $AGENT_PACKAGE=$want produced no .deb"
  dpkg -x "$deb" "$AGENT_CACHE/tree"
  [[ -x "$AGENT_CACHE/tree/usr/sbin/qemu-ga" ]] || die "$deb has no usr/sbin/qemu-ga"
  printf '%s %s\n' "$AGENT_PACKAGE" "$want" >"$AGENT_CACHE/package.version"
  touch "$AGENT_CACHE/tree/.complete"
}

# Copy qemu-ga's shared libraries (as ldd resolves them on this Debian host, same release as the
# package) into the image at the paths the loader looks for.
copy_libraries() {
  local bin=$1 root=$2 line lib missing=()
  while read -r line; do
    case "$line" in
    *"=> not found"*) missing+=("${line%% *}") ;;
    *"=> /"*)
      lib="${line#*=> }"
      lib="${lib%% (*}"
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
      ;;
    /*)
      lib="${line%% (*}"
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
      ;;
    esac
  done < <(ldd "$bin")
  ((${#missing[@]} == 0)) || die "qemu-ga needs libraries this host lacks: ${missing[*]} (install the packages that ship them)"
}

main() {
  [[ -s "$GUEST_DIR/initramfs.gz" && -s "$GUEST_DIR/kernel.version" ]] || die "build the guest first (guest/build-initramfs.sh)"
  command -v ldd >/dev/null || die "ldd is missing (package libc-bin)"
  fetch_agent
  if [[ -s "$OUT" && -f "$GUEST_DIR/agent.stamp" && "$(cat "$GUEST_DIR/agent.stamp")" == "$(inputs_hash)" ]]; then
    log "guest agent initramfs up to date"
    return 0
  fi
  local kver moddir root version busybox_version
  kver="$(cat "$GUEST_DIR/kernel.version")"
  moddir="$GUEST_DIR/kernel-tree/lib/modules/$kver"
  WORK="$(mktemp -d "$GUEST_DIR/agent-root.XXXXXX")"
  root="$WORK/root"
  mkdir -p "$root/etc/init.d" "$root/usr/sbin" "$root/data" "$root/var/log" "$root/var/run"
  # ext4 (and the crc32c it needs) must be in the kernel or a module: /data is ext4.
  overlay_modules "$root" "$moddir" "${AGENT_MODULES[@]}" ext4 crc32c_generic

  cp "$AGENT_CACHE/tree/usr/sbin/qemu-ga" "$root/usr/sbin/qemu-ga"
  chmod 0755 "$root/usr/sbin/qemu-ga"
  copy_libraries "$AGENT_CACHE/tree/usr/sbin/qemu-ga" "$root"

  version="$(cut -d' ' -f2 "$AGENT_CACHE/package.version")"
  # "BusyBox v1.35.0 (Debian ...) multi-call binary." -> "BusyBox v1.35.0"
  busybox_version="$("${VIRTDECK_LAB_BUSYBOX:-/bin/busybox}" 2>&1 || true)"
  busybox_version="${busybox_version%%$'\n'*}"
  busybox_version="${busybox_version%% (*}"
  sed -e "s|@QEMU_GA_VERSION@|$version|g" -e "s|@BUSYBOX@|$busybox_version|g" "$AGENT_SRC/os-release.in" >"$root/etc/os-release"
  cp "$AGENT_SRC/passwd" "$root/etc/passwd"
  cp "$AGENT_SRC/group" "$root/etc/group"
  cat "$LAB_SRC/guest/rootfs/etc/init.d/rcS" "$AGENT_SRC/rcS.agent" >"$root/etc/init.d/rcS"
  cat "$LAB_SRC/guest/rootfs/etc/inittab" "$AGENT_SRC/inittab.agent" >"$root/etc/inittab"
  cp "$AGENT_SRC/qemu-ga" "$root/etc/init.d/qemu-ga"
  chmod 0755 "$root/etc/init.d/rcS" "$root/etc/init.d/qemu-ga"
  {
    cat "$GUEST_DIR/initramfs.gz"
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6)
  } >"$OUT.new"
  mv -f "$OUT.new" "$OUT"
  inputs_hash >"$GUEST_DIR/agent.stamp"
  log "guest agent initramfs built: qemu-ga $version, $(find "$root/lib" "$root/lib64" -name '*.so*' 2>/dev/null | wc -l) libraries, modules $(tr '\n' ' ' <"$root/etc/vd-modules.list" | sed 's#kernel/[^ ]*/##g'), $(du -h "$OUT" | cut -f1)"
}

main "$@"
