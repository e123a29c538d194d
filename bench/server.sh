#!/usr/bin/env bash
# HTTP server benchmark: `vivarium serve` vs the original design (Node 20 +
# one Pyodide instance per session, bench/baseline_server.mjs). Prints one
# comparison table and the targets; numbers are printed, not asserted.
# Env: VIVARIUM_SESSIONS (20), BASELINE_SESSIONS (5), DURATION (5 s).
set -euo pipefail

BENCH_NAME=server.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_binary "${VIVARIUM_BINARY:-$ROOT/build/vivarium}"
require_assets
require_tools node

# exec: Ctrl-C and SIGTERM go straight to server.py, which stops both servers.
exec python3 "$ROOT/bench/server.py" "$@"
