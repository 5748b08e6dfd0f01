#!/usr/bin/env bash
# Everything the native addon's compile step needs that is not C++ source:
#   1. vendored static libbpf/libelf (scripts/vendor-libbpf.sh; skipped when built)
#   2. build/bpf/<name>.bpf.o for every bpf/<name>.bpf.c (clang -target bpf)
#   3. build/gen/<name>.skel.h (bpftool gen skeleton), included by native/*.cc
# binding.gyp (action of target `prepare_native`) and CMakeLists.txt run this
# before compiling. Generated files live under build/ and are never committed.
# Incremental: an object is rebuilt only when its source or a bpf/ header is newer.
#
# `prepare-native.sh --build` (npm run build:native) runs `node-gyp rebuild`
# offline: node-gyp would download node's headers unless told where they are, so
# when npm has no nodedir configured and the running node has its headers next
# to it (/usr/include/node for a distro/nodesource node), it uses those.
set -euo pipefail

if [ "${1:-}" = "--build" ]; then
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cd "$ROOT"
  node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_api.h" ]; then
    export npm_config_nodedir="$node_prefix"
  fi
  gyp=(node node_modules/node-gyp/bin/node-gyp.js)
  [ -f node_modules/node-gyp/bin/node-gyp.js ] || gyp=(node-gyp)
  exec "${gyp[@]}" rebuild
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { echo "[prepare-native] $*" >&2; }
die() { echo "[prepare-native] error: $1" >&2; [ -n "${2:-}" ] && echo "  hint: $2" >&2; exit 1; }

bash scripts/vendor-libbpf.sh

CLANG="${CLANG:-clang}"
BPFTOOL="${BPFTOOL:-bpftool}"
command -v "$CLANG" >/dev/null || die "$CLANG not found" "apt-get install clang llvm (see scripts/setup.sh)"
command -v "$BPFTOOL" >/dev/null || die "$BPFTOOL not found" "apt-get install bpftool (see scripts/setup.sh)"

MULTIARCH="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
mkdir -p build/bpf build/gen

shopt -s nullglob
sources=(bpf/*.bpf.c)
headers=(bpf/*.h)
for src in "${sources[@]}"; do
  name="$(basename "$src" .bpf.c)"
  obj="build/bpf/$name.bpf.o"
  skel="build/gen/$name.skel.h"
  stale=""
  [ -f "$obj" ] && [ -f "$skel" ] || stale=1
  [ -n "$stale" ] || [ -z "$(find "$src" "${headers[@]}" vendor/STAMP -newer "$skel" -print -quit)" ] || stale=1
  [ -n "$stale" ] || continue
  say "clang -target bpf $src -> $obj"
  # -I/usr/include/<multiarch>: linux/types.h needs asm/types.h from there.
  "$CLANG" -O2 -g -target bpf -D__TARGET_ARCH_x86 \
    -I"/usr/include/$MULTIARCH" -Ibpf -Ivendor/libbpf/include \
    -c "$src" -o "$obj.tmp"
  mv "$obj.tmp" "$obj"
  say "bpftool gen skeleton $obj -> $skel"
  "$BPFTOOL" gen skeleton "$obj" name "${name//-/_}_bpf" >"$skel.tmp"
  mv "$skel.tmp" "$skel"
done
# The gyp action declares this file as its output, so make can tell it ran.
touch build/gen/.prepared
