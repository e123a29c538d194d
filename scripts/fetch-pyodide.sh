#!/usr/bin/env bash
# Fetches the pinned Pyodide npm bundle (scripts/pyodide.lock) with `npm pack`, verifies
# its sha256 and unpacks the runtime files into assets/pyodide/. Does nothing when the
# folder already holds that exact, verified bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
die() { printf 'fetch-pyodide: error: %s\n' "$*" >&2; exit 1; }

# shellcheck disable=SC1091
. <(grep -E '^(package|version|sha256)=' scripts/pyodide.lock)
dest="$root/assets/pyodide"
stamp="$dest/.bundle-sha256"
files=(pyodide.mjs pyodide.asm.mjs pyodide.asm.wasm python_stdlib.zip pyodide-lock.json package.json)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sha256" ]; then
  complete=1
  for f in "${files[@]}"; do [ -s "$dest/$f" ] || complete=0; done
  [ "$complete" -eq 1 ] && exit 0
fi

command -v npm >/dev/null || die "npm is not installed (apt-get install npm, or Node.js with npm)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'fetch-pyodide: npm pack %s@%s\n' "$package" "$version" >&2
(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null) || die "npm pack $package@$version failed"
tarball="$tmp/$package-$version.tgz"
actual=$(sha256sum "$tarball" | cut -d' ' -f1)
[ "$actual" = "$sha256" ] || die "checksum mismatch for $package@$version: expected $sha256, got $actual (refusing to use it)"
tar -xzf "$tarball" -C "$tmp"
rm -rf "$dest"
mkdir -p "$dest"
for f in "${files[@]}"; do cp "$tmp/package/$f" "$dest/$f"; done
echo "$sha256" > "$stamp"
printf 'fetch-pyodide: %s@%s verified and unpacked into assets/pyodide/\n' "$package" "$version" >&2
