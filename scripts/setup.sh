#!/usr/bin/env bash
# pakostii's single idempotent installer: a fresh Debian 12 / Ubuntu (as root,
# with apt and the npm registry reachable) to "ready to run the suites".
#
#   sudo bash scripts/setup.sh
#
# Steps, each skipped when already done (warm run: a few seconds):
#   1. apt packages (APT_PACKAGES below), without starting any daemon
#   2. containerd running (scripts/start-containerd.sh)
#   3. npm dependencies (npm ci), non-interactive
#   4. native addon built (npm's install step runs node-gyp-build; rebuilt here
#      when its sources are newer than the binary)
#   5. local test images imported into containerd (scripts/build-images.ts --import)
#
# Fails loudly: the first failing step stops the script with what to do.
# Environment: PAKOSTII_SKIP_IMAGES=1 skips step 5; PAKOSTII_SKIP_CONTAINERD=1 skips
# step 2 (scripts/test-all.sh with CI=true starts a private containerd instead).
set -euo pipefail

# ─── APT_PACKAGES ────────────────────────────────────────────────────────────
# Every Debian package a build, a run or a test suite needs. Other engineers:
# append here, one per line, with a short reason.
APT_PACKAGES=(
  containerd                            # container runtime driven over gRPC
  runc                                  # OCI runtime used by containerd's runc shim
  clang llvm                            # compile bpf/*.bpf.c to BPF objects
  libbpf-dev bpftool                    # BPF headers; bpftool generates the skeleton (and tests observe with it)
  libelf-dev zlib1g-dev                 # libbpf's dependencies
  golang-github-containerd-containerd-dev # containerd's .proto files (/usr/share/gocode/src)
  etcd-server etcd-client               # binaries baked into the local etcd test image
  redis-server redis-sentinel           # binaries baked into the local redis test image
  postgresql-15                         # binaries baked into the local postgres test image
  busybox-static                        # base layer of every local test image
  docker-registry                       # local registry for the image-pull tests
  iproute2 iptables nftables            # tests observe the kernel with `ip` (lib/ never runs them)
  dpkg-dev                              # `apt-get source` for the vendored libbpf/elfutils builds
  build-essential python3 pkg-config    # node-gyp: g++, make, python
  cmake                                 # cmake-js build of the addon (CMakeLists.txt), and the build test's source-list check
  clang-format                          # npm run lint: native/ and bpf/ formatting (.clang-format)
  ca-certificates                       # HTTPS to the npm registry
  git                                   # clones; vendoring scripts
  libc-bin                              # ldd (image builder, packaging test)
  util-linux                            # flock, setpriv, unshare, nsenter
  chromium                              # the run report's browser tests and bench (headless, driven by playwright-core)
  libcap2-bin                           # capsh (privilege tests)
  xz-utils                              # source package tarballs
  skopeo umoci                          # image tooling for the image tests
)

# Daemons Debian's postinst scripts would start; pakostii runs its own copies
# inside containers, so none may run on the host.
UNWANTED_DAEMONS=(redis-server redis-sentinel etcd docker-registry postgres)

NODE_MIN_MAJOR=20

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

started_at=$SECONDS
# Serialises npm installs/builds of this checkout. In the checkout, not a
# predictable /tmp path another user could create first (or point elsewhere).
NPM_LOCK="$ROOT/.npm-install.lock"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() {
  printf '\033[1;31m[setup] FAILED:\033[0m %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  hint: %s\n' "$2" >&2
  exit 1
}

# ─── 0. preconditions ────────────────────────────────────────────────────────
[ "$(id -u)" -eq 0 ] || die "setup must run as root (it installs packages and starts containerd)" \
  "run: sudo bash scripts/setup.sh"
command -v apt-get >/dev/null && command -v dpkg-query >/dev/null ||
  die "apt-get/dpkg not found: setup supports Debian 12 and Ubuntu" \
    "install the packages listed in APT_PACKAGES (scripts/setup.sh) with your distribution's tools"
