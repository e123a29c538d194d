#!/usr/bin/env bash
# Builds the vivarium image from the Containerfile and runs it as it is meant to run:
#   --cap-drop=ALL --security-opt no-new-privileges --read-only (tmpfs /tmp), as PID 1
# with no --init, the compile cache on a volume. Then it executes code over HTTP and
# checks that a session process has Seccomp: 2 and NoNewPrivs: 1. Not part of `make test`
# (it installs packages, builds an OS base and compiles vivarium: ~15 min the first time).
#
# No image registry is reachable from here, so the Debian 12 base is made locally with
# debootstrap from the apt mirror this machine is configured with (/etc/apt/sources.list
# and sources.list.d), and `podman import`ed as localhost/vivarium-base:bookworm. It is
# cached (the image, and its tarball in $cache), so reruns skip it. podman runs with runc:
# its default crun fails on this kind of machine (a kernel without the cgroup features
# crun wants); the build uses the host network, where podman's own may be unavailable.
#
# Usage: scripts/container-test.sh        (as root; rebuilds the image, reuses the base)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${VIVARIUM_CONTAINER_CACHE:-/var/cache/vivarium-container}"
base_image=localhost/vivarium-base:bookworm
image=localhost/vivarium:test
name=vivarium-container-test
podman=(podman --runtime runc)
log() { printf 'container-test: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run it as root (debootstrap, podman)"

# --- what it needs ---------------------------------------------------------------------
need=()
for p in podman runc debootstrap; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq >/dev/null
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then  # no service may start (exit 101: not allowed)
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy_added=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ "$policy_added" -eq 0 ] || rm -f /usr/sbin/policy-rc.d
fi

