# Sourced (POSIX sh) by the scripts that need libvirt's upstream source from Debian's archive:
# main/libvirt/protocol/codegen/fetch-sources.sh (the protocol generator's inputs) and
# tests/conformance/fetch-libvirt-corpus.sh (the schema-test corpus). It uses a private apt
# configuration under $1 — the system's apt sources, lists and caches are never touched.
#
#   debian_libvirt_init DIR SUITE MIRROR [binary]   writes DIR/apt/sources.list (deb-src, and deb with
#                                                   "binary") and runs apt-get update on it
#   apt_private ARGS...                             apt-get with that private configuration
#   debian_libvirt_orig DIR                         downloads libvirt's orig tarball into DIR/download and
#                                                   prints its path (the .asc signature is never picked)

debian_libvirt_init() {
    _dl_dir=$1
    mkdir -p "$_dl_dir/apt/lists/partial" "$_dl_dir/apt/cache/archives/partial" "$_dl_dir/download"
    printf 'deb-src %s %s main\n' "$3" "$2" >"$_dl_dir/apt/sources.list"
    [ "${4:-}" = binary ] && printf 'deb %s %s main\n' "$3" "$2" >>"$_dl_dir/apt/sources.list"
    echo "== apt-get update ($2, private lists in $_dl_dir/apt)" >&2
    apt_private update >/dev/null
}

apt_private() {
    apt-get -q \
        -o Dir::Etc::SourceList="$_dl_dir/apt/sources.list" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$_dl_dir/apt/lists" \
        -o Dir::Cache="$_dl_dir/apt/cache" \
        -o APT::Sandbox::User=root \
        "$@"
}

debian_libvirt_orig() {
    (
        cd "$1/download"
        rm -f libvirt_*.orig.tar.* libvirt_*.dsc libvirt_*.debian.tar.*
        echo "== apt-get source --download-only libvirt" >&2
        # Only the upstream tarball is needed (Debian's patches touch neither the protocol files, the
        # schemas nor the test data). Some mirrors miss the .dsc/.asc of point releases, which makes
        # apt-get report an error although the tarball arrived: check for the tarball instead.
        apt_private source --download-only libvirt >/dev/null 2>&1 || true
        orig=$(ls libvirt_*.orig.tar.* 2>/dev/null | grep -v '\.asc$' | sort -V | tail -n 1)
        [ -n "$orig" ] || { echo "no libvirt orig tarball was downloaded" >&2; exit 1; }
        echo "$1/download/$orig"
    )
}
