#!/usr/bin/env bash
# HTTP server benchmark: `vivarium serve` vs the original design (Node 20 +
# one Pyodide instance per session, bench/baseline_server.mjs). Prints one
# comparison table and the targets; numbers are printed, not asserted.
# Env: VIVARIUM_SESSIONS (20), BASELINE_SESSIONS (5), DURATION (5 s).
set -euo pipefail

# Resolve everything from the script's location so it works from any cwd.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "server.sh: $*" >&2; exit 1; }
[[ -x "$ROOT/build/vivarium" ]] || die "missing $ROOT/build/vivarium (run 'make build' in $ROOT)"
[[ -f "$ROOT/assets/pyodide/pyodide.mjs" ]] || die "missing $ROOT/assets/pyodide/pyodide.mjs (run 'make setup' in $ROOT)"
for tool in node python3; do
  command -v "$tool" >/dev/null || die "'$tool' not found in PATH"
done

# exec: Ctrl-C and SIGTERM go straight to server.py, which stops both servers.
exec python3 "$ROOT/bench/server.py" "$@"
