#!/usr/bin/env bash
# README command 1 — from a fresh clone to the getting-started demo:
#
#   sudo bash scripts/quickstart.sh
#
# Runs scripts/setup.sh (idempotent), then `npm run demo`: a 3-node etcd
# cluster, etcd1 isolated in az1, a write through the majority, then a
# serializable read from etcd1. The demo *test* fails by design with
#   expected value 'baz', got 'bar'
# (the stale read the guide sets out to show), so `npm run demo` exits 1.
#
# This script's own exit status tells success from a real failure:
#   0  the demo failed exactly as intended (stale read observed)
#   2  the demo passed: no stale read, so the isolation did not take effect
#   other  setup or the demo broke for a real reason (see the output)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

EXPECTED="expected value 'baz', got 'bar'"
log="$(mktemp /tmp/pakostii-quickstart.XXXXXX.log)"
trap 'rm -f "$log"' EXIT

printf '\n\033[1m[quickstart]\033[0m npm run demo (expected to end with: test failed … %s)\n\n' "$EXPECTED"
set +e
# tee makes stdout a pipe, which would switch the run's log to JSON lines: ask
# for the human format (PAKOSTII_LOG_FORMAT=json still wins when set).
PAKOSTII_LOG_FORMAT="${PAKOSTII_LOG_FORMAT:-pretty}" npm run --silent demo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo
if [ "$status" -eq 1 ] && grep -qF "$EXPECTED" "$log"; then
  echo "[quickstart] OK: the demo exited 1 by design — etcd1, cut off in az1, served the stale value 'bar'"
  artifacts="$(grep -oE '\.pakostii/etcd_stale_read-[a-z0-9]+' "$log" | tail -1 || true)"
  echo "[quickstart]     to a serializable read after the majority wrote 'baz'. Logs: ${artifacts:-.pakostii/etcd_stale_read-<id>}/logs/"
  echo "[quickstart]     Next: sudo bash scripts/test-all.sh"
  exit 0
elif [ "$status" -eq 0 ]; then
  echo "[quickstart] UNEXPECTED: the demo passed, so no stale read was seen: the az1 isolation did not take effect." >&2
  echo "[quickstart]     run: npx tsx lib/cli/main.ts doctor   (BPF/XDP check)" >&2
  exit 2
else
  echo "[quickstart] FAILED: the demo exited $status without the intended stale read ($EXPECTED)." >&2
  echo "[quickstart]     This is a real failure; see the output above, then run: npx tsx lib/cli/main.ts doctor" >&2
  exit "$status"
fi
