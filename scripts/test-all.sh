#!/usr/bin/env bash
# README command 2 — the whole test suite against the real kernel and containerd:
#
#   sudo bash scripts/test-all.sh [vitest args…]
#
# Runs scripts/setup.sh (idempotent), then scripts/lint.sh (fails the suite on a
# violation), then `vitest run`; the output ends with vitest's summary line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
# Shape first: types, lint, layers, C/C++ format. A violation fails the suite.
printf '\n\033[1m[test-all]\033[0m npm run lint\n'
bash scripts/lint.sh
printf '\n\033[1m[test-all]\033[0m vitest run %s\n' "$*"
exec node_modules/.bin/vitest run "$@"
