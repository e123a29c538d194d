#!/usr/bin/env bash
# What the tests run with Node.js need: node with npm, and in each folder below the npm
# packages at the exact versions of its package-lock.json, installed with `npm ci` into
# its node_modules (ignored by git):
#   tests/mcp      the official MCP TypeScript SDK, as the client of vivarium's MCP server
#   tests/openapi  Redocly CLI (the OpenAPI validator) and Ajv, for docs/openapi.json
# Idempotent: npm runs only in a folder whose lock file changed since its last install.
# Called by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup-node-tests: %s\n' "$*" >&2; }
die() { printf 'setup-node-tests: error: %s\n' "$*" >&2; exit 1; }
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
[ "$major" -ge 18 ] || die "node $(node --version) is too old for the tests run with node (>= 18); put Node.js 18 or newer on PATH"

for dir in tests/mcp tests/openapi; do
  stamp="$dir/node_modules/.vivarium-lock-sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    continue
  fi
  log "npm ci in $dir (the versions pinned by its package-lock.json)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in $dir failed (the npm registry is needed once)"
  echo "$want" >"$stamp"
done
