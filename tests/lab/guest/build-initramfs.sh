#!/usr/bin/env bash
# Build the tiny VirtDeck lab guest into $VIRTDECK_LAB_DIR/guest (cached):
#   vmlinuz        Debian's cloud kernel (apt-get download + dpkg -x, never installed on the host)
#   initramfs.gz   busybox-static + /etc from guest/rootfs + the ACPI button/evdev modules
#   kernel.version the kernel release (uname -r inside the guest)
#   build.stamp    hash of the inputs; the initramfs is rebuilt only when an input changes
#
# Usage: build-initramfs.sh [--force]
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

GUEST_DIR="$STATE/guest"
CACHE_DIR="$GUEST_DIR/cache"
KTREE="$GUEST_DIR/kernel-tree"
ROOTFS_SRC="$LAB_SRC/guest/rootfs"
BUSYBOX="${VIRTDECK_LAB_BUSYBOX:-/bin/busybox}"
# Modules the guest needs (plus whatever modules.dep says they depend on).
WANTED_MODULES=(button evdev virtio_pci virtio_console)

force=0
BUILD_ROOT=
trap 'rm -rf "$BUILD_ROOT" "$GUEST_DIR"/*.new' EXIT
[[ "${1:-}" == "--force" ]] && force=1

# File contents only (paths relative to the source tree): the same inputs in another checkout of the
# repository (a worktree) give the same hash, so the shared lab's image is not rebuilt for nothing.
inputs_hash() {
  {
    sha256sum <"${BASH_SOURCE[0]}"
    (cd "$ROOTFS_SRC" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    cat "$GUEST_DIR/kernel.package" 2>/dev/null || true
    sha256sum 2>/dev/null <"$BUSYBOX" || true
  } | sha256sum | cut -d' ' -f1
}

# The versioned kernel image package behind a distro meta package.
resolve_kernel_package() {
  local meta dep
  # Debian: linux-image-cloud-amd64 (small, virtio/ACPI/VGA console, no hardware drivers).
  # Ubuntu: linux-image-kvm / linux-image-virtual (best effort; untested here).
  for meta in ${VIRTDECK_LAB_KERNEL_META:-linux-image-cloud-amd64 linux-image-kvm linux-image-virtual}; do
    pkg_known "$meta" || continue
    dep="$(apt-cache depends --no-recommends --no-suggests "$meta" 2>/dev/null |
      awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')"
    if [[ -n "$dep" ]]; then
      printf '%s\n' "$dep"
      return 0
    fi
  done
  return 1
}

fetch_kernel() {
  local pkg ver extra debs
  if [[ -f "$KTREE/.complete" && -s "$GUEST_DIR/kernel.package" ]]; then
    return 0
  fi
  pkg="$(resolve_kernel_package || true)"
  if [[ -z "$pkg" ]]; then
    apt_update_once
    pkg="$(resolve_kernel_package)" ||
      die "cannot find a cloud/kvm kernel package (tried linux-image-cloud-amd64, linux-image-kvm, linux-image-virtual)"
  fi
  log "guest kernel: downloading $pkg"
  rm -rf "$CACHE_DIR" "$KTREE"
  mkdir -p "$CACHE_DIR" "$KTREE"
  ver="${pkg#linux-image-}"
  local want=("$pkg")
  # Ubuntu ships most modules in a separate linux-modules-<ver> package.
  extra="linux-modules-$ver"
  if pkg_known "$extra"; then want+=("$extra"); fi
  # apt's _apt sandbox user must be able to write into the download directory.
  chown _apt "$CACHE_DIR" 2>/dev/null || true
  (cd "$CACHE_DIR" && apt-get download -qq "${want[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
    [[ -n "$(ls "$CACHE_DIR"/*.deb 2>/dev/null)" ]] || die "apt-get download ${want[*]} failed"
  shopt -s nullglob
  debs=("$CACHE_DIR"/*.deb)
  shopt -u nullglob
  ((${#debs[@]} > 0)) || die "apt-get download ${want[*]} produced no .deb files"
  for deb in "${debs[@]}"; do
    dpkg -x "$deb" "$KTREE"
  done
  printf '%s\n' "$pkg" >"$GUEST_DIR/kernel.package"
  touch "$KTREE/.complete"
}

# Print the wanted modules and their dependencies (deps first), paths relative to the modules dir.
resolve_modules() {
  local moddir=$1
  local depfile=$moddir/modules.dep
  local -A seen=()
  local order=()
  visit() {
    local rel=$1 line dep
    [[ -n "${seen[$rel]:-}" ]] && return 0
    seen[$rel]=1
    line="$(grep -m1 -E "^${rel//./\\.}:" "$depfile" || true)"
    for dep in ${line#*:}; do
      visit "$dep"
    done
    order+=("$rel")
  }
  local m rel
  for m in "${WANTED_MODULES[@]}"; do
    if grep -qE "/${m}\.ko(\.[a-z]+)?$" "$moddir/modules.builtin" 2>/dev/null; then
      log "guest kernel: $m is built in"
      continue
    fi
    rel="$(grep -m1 -oE "^[^:]*/${m}\.ko(\.(xz|zst|gz))?:" "$depfile" | tr -d :)" ||
      die "module $m not found in $depfile"
    visit "$rel"
  done
  ((${#order[@]} == 0)) || printf '%s\n' "${order[@]}"
}

copy_module() {
  local src=$1 dst=$2
  mkdir -p "$(dirname "$dst")"
  case "$src" in
  *.ko) cp "$src" "$dst" ;;
  *.ko.xz) xz -dc "$src" >"${dst%.xz}" ;;
  *.ko.gz) gzip -dc "$src" >"${dst%.gz}" ;;
  *.ko.zst)
    command -v zstd >/dev/null || apt_install zstd
    zstd -qdc "$src" >"${dst%.zst}"
    ;;
  *) die "unknown module format: $src" ;;
  esac
}

build_initramfs() {
  local kver moddir root applet rel
  kver="$(find "$KTREE/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort | head -n1)"
  [[ -n "$kver" ]] || die "no lib/modules/<version> in the extracted kernel ($KTREE)"
  moddir="$KTREE/lib/modules/$kver"
  local vmlinuz="$KTREE/boot/vmlinuz-$kver"
  [[ -f "$vmlinuz" ]] || die "kernel image $vmlinuz missing from the kernel package"
  [[ -x "$BUSYBOX" ]] || die "$BUSYBOX missing (package busybox-static)"
  if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; the guest needs busybox-static"
  fi
  # Debian packages do not ship modules.dep (depmod runs in postinst); busybox can generate it.
  [[ -s "$moddir/modules.dep" ]] || "$BUSYBOX" depmod -b "$KTREE" "$kver"

  local mods
  mods="$(resolve_modules "$moddir")"
  root="$(mktemp -d "$GUEST_DIR/initramfs-root.XXXXXX")"
  BUILD_ROOT=$root
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,var/log,var/run,lib/modules}
  cp "$BUSYBOX" "$root/bin/busybox"
  while read -r applet; do
    [[ -e "$root/$applet" ]] || ln -s /bin/busybox "$root/$applet"
  done < <("$BUSYBOX" --list-full)
  ln -sf /bin/busybox "$root/init"
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
  cp -a "$ROOTFS_SRC/." "$root/"
  chmod 0755 "$root/etc/init.d/"* "$root/etc/acpi/PWRF/"*

  : >"$root/etc/vd-modules.list"
  while read -r rel; do
    [[ -n "$rel" ]] || continue
    local out=${rel%.xz}
    out=${out%.gz}
    out=${out%.zst}
    copy_module "$moddir/$rel" "$root/lib/modules/$rel"
    printf '%s\n' "$out" >>"$root/etc/vd-modules.list"
  done <<<"$mods"
  log "guest initramfs: modules $(tr '\n' ' ' <"$root/etc/vd-modules.list")"

  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -6 >"$GUEST_DIR/initramfs.gz.new"
  cp "$vmlinuz" "$GUEST_DIR/vmlinuz.new"
  # Atomic replace: running guests keep their (already loaded) copies.
  mv -f "$GUEST_DIR/vmlinuz.new" "$GUEST_DIR/vmlinuz"
  mv -f "$GUEST_DIR/initramfs.gz.new" "$GUEST_DIR/initramfs.gz"
  printf '%s\n' "$kver" >"$GUEST_DIR/kernel.version"
  rm -rf "$root"
}

main() {
  mkdir -p "$GUEST_DIR"
  if ((!force)) && [[ -s "$GUEST_DIR/vmlinuz" && -s "$GUEST_DIR/initramfs.gz" && -f "$GUEST_DIR/build.stamp" ]] &&
    [[ "$(cat "$GUEST_DIR/build.stamp")" == "$(inputs_hash)" ]]; then
    log "guest image up to date ($(cat "$GUEST_DIR/kernel.version"))"
    return 0
  fi
  for tool in cpio gzip dpkg apt-get; do
    command -v "$tool" >/dev/null || die "$tool is missing"
  done
  fetch_kernel
  build_initramfs
  inputs_hash >"$GUEST_DIR/build.stamp"
  log "guest image built: kernel $(cat "$GUEST_DIR/kernel.version"), initramfs $(du -h "$GUEST_DIR/initramfs.gz" | cut -f1)"
  # Tell the caller (lab.sh) that the image is new, so it can run the ACPI self-test once.
  touch "$GUEST_DIR/.fresh-build"
}

main "$@"
