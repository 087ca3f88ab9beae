#!/usr/bin/env bash
# Builds what users install without Swift, into dist/ (README "Install"):
#   dist/reload-broker-V-linux-ARCH.tar.gz       binary, man page, bash/zsh/fish completions, README, install.sh
#   dist/reload-broker_V_DEBARCH.deb             /usr/bin, man1, completions in Debian's places; Depends: libc6
#   dist/reload_broker-V-py3-none-manylinux_2_N_ARCH.whl   the binary on the venv's PATH (as ruff's wheel)
#
#   scripts/package.sh                  all three (scripts/check-packages.sh then tests them)
#   scripts/package.sh --tarball-only   just the tarball (scripts/install.sh uses it)
#   scripts/package.sh --skip-build     reuse the last static build in .build-static
#   scripts/package.sh --jobs N         build jobs (default 1: the machine is shared; CI passes nproc)
#
# The binary is a release build that needs only glibc at run time: Swift's standard library,
# FoundationEssentials, libdispatch (--static-swift-stdlib), libstdc++ and libgcc (BoringSSL in
# swift-crypto is C++), libuv, zlib and hiredis are all linked in. The normal build is untouched: the static
# archives are found through a private pkg-config folder (PKG_CONFIG_PATH, below) whose libuv.pc and
# zlib.pc point at a folder holding only .a files, so `-luv`, `-lz` and `-lstdc++` pick those.
# The version is the one the binary reports (BrokerVersion.swift); the glibc floor is read off the
# binary's symbol versions and names the wheel's manylinux tag and the .deb's Depends.
set -euo pipefail
cd "$(dirname "$0")/.."

tarball_only=false
skip_build=false
jobs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --tarball-only) tarball_only=true ;;
    --skip-build) skip_build=true ;;
    --jobs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "--jobs needs a number" >&2; exit 2; }; jobs=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
log() { echo "package: $*" >&2; }
fail() { echo "package: FAIL: $*" >&2; exit 1; }

scripts/ensure-deps.sh --package
SCRATCH=.build-static
DIST=dist
arch=$(uname -m)

# The private pkg-config folder: the same packages, static archives only.
deps=$PWD/$SCRATCH/static-deps
mkdir -p "$deps/lib" "$deps/pkgconfig"
libdir=$(pkg-config --variable=libdir libuv)
libuv_a=""
for candidate in "$libdir/libuv_a.a" "$libdir/libuv.a"; do
  [ -f "$candidate" ] && { libuv_a=$candidate; break; }
done
[ -n "$libuv_a" ] || fail "no static libuv (libuv_a.a or libuv.a) in $libdir; install libuv1-dev"
zlib_a="$(pkg-config --variable=libdir zlib)/libz.a"
[ -f "$zlib_a" ] || fail "no $zlib_a; install zlib1g-dev"
stdcxx_a=$(gcc -print-file-name=libstdc++.a)
[ -f "$stdcxx_a" ] || fail "no static libstdc++ (gcc -print-file-name=libstdc++.a); install libstdc++-12-dev"
hiredis_a="$libdir/libhiredis.a"
[ -f "$hiredis_a" ] || fail "no $hiredis_a; install libhiredis-dev"
ln -sfn "$libuv_a" "$deps/lib/libuv.a"
# -lhiredis (the cluster layer) finds this archive first: the folder is on the link's -L path.
ln -sfn "$hiredis_a" "$deps/lib/libhiredis.a"
ln -sfn "$zlib_a" "$deps/lib/libz.a"
ln -sfn "$stdcxx_a" "$deps/lib/libstdc++.a"
cat >"$deps/pkgconfig/libuv.pc" <<EOF
Name: libuv
Description: libuv, linked statically (scripts/package.sh)
Version: $(pkg-config --modversion libuv)
Libs: -L$deps/lib -luv -lpthread -ldl -lrt
Cflags: $(pkg-config --cflags libuv)
EOF
cat >"$deps/pkgconfig/zlib.pc" <<EOF
Name: zlib
Description: zlib, linked statically (scripts/package.sh)
Version: $(pkg-config --modversion zlib)
Libs: -L$deps/lib -lz
Cflags: $(pkg-config --cflags zlib)
EOF

if ! $skip_build; then
  log "static release build (the long part)…"
  start=$(date +%s)
  PKG_CONFIG_PATH="$deps/pkgconfig" nice -n 10 swift build -j "$jobs" -c release --static-swift-stdlib \
    --scratch-path "$SCRATCH" --product reload-broker \
    -Xswiftc -Xclang-linker -Xswiftc -static-libgcc 2>&1 | tail -3 >&2
  log "built in $(( $(date +%s) - start )) s"
fi
BIN="$SCRATCH/release/reload-broker"
[ -x "$BIN" ] || fail "no $BIN"

# Only glibc may stay dynamic.
needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
for lib in $needed; do
  case "$lib" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*.so.*) ;;
    *) fail "the binary needs $lib at run time (NEEDED: $needed)" ;;
  esac
done
if ldd "$BIN" | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libuv|libz\.|libhiredis|libstdc\+\+|libgcc_s|libicu'; then
  fail "ldd shows a library that should be linked in"
