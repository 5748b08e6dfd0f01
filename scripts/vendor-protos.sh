#!/usr/bin/env bash
# Copy the containerd .proto files pakostii loads (and everything they import)
# from the Debian packages into the package's own proto/ dir, so npm users
# without golang-github-containerd-containerd-dev still have them.
# Run at packaging time. Usage: bash scripts/vendor-protos.sh [dest-dir]
# The root list must match PROTO_FILES in lib/containerd/protos.ts
# (test/containerd/client.test.ts checks that the vendored copy loads alone).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="${1:-proto}"
INCLUDE_DIRS=(
  /usr/share/gocode/src
  /usr/share/gocode/src/github.com/gogo/protobuf
  /usr/share/gocode/src/github.com/gogo/googleapis
)
API=github.com/containerd/containerd/api
ROOTS=()
for svc in containers content diff events images introspection leases snapshots tasks version; do
  ROOTS+=("$API/services/$svc/v1/$svc.proto")
done
ROOTS+=("$API/services/namespaces/v1/namespace.proto")
for ev in task container content image namespace snapshot; do
  ROOTS+=("$API/events/$ev.proto")
done

declare -A SEEN=()
find_proto() {
  local rel="$1" dir
  for dir in "${INCLUDE_DIRS[@]}"; do
    if [ -f "$dir/$rel" ]; then echo "$dir/$rel"; return 0; fi
  done
  return 1
}
copy_tree() {
  local rel="$1" src imp
  [ -n "${SEEN[$rel]:-}" ] && return 0
  SEEN[$rel]=1
  if ! src="$(find_proto "$rel")"; then
    # google/protobuf/* well-known types are bundled with protobufjs.
    case "$rel" in google/protobuf/*) return 0 ;; esac
    echo "vendor-protos: $rel not found in ${INCLUDE_DIRS[*]}" >&2
    echo "  install it: sudo apt-get install golang-github-containerd-containerd-dev" >&2
    exit 1
  fi
  mkdir -p "$DEST/$(dirname "$rel")"
  cp "$src" "$DEST/$rel"
  # import "x.proto"; / import weak "x.proto"; / import public "x.proto";
  while IFS= read -r imp; do
    copy_tree "$imp"
  done < <(sed -n -E 's/^[[:space:]]*import[[:space:]]+(weak[[:space:]]+|public[[:space:]]+)?"([^"]+)";.*/\2/p' "$src")
}
rm -rf "$DEST"
for rel in "${ROOTS[@]}"; do copy_tree "$rel"; done
echo "vendored $(find "$DEST" -name "*.proto" | wc -l) proto files into $DEST/"
