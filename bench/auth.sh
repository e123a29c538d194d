#!/usr/bin/env bash
# Authentication benchmark (bench/auth.py): a warm /exec without keys, with keys, and
# with keys and the rate limit, in one run. Numbers are printed, not asserted. Env: RUNS (300).
set -euo pipefail
BENCH_NAME=auth.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_binary "${VIVARIUM_BINARY:-$ROOT/build/vivarium}"
require_assets
exec python3 "$ROOT/bench/auth.py" "$@"
