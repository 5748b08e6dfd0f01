#!/usr/bin/env bash
# npm run prebuild (also runs first in `npm run build` and `npm pack`):
# builds the native addon into prebuilds/linux-x64/pakostii.node with
# prebuildify --napi --strip, the binary node-gyp-build loads in an installed
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

rm -rf prebuilds
node_modules/.bin/prebuildify --napi --strip
shopt -s nullglob
built=(prebuilds/linux-*/*.node)
[ "${#built[@]}" -gt 0 ] || { echo "[prebuild] prebuildify produced no prebuilds/linux-*/*.node" >&2; exit 1; }
echo "[prebuild] ${built[*]} ($(du -h "${built[0]}" | cut -f1))"
