#!/usr/bin/env bash
# What packages cost (start-up, new sessions, memory per session) with and without a
# preload, and micropip's install time. Prints numbers; nothing is asserted.
# Env: RUNS (8), SESSIONS (10).
set -euo pipefail

BENCH_NAME=packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_binary "$ROOT/build/vivarium"
require_assets
exec python3 "$ROOT/bench/packages.py" "$@"
