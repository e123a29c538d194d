#!/usr/bin/env bash
# What the MCP tests (tests/mcp) need: Node.js with npm, and the official MCP TypeScript
# SDK at the exact version of tests/mcp/package-lock.json, installed with `npm ci` into
# tests/mcp/node_modules (ignored by git). Idempotent: npm runs only when the lock file
# changed since the last install. Called by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup-mcp-tests: %s\n' "$*" >&2; }
die() { printf 'setup-mcp-tests: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/apt-install-missing.sh
. scripts/apt-install-missing.sh

# Not Debian's packages when a node is already there: nodesource's or nvm's would conflict
# (nodesource's nodejs carries its own npm).
packages=()
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
[ "${#packages[@]}" -eq 0 ] || apt_install_missing "${packages[@]}"
command -v node >/dev/null || die "node is not on PATH after installing ${packages[*]}"
command -v npm >/dev/null || die "npm is not on PATH after installing ${packages[*]}"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 18 ] || die "node $(node --version) is too old for the MCP SDK (>= 18); put Node.js 18 or newer on PATH"

dir=tests/mcp
stamp="$dir/node_modules/.vivarium-lock-sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
log "npm ci in $dir (the MCP SDK pinned by package-lock.json)"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in $dir failed (the npm registry is needed once)"
echo "$want" >"$stamp"
