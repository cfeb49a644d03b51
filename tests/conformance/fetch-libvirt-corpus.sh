#!/bin/sh
# Fetches libvirt's schema-test corpus (the documents tests/virschematest.c checks against domain.rng)
# and the RELAX NG schemas they are checked against, from the upstream tarball of the Debian source
# package of the lab's libvirt (Debian 12, libvirt 9.0.0). Same approach as
# main/libvirt/protocol/codegen/fetch-sources.sh (both use debian-libvirt-source.sh there): a private apt configuration, the system's apt
# sources, lists and caches are not touched. Nothing of libvirt's is copied into the repository.
#
# Usage: tests/conformance/fetch-libvirt-corpus.sh
# Environment (all optional):
#   LIBVIRT_CORPUS_DIR  where to put everything          (default /tmp/virtdeck-libvirt-corpus)
#   DEBIAN_SUITE        Debian suite to take libvirt from (default bookworm → libvirt 9.0.0, the lab's)
#   DEBIAN_MIRROR       archive URL                       (default http://deb.debian.org/debian)
#
# Afterwards $LIBVIRT_CORPUS_DIR/src is the extracted tree (tests/virschematest.c, tests/*data,
# examples/xml, src/conf/schemas). Idempotent: does nothing when that tree is already complete.
set -eu

DIR=${LIBVIRT_CORPUS_DIR:-/tmp/virtdeck-libvirt-corpus}
SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# One fetch at a time (parallel test runs share the directory).
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
if [ -f "$DIR/src/.virtdeck-complete" ]; then
    echo "libvirt corpus already at $DIR/src"
    exit 0
fi

. "$(dirname "$0")/../../main/libvirt/protocol/codegen/debian-libvirt-source.sh"
debian_libvirt_init "$DIR" "$SUITE" "$MIRROR"
orig=$(debian_libvirt_orig "$DIR")
orig_name=${orig##*/}
version=${orig_name#libvirt_}
version=${version%.orig.tar.*}

echo "== extracting libvirt $version (schemas, schema tests, examples)"
rm -rf "$DIR/libvirt-$version"
tar -xf "$orig" -C "$DIR" \
    "libvirt-$version/src/conf/schemas" \
    "libvirt-$version/tests" \
    "libvirt-$version/examples/xml"
ln -sfn "$DIR/libvirt-$version" "$DIR/src"
for f in tests/virschematest.c src/conf/schemas/domain.rng; do
    [ -f "$DIR/src/$f" ] || { echo "fetch-libvirt-corpus: missing $f" >&2; exit 1; }
done
echo "$version" >"$DIR/src/.virtdeck-complete"
echo "== done: libvirt $version in $DIR/src"
