# shellcheck shell=bash
# Sourced by the guest's overlay image builders (build-net-initramfs.sh, build-agent-initramfs.sh).
#
# overlay_modules ROOT MODDIR MODULE...
#   Writes ROOT/etc/vd-modules.list: the modules the base image (initramfs.gz) loads, in its order, then
#   each MODULE that is not built into the kernel, after the modules it depends on (modules.dep), copied
#   (decompressed) into ROOT/lib/modules. The guest's rcS loads the list in order.
overlay_modules() {
  local root=$1 moddir=$2
  shift 2
  local depfile="$moddir/modules.dep" line rel m
  [[ -s "$depfile" ]] || die "no $depfile (guest/build-initramfs.sh makes it)"
  mkdir -p "$root/etc"
  gzip -dc "$GUEST_DIR/initramfs.gz" | cpio -i --quiet --to-stdout etc/vd-modules.list >"$root/etc/vd-modules.list"
  local -A have=()
  while read -r line; do [[ -n "$line" ]] && have[$line]=1; done <"$root/etc/vd-modules.list"
  add_module() {
    local rel=$1 plain dep
    plain=${rel%.xz}
    plain=${plain%.gz}
    plain=${plain%.zst}
    [[ -n "${have[$plain]:-}" ]] && return 0
    line="$(grep -m1 -E "^${rel//./\\.}:" "$depfile" || true)"
    for dep in ${line#*:}; do add_module "$dep"; done
    mkdir -p "$root/lib/modules/$(dirname "$plain")"
    case "$rel" in
    *.ko) cp "$moddir/$rel" "$root/lib/modules/$plain" ;;
    *.ko.xz) xz -dc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
    *.ko.gz) gzip -dc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
    *.ko.zst) zstd -qdc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
    esac
    printf '%s\n' "$plain" >>"$root/etc/vd-modules.list"
    have[$plain]=1
  }
  for m in "$@"; do
    if grep -qE "/${m}\.ko(\.[a-z]+)?$" "$moddir/modules.builtin" 2>/dev/null; then continue; fi
    rel="$(grep -m1 -oE "^[^:]*/${m}\.ko(\.(xz|zst|gz))?:" "$depfile" | tr -d :)" || die "module $m not found in $depfile"
    add_module "$rel"
  done
}
