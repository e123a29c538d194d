#!/usr/bin/env bash
# CPU benchmark: the same pure-Python workload (bench/cpu_loop.py) in
# vivarium and in Node 20 + the same Pyodide bundle, python3 for reference.
# The script times its own compute part, so start-up is excluded; we take
# the median over RUNS runs (default 5). Numbers are printed, not asserted.
set -euo pipefail

BENCH_NAME=cpu.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
VIVARIUM="$ROOT/build/vivarium"
WORKLOAD="$ROOT/bench/cpu_loop.py"
RUNS="${RUNS:-5}"

require_binary "$VIVARIUM"
require_assets
require_tools node

# Run "$@" RUNS times and print the compute_ms value of each run, one a line.
# A run that fails or prints no compute_ms line aborts the benchmark.
compute_times() {
  local out
  for _ in $(seq "$RUNS"); do
    out="$("$@")" || die "failed: $*"
    grep -o 'compute_ms=[0-9.]*' <<<"$out" | cut -d= -f2 | grep . \
      || die "no compute_ms line from: $*"
  done
}

# One untimed vivarium run first: after a cache change the first run
# compiles the wasm, and compute time could then include unoptimised code.
echo "warming vivarium's compile cache..." >&2
"$VIVARIUM" run -c "pass" >/dev/null

echo "running $(basename "$WORKLOAD") $RUNS times each..." >&2
viv="$(compute_times "$VIVARIUM" run "$WORKLOAD")"
node="$(compute_times node "$ROOT/bench/node_pyodide_run.mjs" "$WORKLOAD")"
py="$(compute_times python3 "$WORKLOAD")"

# Medians and the ratio, computed by python3 rather than in bash.
python3 - "$RUNS" "$viv" "$node" "$py" <<'PY'
import statistics, sys

runs, *samples = sys.argv[1:]
names = ["vivarium", "node+pyodide", "python3"]
med = {n: statistics.median(map(float, s.split())) for n, s in zip(names, samples)}
print(f"\nCPU workload (bench/cpu_loop.py), compute time only, {runs} runs each (ms)")
print(f"{'runtime':<14}{'median':>9}   samples")
for n, s in zip(names, samples):
    print(f"{n:<14}{med[n]:>9.1f}   {' '.join(s.split())}")
ratio = med["vivarium"] / med["node+pyodide"]
print(f"vivarium / node+pyodide = {ratio:.2f} (target <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})")
PY