fi
version=$("$BIN" --version)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "the binary's --version printed \"$version\""
glibc=$(objdump -T "$BIN" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
[ -n "$glibc" ] || fail "no GLIBC_ symbol versions in the binary"
log "reload-broker $version, $(du -k "$BIN" | cut -f1) KiB, needs $needed(glibc >= $glibc)"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
stage=$SCRATCH/stage
rm -rf "$stage"
mkdir -p "$stage" "$DIST"

# The man page, from the same help text as --help (swift-argument-parser's generate-manual plugin
# runs the tool with --experimental-dump-help). The plugin builds the package in debug in .build,
# which the test suite builds anyway; the help text does not depend on the configuration.
log "man page (generate-manual plugin)…"
man_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
swift package -j "$jobs" plugin generate-manual --configuration debug --date "$man_date" 2>&1 | tail -1 >&2
man=$(find .build/plugins -path '*GenerateManual*' -name reload-broker.1 -newer "$stage" | head -1)
[ -n "$man" ] || fail "the generate-manual plugin wrote no reload-broker.1"
# The dump lists hidden commands too: drop the internal exec guard's entry (its nested list).
awk '/^\.It Em __exec-guard$/ { skip = 1; next } skip && /^\.El$/ { skip = 0; next } !skip' "$man" >"$stage/reload-broker.1"
grep -q '__exec-guard' "$stage/reload-broker.1" && fail "the man page still lists the internal __exec-guard"
grep -q 'Exit statuses' "$stage/reload-broker.1" || fail "the man page has no exit statuses"
mkdir -p "$stage/completions"
"$BIN" --generate-completion-script bash >"$stage/completions/reload-broker.bash"
"$BIN" --generate-completion-script zsh >"$stage/completions/_reload-broker"
"$BIN" --generate-completion-script fish >"$stage/completions/reload-broker.fish"
license=""
for candidate in LICENSE LICENSE.md LICENSE.txt COPYING; do
  [ -f "$candidate" ] && { license=$candidate; break; }
done
[ -n "$license" ] || log "note: the repository has no LICENSE file; the packages ship without one"

# Tarball.
name=reload-broker-$version-linux-$arch
tree=$stage/$name
mkdir -p "$tree"
install -m 755 "$BIN" "$tree/reload-broker"
strip "$tree/reload-broker"
install -m 644 "$stage/reload-broker.1" README.md "$tree/"
cp -r "$stage/completions" "$tree/"
install -m 755 scripts/install.sh "$tree/install.sh"
[ -n "$license" ] && install -m 644 "$license" "$tree/"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -C "$stage" -czf "$DIST/$name.tar.gz" "$name"
log "$DIST/$name.tar.gz"
$tarball_only && exit 0

# .deb: Debian's paths; Depends on glibc only.
case "$arch" in
  x86_64) debarch=amd64 ;;
  aarch64) debarch=arm64 ;;
  *) debarch=$(dpkg --print-architecture) ;;
esac
root=$stage/deb
install -D -m 755 "$tree/reload-broker" "$root/usr/bin/reload-broker"
install -d "$root/usr/share/man/man1"
gzip -9n <"$stage/reload-broker.1" >"$root/usr/share/man/man1/reload-broker.1.gz"
install -D -m 644 "$stage/completions/reload-broker.bash" "$root/usr/share/bash-completion/completions/reload-broker"
install -D -m 644 "$stage/completions/_reload-broker" "$root/usr/share/zsh/vendor-completions/_reload-broker"
install -D -m 644 "$stage/completions/reload-broker.fish" "$root/usr/share/fish/vendor_completions.d/reload-broker.fish"
install -d "$root/usr/share/doc/reload-broker"
gzip -9n <README.md >"$root/usr/share/doc/reload-broker/README.md.gz"
[ -n "$license" ] && install -m 644 "$license" "$root/usr/share/doc/reload-broker/copyright"
install -d "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<EOF
Package: reload-broker
Version: $version
Architecture: $debarch
Maintainer: reload-broker maintainers <maintainers@users.noreply.r-seed-a4d5ca46.example>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: libc6 (>= $glibc)
Section: web
Priority: optional
Description: browser live reload for any web app
 A small, fast live-reload server: it serves a folder (or stands in front of
 your app as a proxy), injects a reconnecting reload client into HTML pages,
 and reloads every open tab when files change or a trigger arrives.
 A single native binary with no runtime dependencies besides glibc.
EOF
dpkg-deb --root-owner-group -Zxz --build "$root" "$DIST/reload-broker_${version}_$debarch.deb" >/dev/null
log "$DIST/reload-broker_${version}_$debarch.deb"

# Wheel (scripts/build-wheel.py: a hand-built, reproducible zip; no build backend needed).
wheel_args=(--binary "$tree/reload-broker" --version "$version" --man "$stage/reload-broker.1"
  --readme README.md --out "$DIST" --platform "manylinux_${glibc//./_}_$arch")
[ -n "$license" ] && wheel_args+=(--license "$license")
python3 scripts/build-wheel.py "${wheel_args[@]}" |
  sed 's/^/package: /' >&2
