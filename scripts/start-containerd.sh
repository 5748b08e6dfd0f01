#!/usr/bin/env bash
# Start containerd in the background unless it already answers on its socket.
# Idempotent. Used by scripts/setup.sh and by the test suites' global setup.
set -euo pipefail
SOCK="${PAKOSTII_CONTAINERD_SOCKET:-/run/containerd/containerd.sock}"
LOG="${PAKOSTII_CONTAINERD_LOG:-/var/log/pakostii-containerd.log}"

answers() { [ -S "$SOCK" ] && timeout 5 ctr --address "$SOCK" version >/dev/null 2>&1; }

if answers; then exit 0; fi
command -v containerd >/dev/null || { echo "containerd is not installed (apt-get install containerd runc)" >&2; exit 1; }
# setsid + nohup: containerd must outlive this script and the shell that ran it.
setsid nohup containerd --address "$SOCK" >>"$LOG" 2>&1 </dev/null &
for _ in $(seq 1 100); do
  if answers; then echo "containerd started (log: $LOG)"; exit 0; fi
  sleep 0.1
done
echo "containerd did not come up within 10 s; see $LOG" >&2
tail -20 "$LOG" >&2 || true
exit 1