command -v node >/dev/null || die "node is not installed" \
  "install Node.js ${NODE_MIN_MAJOR}+ (https://nodejs.org or NodeSource), then rerun"
command -v npm >/dev/null || die "npm is not installed" "install Node.js ${NODE_MIN_MAJOR}+ with npm, then rerun"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge "$NODE_MIN_MAJOR" ] || die "node $(node --version) is too old; pakostii needs ${NODE_MIN_MAJOR}+" \
  "install Node.js ${NODE_MIN_MAJOR}+ (Debian's nodejs package is 18)"

# ─── 1. apt packages ─────────────────────────────────────────────────────────
missing_packages() {
  # One dpkg-query for all (a call per package costs ~0.1 s each).
  local installed
  installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${APT_PACKAGES[@]}" 2>/dev/null | awk '$2 == "ii" { print $1 }' || true)"
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    grep -qxF "$pkg" <<<"$installed" || echo "$pkg"
  done
}

# Host processes only: the same binaries also run inside test containers,
# whose root is not "/".
running_daemons() {
  local d pid
  for d in "${UNWANTED_DAEMONS[@]}"; do
    for pid in $(pgrep -x "$d" || true); do
      [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = / ] && echo "$pid"
    done
  done
  return 0
}

POLICY_RC=/usr/sbin/policy-rc.d
OWN_POLICY=0
install_packages() {
  local -a missing=("$@")
  say "installing ${#missing[@]} apt package(s): ${missing[*]}"
  # policy-rc.d exit 101 = "action forbidden": invoke-rc.d and deb-systemd-invoke
  # then start no daemon from a postinst. Ours only if there was none.
  if [ ! -e "$POLICY_RC" ]; then
    printf '#!/bin/sh\n# written by pakostii scripts/setup.sh during apt-get install\nexit 101\n' >"$POLICY_RC"
    chmod 755 "$POLICY_RC"
    OWN_POLICY=1
    trap 'if [ "$OWN_POLICY" = 1 ]; then rm -f "$POLICY_RC"; fi' EXIT
    # Killed (Ctrl-C, TERM, a closed terminal) is an exit too: the EXIT trap removes our policy-rc.d.
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
  fi
  local before
  before="$(running_daemons | sort)"
  export DEBIAN_FRONTEND=noninteractive
  # Mirrors flake (Hash Sum mismatch while a mirror syncs, brief outages): retry.
  local attempt
  for attempt in 1 2 3; do
    apt-get update -q -o Acquire::Retries=3 && break
    [ "$attempt" -lt 3 ] || die "apt-get update failed 3 times" "check the network and /etc/apt/sources.list*"
    say "apt-get update failed (attempt $attempt of 3); retrying in $((attempt * 5)) s"
    sleep $((attempt * 5))
  done
  apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" ||
    die "apt-get install failed for: ${missing[*]}" \
      "on Ubuntu some names differ (bpftool: linux-tools-common); install the equivalents and rerun"
  if [ "$OWN_POLICY" = 1 ]; then rm -f "$POLICY_RC"; OWN_POLICY=0; fi
  # Belt and braces for init systems that ignore policy-rc.d: stop what the
  # install started (only processes that were not running before).
  local pid
  for pid in $(comm -13 <(echo "$before") <(running_daemons | sort)); do
    say "stopping $(cat /proc/"$pid"/comm 2>/dev/null || echo "pid $pid") started by apt-get (pid $pid)"
    kill "$pid" 2>/dev/null || true
  done
}

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -gt 0 ]; then
  install_packages "${missing[@]}"
  mapfile -t missing < <(missing_packages)
  [ "${#missing[@]}" -eq 0 ] || die "still missing after install: ${missing[*]}" "install them by hand and rerun"
else
  say "apt packages: all ${#APT_PACKAGES[@]} present"
fi

# ─── 2. containerd ───────────────────────────────────────────────────────────
if [ "${PAKOSTII_SKIP_CONTAINERD:-0}" = 1 ]; then
  say "containerd: not started (PAKOSTII_SKIP_CONTAINERD=1: the caller brings its own)"
