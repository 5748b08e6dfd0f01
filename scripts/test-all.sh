#!/usr/bin/env bash
# README command 2 — the whole test suite against the real kernel and containerd:
#
#   sudo bash scripts/test-all.sh [vitest args…]
#
# Runs scripts/setup.sh (idempotent), then scripts/lint.sh (types, eslint,
# layers, C/C++ format: a violation fails the suite), then `vitest run`; the
# output ends with vitest's summary line and the exit status is vitest's.
#
# With CI=true (CI's `bash .ci/run`) the run is hermetic, as on a freshly
# booted machine: the suite runs against a private containerd started here
# (scripts/private-containerd.sh: own root, state, sockets and config in a
# fresh root-only directory; no images, no containers) and an empty pakostii
# state dir inside that directory. Both are removed at the end on every path
# (pass, failure, Ctrl-C, TERM), with any shim and mount left behind.
# Everything the suite needs must therefore be made by the repository:
#   - apt packages (a browser, a database server…): scripts/setup.sh APT_PACKAGES
#   - container images: a recipe in scripts/build-images.ts (imported below and
#     by the suites' global setup; test/reliability/image-references.test.ts
#     checks every image a test names is built there or by the test itself)
#   - any other fixture: the test that needs it, in its own setup.
# Tests and helpers must reach containerd through PAKOSTII_CONTAINERD_SOCKET
# (the library's default follows it; `ctr` follows CONTAINERD_ADDRESS, set
# here too) and keep state under PAKOSTII_STATE_DIR: never hard-code
# /run/containerd/containerd.sock or /run/pakostii.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

case "${CI:-}" in
  true | 1 | yes) hermetic=1 ;;
  *) hermetic=0 ;;
esac

lint() {
  printf '\n\033[1m[test-all]\033[0m npm run lint\n'
  bash scripts/lint.sh
}

if [ "$hermetic" = 0 ]; then
  bash scripts/setup.sh
  lint
  printf '\n\033[1m[test-all]\033[0m vitest run %s\n' "$*"
  exec node_modules/.bin/vitest run "$@"
fi

PAKOSTII_SKIP_CONTAINERD=1 PAKOSTII_SKIP_IMAGES=1 bash scripts/setup.sh
lint

private_dir=""
stop_private() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$private_dir" ]; then bash scripts/private-containerd.sh stop "$private_dir" || status=1; fi
  exit "$status"
}
trap stop_private EXIT
# A signal ends this script through the EXIT trap (vitest, in the same process
# group, gets the signal too and tears its runs down first).
trap 'exit 130' INT
trap 'exit 143' TERM

private_dir="$(bash scripts/private-containerd.sh start)"
export PAKOSTII_CONTAINERD_SOCKET="$private_dir/containerd.sock"
export CONTAINERD_ADDRESS="$PAKOSTII_CONTAINERD_SOCKET"
# Not created yet: the library makes it on first use, as on a fresh boot.
export PAKOSTII_STATE_DIR="$private_dir/pakostii"
printf '\033[1m[test-all]\033[0m hermetic (CI=%s): containerd %s, state dir %s\n' "$CI" "$PAKOSTII_CONTAINERD_SOCKET" "$PAKOSTII_STATE_DIR"

node_modules/.bin/tsx scripts/build-images.ts --import
printf '\n\033[1m[test-all]\033[0m vitest run %s\n' "$*"
set +e
node_modules/.bin/vitest run "$@"
status=$?
set -e
exit "$status"
