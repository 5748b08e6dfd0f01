#!/usr/bin/env bash
# A private containerd for hermetic runs (CI=true in scripts/test-all.sh): its
# own root, state, sockets and config in one fresh root-only directory, so a
# run starts like a freshly booted machine (no images, no containers, no
# leases) and never touches the host's containerd or its content.
#
#   dir="$(bash scripts/private-containerd.sh start)"   # prints the directory
#   # socket: $dir/containerd.sock, log: $dir/containerd.log
#   bash scripts/private-containerd.sh stop "$dir"
#
# `stop` removes everything `start` made, whatever state the run left: it
# kills and deletes the remaining tasks and containers, stops containerd,
# kills shims still serving this containerd (and what runs under them),
# removes their sockets, unmounts whatever is mounted under the directory and
# deletes it. It refuses a directory `start` did not make.
#
# Environment: PAKOSTII_PRIVATE_CONTAINERD_BASE (default /var/tmp) is where
# the directory is made; it must be on a filesystem overlayfs accepts as
# upper (not another overlay).
set -euo pipefail

MARKER=pakostii-private-containerd
say() { printf '\033[1m[private-containerd]\033[0m %s\n' "$*" >&2; }

start() {
  command -v containerd >/dev/null || { say "containerd is not installed (scripts/setup.sh installs it)"; exit 1; }
  local base="${PAKOSTII_PRIVATE_CONTAINERD_BASE:-/var/tmp}"
  local dir
  # mktemp -d: a fresh name, mode 0700, owned by root; nobody else can plant files in it.
  dir="$(mktemp -d "$base/pakostii-ci.XXXXXXXX")"
  chmod 0700 "$dir"
  echo "$MARKER" >"$dir/.marker"
  cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
# No CRI: nothing here needs Kubernetes' plugin, and it would set up CNI state.
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$dir/containerd.sock"

[ttrpc]
  address = "$dir/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
EOF
  # setsid: a Ctrl-C in the terminal must not stop containerd before the
  # suite's own teardown has removed its containers; `stop` ends it.
  setsid containerd --config "$dir/config.toml" >>"$dir/containerd.log" 2>&1 </dev/null &
  echo $! >"$dir/containerd.pid"
  for _ in $(seq 1 200); do
    if [ -S "$dir/containerd.sock" ] && timeout 5 ctr --address "$dir/containerd.sock" version >/dev/null 2>&1; then
      say "started (pid $(cat "$dir/containerd.pid"), socket $dir/containerd.sock)"
      echo "$dir"
      return 0
    fi
    kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null || break
    sleep 0.1
  done
  say "containerd did not come up; its log:"
  tail -30 "$dir/containerd.log" >&2 || true
  stop "$dir" || true
  exit 1
}

# Pids of processes whose argv contains "-address <sock>" as two words (the shims of this containerd).
shims_of() {
  local sock="$1" pid
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF -- "$sock" || continue
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF -- "-address" && echo "$pid"
  done
  return 0
}

descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    descendants "$child"
    echo "$child"
  done
}

# Paths of the unix sockets a process listens on (a shim's socket under /run/containerd/s).
socket_paths_of() {
  local pid="$1" inodes
  inodes="$(find "/proc/$pid/fd" -maxdepth 1 -lname 'socket:*' -printf '%l\n' 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort -u)"
  [ -n "$inodes" ] || return 0
  awk -v list="$inodes" 'BEGIN { n = split(list, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    NR > 1 && ($7 in want) && $8 ~ /^\// { print $8 }' /proc/net/unix | sort -u
}

# The value after flag $2 in process $1's argv.
arg_of() {
  tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | awk -v flag="$2" 'take { print; exit } $0 == flag { take = 1 }'
}

stop() {
  local dir="${1:-}"
  [ -n "$dir" ] && [ -d "$dir" ] || { say "stop: no such directory: ${dir:-<none>}"; return 0; }
  dir="$(cd "$dir" && pwd -P)"
  [ "$(cat "$dir/.marker" 2>/dev/null)" = "$MARKER" ] || { say "stop: $dir was not made by this script; refusing"; return 1; }
  local sock="$dir/containerd.sock"
  local ctr=(timeout 20 ctr --address "$sock")

  # 1. Tasks and containers the run left (normally none).
  if [ -S "$sock" ] && "${ctr[@]}" version >/dev/null 2>&1; then
    local ns id
    for ns in $("${ctr[@]}" namespaces ls -q 2>/dev/null); do
      for id in $("${ctr[@]}" -n "$ns" tasks ls -q 2>/dev/null); do
        say "left behind: task $ns/$id (killing)"
        "${ctr[@]}" -n "$ns" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
      done
      for id in $("${ctr[@]}" -n "$ns" tasks ls -q 2>/dev/null); do
        "${ctr[@]}" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
      done
      for id in $("${ctr[@]}" -n "$ns" containers ls -q 2>/dev/null); do
        "${ctr[@]}" -n "$ns" containers rm "$id" >/dev/null 2>&1 || true
      done
    done
  fi

  # 2. containerd itself.
  local pid
  pid="$(cat "$dir/containerd.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi

  # 3. Shims still serving it (their containers' processes first), and their sockets.
  local shim
  for shim in $(shims_of "$sock"); do
    say "left behind: shim pid $shim (killing it and its processes)"
    local sockets
    sockets="$(socket_paths_of "$shim" | grep '^/run/containerd/s/' || true)"
    local ns id
    ns="$(arg_of "$shim" -namespace)"
    id="$(arg_of "$shim" -id)"
    for pid in $(descendants "$shim"); do kill -KILL "$pid" 2>/dev/null || true; done
    kill -KILL "$shim" 2>/dev/null || true
    for s in $sockets; do rm -f -- "$s"; done
    # runc's record of the container (the shim would have deleted it).
    if [ -n "$ns" ] && [ -n "$id" ] && [ -d "/run/containerd/runc/$ns/$id" ]; then
      runc --root "/run/containerd/runc/$ns" delete --force "$id" >/dev/null 2>&1 || rm -rf -- "/run/containerd/runc/$ns/$id"
    fi
  done

  # 4. Mounts under the directory (rootfs overlays, shm), deepest first.
  local mounts
  mounts="$(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)"
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"; done

  rm -rf --one-file-system -- "$dir"
  say "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: private-containerd.sh start | stop <dir>" >&2; exit 2 ;;
esac
