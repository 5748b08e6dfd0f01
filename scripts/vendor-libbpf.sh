#!/usr/bin/env bash
# Builds the static, position-independent libbpf and libelf the native addon links.
#
# Why: Debian's libbpf.a is built -fPIE and its libelf.a is not PIC, so neither
# links into a shared .node. We rebuild both from Debian's own source packages
# (the versions bookworm ships), pinned by the sha256 of their upstream tarballs.
# Debian's own patches are not applied: libbpf has none, elfutils' only touch
# other architectures, tests and tools.
#
# Output (git-ignored):
#   vendor/libbpf/lib/libbpf.a        vendor/libbpf/include/bpf/*.h
#   vendor/elfutils/lib/libelf_pic.a  vendor/elfutils/include/{libelf,gelf,nlist}.h
#   vendor/STAMP                      pinned versions the outputs were built from
#
# The system's apt configuration is never touched: `apt-get source` runs with a
# private deb-src list and a private lists directory under vendor/.cache.
# Idempotent: does nothing when vendor/STAMP matches the pinned versions.
set -euo pipefail

LIBBPF_VERSION=1.1.2
LIBBPF_DEB_VERSION=1.1.2-0+deb12u1  # source versions carry no epoch
LIBBPF_ORIG=libbpf_1.1.2.orig.tar.gz
LIBBPF_SHA256=b50ab60637fb713db78aa98e6ca911ddf13c0799d498a1f6ec03ebffc7dca588
ELFUTILS_VERSION=0.188
ELFUTILS_DEB_VERSION=0.188-2.1
ELFUTILS_ORIG=elfutils_0.188.orig.tar.bz2
ELFUTILS_SHA256=fb8b0e8d0802005b9a309c60c1d8de32dd2951b56f0c3a3cb56d21ce01595dff
DEBIAN_MIRROR=${PAKOSTII_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SUITE=bookworm

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/vendor"
STAMP_TEXT="libbpf $LIBBPF_VERSION $LIBBPF_SHA256 elfutils $ELFUTILS_VERSION $ELFUTILS_SHA256 fPIC"
JOBS="$(nproc 2>/dev/null || echo 2)"

say() { echo "[vendor-libbpf] $*" >&2; }
die() { echo "[vendor-libbpf] error: $1" >&2; [ -n "${2:-}" ] && echo "  hint: $2" >&2; exit 1; }

outputs_present() {
  [ -f "$VENDOR/libbpf/lib/libbpf.a" ] && [ -f "$VENDOR/libbpf/include/bpf/libbpf.h" ] &&
    [ -f "$VENDOR/elfutils/lib/libelf_pic.a" ] && [ -f "$VENDOR/elfutils/include/libelf.h" ]
}

if outputs_present && [ "$(cat "$VENDOR/STAMP" 2>/dev/null)" = "$STAMP_TEXT" ]; then
  say "up to date (libbpf $LIBBPF_VERSION, elfutils $ELFUTILS_VERSION)"
  exit 0
fi

CACHE="$VENDOR/.cache"
WORK="$VENDOR/.work"
mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/archives/partial" "$CACHE/src"
rm -rf "$WORK" && mkdir -p "$WORK"

# ─── fetch the pinned source packages ──────────────────────────────────────
# The archive keyring verifies the Release file; sha256 pins verify the tarballs.
fetch_sources() {
  local list="$CACHE/apt/sources.list"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR $DEBIAN_SUITE main" >"$list"
  local opts=(
    -o "Dir::Etc::SourceList=$list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$CACHE/apt/lists"
    -o "Dir::Cache::Archives=$CACHE/apt/archives"
    -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1"
  )
  say "apt-get update (private deb-src list, $DEBIAN_MIRROR $DEBIAN_SUITE)"
  apt-get "${opts[@]}" -qq update || die "apt-get update of the private deb-src list failed" \
    "check network access to $DEBIAN_MIRROR (or set PAKOSTII_DEBIAN_MIRROR)"
  say "apt-get source --download-only libbpf=$LIBBPF_DEB_VERSION elfutils=$ELFUTILS_DEB_VERSION"
  (cd "$CACHE/src" && apt-get "${opts[@]}" -qq source --download-only \
    "libbpf=$LIBBPF_DEB_VERSION" "elfutils=$ELFUTILS_DEB_VERSION") ||
    die "apt-get source failed" "the pinned Debian versions may have left $DEBIAN_SUITE; update the pins in $0"
}

verify() { # file expected-sha256
  local actual
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$actual" = "$2" ] || die "sha256 mismatch for $(basename "$1"): got $actual, pinned $2" \
    "delete $CACHE/src and retry; if it persists, the archive changed: review before updating the pin"
}

if [ ! -f "$CACHE/src/$LIBBPF_ORIG" ] || [ ! -f "$CACHE/src/$ELFUTILS_ORIG" ]; then fetch_sources; fi
verify "$CACHE/src/$LIBBPF_ORIG" "$LIBBPF_SHA256"
verify "$CACHE/src/$ELFUTILS_ORIG" "$ELFUTILS_SHA256"

# ─── libbpf ────────────────────────────────────────────────────────────────
say "building libbpf $LIBBPF_VERSION (static, -fPIC)"
# OBJDIR must exist up front: with -j, libbpf's Makefile may write obj/libbpf.pc
# before any rule has created the directory ("Directory nonexistent").
mkdir -p "$WORK/libbpf/obj"
tar -xzf "$CACHE/src/$LIBBPF_ORIG" -C "$WORK/libbpf" --strip-components=1
rm -rf "$VENDOR/libbpf"
make -s -C "$WORK/libbpf/src" -j"$JOBS" BUILD_STATIC_ONLY=y EXTRA_CFLAGS="-fPIC -O2" \
  OBJDIR="$WORK/libbpf/obj" DESTDIR="$VENDOR/libbpf" PREFIX= LIBDIR=/lib INCLUDEDIR=/include \
  install install_headers >/dev/null

# ─── libelf (elfutils) ─────────────────────────────────────────────────────
say "building libelf from elfutils $ELFUTILS_VERSION (libelf_pic.a)"
mkdir -p "$WORK/elfutils"
tar -xjf "$CACHE/src/$ELFUTILS_ORIG" -C "$WORK/elfutils" --strip-components=1
(
  cd "$WORK/elfutils"
  ./configure -q --without-zstd --without-bzlib --without-lzma \
    --disable-debuginfod --disable-libdebuginfod >/dev/null
  make -s -C lib -j"$JOBS" >/dev/null
  make -s -C libelf -j"$JOBS" libelf_pic.a >/dev/null
)
rm -rf "$VENDOR/elfutils"
mkdir -p "$VENDOR/elfutils/lib" "$VENDOR/elfutils/include"
cp "$WORK/elfutils/libelf/libelf_pic.a" "$VENDOR/elfutils/lib/"
cp "$WORK/elfutils/libelf/"{libelf.h,gelf.h,nlist.h} "$VENDOR/elfutils/include/"

rm -rf "$WORK"
outputs_present || die "build finished but outputs are missing under $VENDOR" "rerun with bash -x $0"
echo "$STAMP_TEXT" >"$VENDOR/STAMP"
say "done: $VENDOR/libbpf/lib/libbpf.a, $VENDOR/elfutils/lib/libelf_pic.a"
