#!/bin/sh
# Fetches the inputs of the libvirt protocol generator from Debian's archive, using a private apt
# configuration (the system's apt sources, lists and caches are not touched):
#
#   - the libvirt source package (upstream orig tarball): meson.build, src/remote/*.x,
#     src/rpc/*.x, src/remote/remote_daemon_dispatch.c, src/remote/remote_driver.c
#   - the libvirt-dev binary package: usr/share/libvirt/api/libvirt-api.xml, libvirt-qemu-api.xml
#
# Usage: main/libvirt/protocol/codegen/fetch-sources.sh
# Environment (all optional):
#   LIBVIRT_FETCH_DIR  where to put everything          (default /tmp/virtdeck-libvirt)
#   DEBIAN_SUITE       Debian suite to take libvirt from (default trixie → libvirt 11.3.0)
#   DEBIAN_MIRROR      archive URL                       (default http://deb.debian.org/debian)
#
# Afterwards $LIBVIRT_FETCH_DIR/src and $LIBVIRT_FETCH_DIR/api are the generator's default inputs:
#   npm run generate:libvirt
set -eu

DIR=${LIBVIRT_FETCH_DIR:-/tmp/virtdeck-libvirt}
SUITE=${DEBIAN_SUITE:-trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

. "$(dirname "$0")/debian-libvirt-source.sh"
debian_libvirt_init "$DIR" "$SUITE" "$MIRROR" binary
orig=$(debian_libvirt_orig "$DIR")
echo "== apt-get download libvirt-dev"
cd "$DIR/download"
rm -f libvirt-dev_*.deb
apt_private download libvirt-dev
deb=$(ls "$DIR"/download/libvirt-dev_*.deb 2>/dev/null | sort -V | tail -n 1)
[ -n "$deb" ] || { echo "fetch-sources: libvirt-dev was not downloaded" >&2; exit 1; }
orig_name=${orig##*/}
version=${orig_name#libvirt_}
version=${version%.orig.tar.*}

echo "== extracting libvirt $version"
rm -rf "$DIR/libvirt-$version" "$DIR/libvirt-dev"
# Upstream sources without Debian's patches (none of them touch the protocol files); only the
# files the generator reads.
tar -xf "$orig" -C "$DIR" \
    "libvirt-$version/meson.build" \
    "libvirt-$version/src/rpc" \
    "libvirt-$version/src/remote"
dpkg-deb -x "$deb" "$DIR/libvirt-dev"
ln -sfn "$DIR/libvirt-$version" "$DIR/src"
ln -sfn "$DIR/libvirt-dev/usr/share/libvirt/api" "$DIR/api"

for f in src/rpc/virnetprotocol.x src/rpc/virkeepaliveprotocol.x src/remote/remote_protocol.x \
    src/remote/qemu_protocol.x src/remote/lxc_protocol.x src/remote/remote_daemon_dispatch.c \
    src/remote/remote_driver.c; do
    [ -f "$DIR/src/$f" ] || { echo "fetch-sources: missing $f" >&2; exit 1; }
done
for f in libvirt-api.xml libvirt-qemu-api.xml; do
    [ -f "$DIR/api/$f" ] || { echo "fetch-sources: missing $f in libvirt-dev" >&2; exit 1; }
done

echo "== done: libvirt $version"
echo "LIBVIRT_SRC_DIR=$DIR/src"
echo "LIBVIRT_API_DIR=$DIR/api"
