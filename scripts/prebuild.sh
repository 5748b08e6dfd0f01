#!/usr/bin/env bash
# npm run prebuild (also runs first in `npm run build` and `npm pack`):
# puts the native addon into prebuilds/linux-x64/pakostii.node — the current
# build/Release one when it is up to date, else a fresh prebuildify --napi --strip — the binary node-gyp-build loads in an installed
# package (users need no compiler).
#
# Offline: node-gyp gets the running node's own headers (nodedir) instead of
# downloading them. binding.gyp's prepare_native action builds the vendored
# static libbpf/libelf and the BPF skeleton before the compile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_api.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi
[ -n "${npm_config_nodedir:-}" ] || echo "[prebuild] warning: no node headers next to $(command -v node); node-gyp will try to download them" >&2

# Reuse the addon `npm install`/`npm run build:native` already built when it is newer than every
# input (native/, bpf/, binding.gyp, the vendored static libraries): `npm pack` then does not
# compile it a second time. PAKOSTII_PREBUILD_REBUILD=1 forces prebuildify's own build.
built_addon=build/Release/pakostii.node
fresh_build() {
  [ -f "$built_addon" ] && [ -z "${PAKOSTII_PREBUILD_REBUILD:-}" ] || return 1
  [ -z "$(find native bpf binding.gyp vendor -newer "$built_addon" -type f -print -quit 2>/dev/null)" ]
}
rm -rf prebuilds
if fresh_build; then
  platform="$(node -p 'process.platform + "-" + process.arch')"
  mkdir -p "prebuilds/$platform"
  cp "$built_addon" "prebuilds/$platform/pakostii.node"
  strip --strip-unneeded "prebuilds/$platform/pakostii.node" 2>/dev/null || true
  echo "[prebuild] reusing $built_addon (newer than native/, bpf/, binding.gyp, vendor/)"
else
  # prebuildify's node-gyp devdir defaults to /tmp/prebuildify: a fixed path in a world-writable
  # directory, which another user could create first (with headers of their own, or as a symlink)
  # for a build that runs as root. A private directory of our own instead, removed afterwards.
  devdir="$(mktemp -d "${TMPDIR:-/tmp}/pakostii-prebuild.XXXXXX")"
  trap 'rm -rf "$devdir"' EXIT
  node_modules/.bin/prebuildify --napi --strip --cache "$devdir"
fi
shopt -s nullglob
built=(prebuilds/linux-*/*.node)
[ "${#built[@]}" -gt 0 ] || { echo "[prebuild] prebuildify produced no prebuilds/linux-*/*.node" >&2; exit 1; }
echo "[prebuild] ${built[*]} ($(du -h "${built[0]}" | cut -f1))"