# --- the Debian 12 base, from the configured mirror ---------------------------------------
# The first URIs of a source that serves bookworm (deb822 .sources or one-line .list).
mirror_for() {  # $1: suite
  local suite="$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk -v s="$suite" 'BEGIN{RS=""} $0 ~ "Suites:[^\n]*[ ]" s "([ \n]|$)" {
      if (match($0, /URIs: *[^ \n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/URIs: */, "", u); print u; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }' "$f"
  done
}
if ! "${podman[@]}" image exists "$base_image"; then
  mkdir -p "$cache"
  if [ ! -s "$cache/base-bookworm.tar" ]; then
    mirror="$(mirror_for bookworm | head -1)"
    security="$(mirror_for bookworm-security | head -1)"
    [ -n "$mirror" ] || die "no apt source for bookworm in /etc/apt/sources.list(.d): cannot debootstrap"
    log "debootstrap bookworm (minbase) from $mirror"
    rootfs="$(mktemp -d /var/tmp/vivarium-rootfs.XXXXXX)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || die "debootstrap failed (see $cache/debootstrap.log)"
    {
      echo "deb $mirror bookworm main"
      echo "deb $mirror bookworm-updates main"
      [ -z "$security" ] || echo "deb $security bookworm-security main"
    } >"$rootfs/etc/apt/sources.list"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$cache/base-bookworm.tar.part" . && mv "$cache/base-bookworm.tar.part" "$cache/base-bookworm.tar"
    rm -rf "$rootfs"
  fi
  log "podman import $base_image"
  "${podman[@]}" import "$cache/base-bookworm.tar" "$base_image" >/dev/null
fi

# --- the image -----------------------------------------------------------------------------
# The context: the committed sources (git archive) plus the two things the set-up fetched
# once and checked (scripts/setup.sh): libnode 18 (.deps/libnode, from Debian packages)
# and the pinned Pyodide npm bundle (assets/pyodide, sha256 in scripts/pyodide.lock), so
# the build needs no npm registry. Debian packages come from the base's mirror.
[ -e "$root/.deps/libnode/usr/lib/x86_64-linux-gnu/libnode.so.108" ] || die "no .deps/libnode: run scripts/setup.sh first"
[ -e "$root/assets/pyodide/pyodide.asm.wasm" ] || die "no assets/pyodide: run scripts/setup.sh first"
context="$(mktemp -d /var/tmp/vivarium-context.XXXXXX)"
trap 'rm -rf "$context"; podman --runtime runc rm -f -t 5 "$name" >/dev/null 2>&1 || true' EXIT
git -C "$root" archive HEAD | tar -x -C "$context"
mkdir -p "$context/.deps" "$context/assets"
cp -a "$(readlink -f "$root/.deps/libnode")" "$context/.deps/libnode"
cp -a "$(readlink -f "$root/assets/pyodide")" "$context/assets/pyodide"
log "podman build $image (compiles vivarium: ~10 min on 2 cores)"
started=$(date +%s)
nice "${podman[@]}" build --network host --build-arg BASE="$base_image" --build-arg JOBS="${JOBS:-2}" \
  -t "$image" -f "$context/Containerfile" "$context" >"$cache/build.log" 2>&1 \
  || { tail -30 "$cache/build.log" >&2; die "podman build failed (log: $cache/build.log)"; }
log "built in $(($(date +%s) - started)) s"

# --- run it as it is meant to run ------------------------------------------------------------
"${podman[@]}" rm -f -t 5 "$name" >/dev/null 2>&1 || true
"${podman[@]}" volume create vivarium-cache >/dev/null 2>&1 || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Explicit ulimits: podman's defaults for root (nofile, nproc) are above what this
# machine's runc may set ("error setting rlimit type 7: operation not permitted"); lower
# limits are always allowed, and serve needs about --max-connections descriptors.
# On 0.0.0.0 serve needs API keys: one made by the image's own `keys new`, its line in a
# file mounted read-only.
keys_dir="$(mktemp -d /var/tmp/vivarium-keys.XXXXXX)"
trap 'rm -rf "$context" "$keys_dir"; podman --runtime runc rm -f -t 5 "$name" >/dev/null 2>&1 || true' EXIT
made=$("${podman[@]}" run --rm --ulimit nofile=16384:16384 --ulimit nproc=8192:8192 "$image" keys new container-test 2>/dev/null)
key=$(echo "$made" | sed -n 's/^key: *//p')
echo "$made" | sed -n 's/^line: *//p' >"$keys_dir/keys"
[ -n "$key" ] && [ -s "$keys_dir/keys" ] || die "keys new printed no key and line: $made"
chmod 755 "$keys_dir" && chmod 644 "$keys_dir/keys"
"${podman[@]}" run -d --name "$name" --cap-drop=ALL --security-opt no-new-privileges --read-only \
  --ulimit nofile=16384:16384 --ulimit nproc=8192:8192 --tmpfs /tmp -v vivarium-cache:/var/cache/vivarium \
  -v "$keys_dir:/etc/vivarium:ro" -e VIVARIUM_API_KEYS_FILE=/etc/vivarium/keys \
  -p "127.0.0.1:$port:8080" "$image" >/dev/null
for _ in $(seq 1 120); do
  "${podman[@]}" logs "$name" 2>&1 | grep -q "listening on" && break
  sleep 1
done
"${podman[@]}" logs "$name" 2>&1 | sed 's/^/  serve: /' >&2
"${podman[@]}" logs "$name" 2>&1 | grep -q "listening on" || die "serve did not start in the container"

unauthorized=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/exec?sessionId=ct" -d '{"code": "1"}')
[ "$unauthorized" = 401 ] || die "POST /exec without a key answered $unauthorized, not 401"
log "POST /exec without a key: 401"
reply=$(curl -sS -X POST "http://127.0.0.1:$port/exec?sessionId=ct" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $key" \
  -d '{"code": "import os, sys\nx = 6 * 7\nprint(x, sys.platform)"}')
log "POST /exec: $reply"
echo "$reply" | grep -q '"std_out":"42 emscripten\\n"' || die "unexpected reply from /exec"
# The session process: a child of the zygote (vivarium-zyg), named vivarium-ses... by
# session_main; its status from the host's /proc (container pids are host pids there).
pid1=$("${podman[@]}" inspect -f '{{.State.Pid}}' "$name")
log "serve is PID 1 in the container (host pid $pid1): $(grep -E '^NSpid' "/proc/$pid1/status" | tr -s '\t ' ' ')"
session_pid=""
zygote_pid=$(pgrep -P "$pid1" -x vivarium-zyg | head -1 || true)
[ -n "$zygote_pid" ] && session_pid=$(pgrep -P "$zygote_pid" | tail -1 || true)
[ -n "$session_pid" ] || die "no session process found under the zygote: $(ps -o pid,ppid,comm --ppid "$pid1" || true)"
status=$(grep -E '^(Name|Seccomp|NoNewPrivs|Uid|CapEff):' "/proc/$session_pid/status" | tr -s '\t' ' ')
log "session process $session_pid: $(echo "$status" | tr '\n' ';')"
echo "$status" | grep -q '^Seccomp: 2$' || die "the session process is not under a seccomp filter"
echo "$status" | grep -q '^NoNewPrivs: 1$' || die "the session process lacks no_new_privs"
check=$("${podman[@]}" exec "$name" vivarium sandbox-check 2>&1 || true)
echo "$check" | sed 's/^/  sandbox-check: /' >&2
echo "$check" | grep -qi "landlock" || die "sandbox-check says nothing of Landlock"
"${podman[@]}" stop -t 20 "$name" >/dev/null
code=$("${podman[@]}" inspect -f '{{.State.ExitCode}}' "$name")
log "podman stop (SIGTERM to PID 1): exit code $code"
[ "$code" -eq 0 ] || die "serve did not stop cleanly on SIGTERM"
log "image $image: $("${podman[@]}" image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
log "ok"
