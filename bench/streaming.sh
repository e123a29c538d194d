#!/usr/bin/env bash
# Streaming benchmark (bench/streaming.py): first streamed byte after a print, and a
# streamed /exec against a plain one. Numbers are printed, not asserted. Env: RUNS (200).
set -euo pipefail
BENCH_NAME=streaming.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_binary "${VIVARIUM_BINARY:-$ROOT/build/vivarium}"
require_assets
exec python3 "$ROOT/bench/streaming.py" "$@"
