#!/usr/bin/env bash
# npm run lint — the checks that keep the code's shape, each failing on a violation:
#   tsc --noEmit             types (strict)
#   eslint .                 typescript-eslint, type-aware (no floating promises, …)
#   depcruise lib            layers import only downward, no cycles (.dependency-cruiser.cjs)
#   clang-format --Werror    native/ and bpf/ formatted (.clang-format, bpf/.clang-format)
# Runs every check, then exits non-zero if any failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN=node_modules/.bin
failed=()
step() {
  local name="$1"
  shift
  printf '\033[1m[lint]\033[0m %s\n' "$name"
  if ! "$@"; then failed+=("$name"); fi
}
step 'tsc --noEmit' "$BIN/tsc" --noEmit -p .
step 'eslint' "$BIN/eslint" .
step 'layers (dependency-cruiser)' "$BIN/depcruise" lib --config .dependency-cruiser.cjs
if command -v clang-format > /dev/null; then
  step 'clang-format' clang-format --dry-run --Werror native/*.cc native/*.h bpf/*.c bpf/*.h
else
  echo "[lint] clang-format is not installed: sudo apt-get install clang-format (scripts/setup.sh installs it)" >&2
  failed+=('clang-format (missing)')
fi
if ((${#failed[@]} > 0)); then
  printf '\033[1m[lint]\033[0m FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
printf '\033[1m[lint]\033[0m all checks passed\n'
