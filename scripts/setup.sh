#!/usr/bin/env bash
# Prepares a Debian 12 machine to build and run vivarium. Idempotent: every step checks
# first and does nothing when its result is already in place.
#   1. Debian -dev packages the build needs (apt-get, only the missing ones).
#   2. V8 from Debian's libnode108 + libnode-dev 18.20.4, unpacked into .deps/libnode with
#      dpkg -x, so it works even where the conflicting `nodejs` package is installed.
#   3. The pinned Pyodide npm bundle, checked against scripts/pyodide.lock, unpacked into
#      assets/pyodide/.
#   4. Node.js and the pinned npm packages of the tests run with node: the MCP SDK, an
#      OpenAPI validator (scripts/setup-node-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- 1. Debian packages -------------------------------------------------------------
packages=(
  build-essential cmake pkg-config
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libgtest-dev libgmock-dev
  libseccomp-dev libssl-dev curl clang-format
  # tests/http/terrarium_client_test.py calls POST / with requests, as cohere-toolkit does
  python3-requests
  # GET /metrics renders with prometheus-cpp; tests/metrics runs a real Prometheus and
  # promtool (its service is never started: see the install below)
  prometheus-cpp-dev prometheus
  # tests/deploy/nginx_test.py runs its own nginx (3 instances behind deploy/nginx/vivarium.conf)
  nginx
  # libnode108's own runtime dependencies (it is unpacked by hand, so apt does not
  # pull them in for us)
  libuv1 libicu72 libc-ares2 libnghttp2-14 libbrotli1 libssl3 zlib1g
)
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
}
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  log "installing ${missing[*]}"
  # Packages with a service (prometheus, nginx) must not start it: tests start their own on free
  # ports. A policy-rc.d that exits 101 forbids it during the install, and goes after
  # (unless it was there before).
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" -eq 1 ] || printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
  as_root chmod +x "$policy"
  status=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || status=$?
  [ "$had_policy" -eq 1 ] || as_root rm -f "$policy"
  [ "$status" -eq 0 ] || die "apt-get install ${missing[*]} failed"
fi

# --- 2. V8 from libnode 18.20.4 -----------------------------------------------------
libnode_version_prefix="18.20.4+dfsg"
libnode_dir="$root/.deps/libnode"
libnode_stamp="$libnode_dir/.complete"
if [ ! -f "$libnode_stamp" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  apt_update_once
  for pkg in libnode108 libnode-dev; do
    # Pick the newest available 18.20.4 build (security updates keep the version prefix).
    version=$(apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /,"",$2); print $2}' \
      | grep "^${libnode_version_prefix}" | head -n 1 || true)
    [ -n "$version" ] || die "no $pkg ${libnode_version_prefix}* in the apt sources (Debian 12 bookworm main/security needed)"
    log "downloading $pkg=$version"
    (cd "$tmp" && apt-get download -qq "$pkg=$version" 2>/dev/null) \
      || die "apt-get download $pkg=$version failed"
  done
  rm -rf "$libnode_dir"
  mkdir -p "$libnode_dir"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$libnode_dir"; done
  grep -q '#define V8_MINOR_VERSION 2' "$libnode_dir/usr/include/node/v8-version.h" \
    || die "unpacked libnode-dev does not carry V8 10.2 headers"
  touch "$libnode_stamp"
  rm -rf "$tmp"
  trap - EXIT
fi

# --- 3. Pyodide ---------------------------------------------------------------------
"$root/scripts/fetch-pyodide.sh"

# --- 4. The MCP tests' client --------------------------------------------------------
"$root/scripts/setup-node-tests.sh"
