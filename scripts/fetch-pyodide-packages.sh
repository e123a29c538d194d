#!/usr/bin/env bash
# Fetches the official package distribution of the Pyodide release pinned in
# scripts/pyodide.lock (numpy, pandas, matplotlib, ... as wheels) for machines with
# internet access, and unpacks its wheels and pyodide-lock.json into assets/packages/
# (or $1).
#
# Trust: the release's lock file must equal the one of the npm bundle that set-up
# already verified against scripts/pyodide.lock, and every wheel must match that lock's
# sha256 (vivarium checks again whenever it loads one).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
die() { printf 'fetch-pyodide-packages: %s\n' "$*" >&2; exit 1; }

. <(grep -E '^version=' scripts/pyodide.lock)
dest="${1:-$root/assets/packages}"
bundle_lock="$root/assets/pyodide/pyodide-lock.json"
url="https://github.com/pyodide/pyodide/releases/download/${version}/pyodide-${version}.tar.bz2"
[ -f "$bundle_lock" ] || die "run 'make setup' first: $bundle_lock is missing"
if [ -f "$dest/.complete" ]; then
  printf 'fetch-pyodide-packages: %s already holds the distribution\n' "$dest" >&2
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'fetch-pyodide-packages: downloading %s (about 400 MB)\n' "$url" >&2
if ! curl --fail --location --silent --show-error --connect-timeout 20 -o "$tmp/dist.tar.bz2" "$url" 2>"$tmp/curl.err"; then
  die "cannot download the Pyodide package distribution from $url ($(tr -d '\n' < "$tmp/curl.err")). Without it vivarium runs with the standard library only; on a machine with internet access run 'make packages', or copy a folder of Pyodide wheels with its pyodide-lock.json into $dest (or point --packages-dir / VIVARIUM_PACKAGES_DIR at it)."
fi
tar -xjf "$tmp/dist.tar.bz2" -C "$tmp"
release="$tmp/pyodide"
cmp -s "$release/pyodide-lock.json" "$bundle_lock" \
  || die "the release's pyodide-lock.json differs from the verified npm bundle's: refusing it"
python3 - "$release" "$bundle_lock" <<'PY' || die "a wheel of the release fails its sha256 check: refusing it"
import hashlib, json, pathlib, sys
release, lock = pathlib.Path(sys.argv[1]), json.load(open(sys.argv[2]))
bad = [p["file_name"] for p in lock["packages"].values()
       if (release / p["file_name"]).exists()
       and hashlib.sha256((release / p["file_name"]).read_bytes()).hexdigest() != p["sha256"]]
if bad:
    print("sha256 mismatch:", ", ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
mkdir -p "$dest"
cp "$release/pyodide-lock.json" "$dest/"
find "$release" -maxdepth 1 \( -name '*.whl' -o -name '*.zip' -o -name '*.tar' \) -exec cp {} "$dest/" \;
touch "$dest/.complete"
printf 'fetch-pyodide-packages: %s wheels verified and unpacked into %s\n' "$(find "$dest" -name '*.whl' | wc -l)" "$dest" >&2
