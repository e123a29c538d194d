#!/usr/bin/env bash
# What packages cost (start-up, new sessions, memory per session) with and without a
# preload, and micropip's install time. Prints numbers; nothing is asserted.
# Env: RUNS (8), SESSIONS (10).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "packages.sh: $*" >&2; exit 1; }
[[ -x "$ROOT/build/vivarium" ]] || die "missing $ROOT/build/vivarium (run 'make build' in $ROOT)"
[[ -f "$ROOT/assets/pyodide/pyodide-lock.json" ]] || die "missing $ROOT/assets/pyodide (run 'make setup' in $ROOT)"
command -v python3 >/dev/null || die "'python3' not found in PATH"
exec python3 "$ROOT/bench/packages.py" "$@"
