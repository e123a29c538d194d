#!/usr/bin/env bash
# Start-up benchmark: wall time of printing 1 in vivarium (warm on-disk
# caches), native python3, and Node 20 + the same Pyodide bundle.
# Numbers are printed, not asserted. RUNS=N overrides the run count (10).
set -euo pipefail

BENCH_NAME=startup.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
VIVARIUM="$ROOT/build/vivarium"
RUNS="${RUNS:-10}"

require_binary "$VIVARIUM"
require_assets
require_tools hyperfine node

# The first run after a cache change compiles the wasm (~11 s); do it once
# here so that every timed run measures the warm-cache start-up.
echo "warming vivarium's compile cache..." >&2
"$VIVARIUM" run -c "print(1)" >/dev/null

JSON="$(mktemp "${TMPDIR:-/tmp}/vivarium-startup.XXXXXX.json")"
trap 'rm -f "$JSON"' EXIT

hyperfine --warmup 1 --runs "$RUNS" --style basic --export-json "$JSON" \
  -n vivarium "$(printf '%q run -c "print(1)"' "$VIVARIUM")" \
  -n python3 "$(printf '%q -c "print(1)"' "$PYTHON")" \
  -n node+pyodide "$(printf 'node %q' "$ROOT/bench/node_pyodide_print.mjs")" \
  >&2

# Summarise hyperfine's JSON (seconds) as a compact table in milliseconds.
"$PYTHON" - "$JSON" "$RUNS" <<'PY'
import json, sys

results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
py, node = results["python3"]["median"], results["node+pyodide"]["median"]
print(f"\nstart-up, print(1), {sys.argv[2]} runs each (ms)")
print(f"{'command':<14}{'median':>9}{'min':>9}{'max':>9}{'stddev':>9}{'x python3':>11}{'x node':>8}")
for name, r in results.items():
    ms = lambda k: (r[k] or 0) * 1000
    print(f"{name:<14}{ms('median'):>9.1f}{ms('min'):>9.1f}{ms('max'):>9.1f}{ms('stddev'):>9.1f}"
          f"{r['median'] / py:>11.2f}{r['median'] / node:>8.2f}")
viv = results["vivarium"]["median"] * 1000
print(f"target: vivarium median under 1000 ms -> {viv:.0f} ms ({'met' if viv < 1000 else 'NOT met'})")
PY