else
  bash scripts/start-containerd.sh || die "containerd could not be started" \
    "see /var/log/pakostii-containerd.log; is another containerd using /run/containerd?"
  say "containerd: answering on ${PAKOSTII_CONTAINERD_SOCKET:-/run/containerd/containerd.sock}"
fi

# ─── 3. npm dependencies ─────────────────────────────────────────────────────
# node-gyp must never download headers (no internet but npm): use the running
# node's own headers when they are installed next to it.
node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_api.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

deps_fresh() {
  [ -d node_modules ] && [ -f node_modules/.package-lock.json ] &&
    [ ! package-lock.json -nt node_modules/.package-lock.json ] &&
    npm ls --depth=0 >/dev/null 2>&1
}

if deps_fresh; then
  say "npm dependencies: up to date"
else
  # flock: several engineers/CI jobs may share this checkout; concurrent
  # installs corrupt node_modules. --foreground-scripts shows the native build.
  if [ -f package-lock.json ]; then
    say "npm ci (dependencies and the native addon's install step)"
    flock "$NPM_LOCK" npm ci --no-audit --no-fund --foreground-scripts ||
      die "npm ci failed" "see the npm output above; a native build failure names the missing tool"
  else
    say "npm install (no package-lock.json)"
    flock "$NPM_LOCK" npm install --no-audit --no-fund --foreground-scripts ||
      die "npm install failed" "see the npm output above"
  fi
fi

# ─── 4. native addon ─────────────────────────────────────────────────────────
# npm's install step ran node-gyp-build; check that the addon really loads, and
# rebuild when its sources changed since (git pull, or another engineer's edit).
addon_path() {
  node -e 'process.stdout.write(require("node-gyp-build").resolve(process.argv[1]))' "$ROOT" 2>/dev/null
}
addon_loads() { node -e 'require("node-gyp-build")(process.argv[1])' "$ROOT" >/dev/null 2>&1; }

native_sources=()
for s in binding.gyp native bpf scripts/prepare-native.sh scripts/vendor-libbpf.sh; do
  [ -e "$s" ] && native_sources+=("$s")
done
if [ "${#native_sources[@]}" -gt 0 ]; then
  current="$(addon_path || true)"
  stale=""
  if [ -z "$current" ] || ! addon_loads; then
    stale="no loadable addon"
  # Also for a prebuild: in a checkout, a prebuilds/ left by `npm run prebuild`
  # is loaded when build/ is absent and must not shadow newer sources.
  elif [ -n "$(find "${native_sources[@]}" -newer "$current" -print -quit)" ]; then
    stale="sources newer than $current"
  fi
  if [ -n "$stale" ]; then
    say "native addon: building ($stale)"
    if node -e 'process.exit(require("./package.json").scripts?.["build:native"] ? 0 : 1)'; then
      flock "$NPM_LOCK" npm run --silent build:native || die "native addon build failed" \
        "see the compiler output above; scripts/setup.sh lists the apt packages the build needs"
    else
      node_modules/.bin/node-gyp rebuild || die "native addon build failed" "see the compiler output above"
    fi
    addon_loads || die "native addon still does not load after the build" \
      "run: node -e 'require(\"node-gyp-build\")(\".\")' to see the loader error"
  fi
  say "native addon: $(addon_path)"
else
  say "native addon: no native sources in this checkout (skipped)"
fi

# ─── 5. local test images ────────────────────────────────────────────────────
if [ "${PAKOSTII_SKIP_IMAGES:-0}" = 1 ]; then
  say "images: skipped (PAKOSTII_SKIP_IMAGES=1)"
elif [ -f scripts/build-images.ts ]; then
  # Reproducible builds: unchanged inputs are neither rebuilt nor re-imported.
  say "images: building and importing pakostii.local/* (no-op when up to date)"
  node_modules/.bin/tsx scripts/build-images.ts --import ||
    die "building/importing the local test images failed" "rerun: npx tsx scripts/build-images.ts --import --force"
fi

say "ready in $((SECONDS - started_at)) s"
