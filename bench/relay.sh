#!/usr/bin/env bash
# What the stdio relay of `vivarium run` costs (docs/run-relay.md): start-up of
# `run -c 'print(1)'`, and 100 MiB of stdout through the relay into a pipe (`| cat`)
# and into /dev/null, for one binary or two side by side (BEFORE=path/to/old/vivarium,
# e.g. a build of the commit before the relay). The two binaries alternate run by run,
# so that a change in the machine's load hits both alike. Prints medians in ms, and the
# CPU time (user + sys, all processes) per run; asserts nothing. RUNS=N sets the runs (10).
set -euo pipefail

BENCH_NAME=relay.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
AFTER="${AFTER:-$ROOT/build/vivarium}"
BEFORE="${BEFORE:-}"
RUNS="${RUNS:-10}"

require_binary "$AFTER"
[[ -z "$BEFORE" || -x "$BEFORE" ]] || die "BEFORE=$BEFORE is not an executable"

args=()
[[ -n "$BEFORE" ]] && args+=("before=$BEFORE")
args+=("after=$AFTER")

"$PYTHON" - "$RUNS" "${args[@]}" <<'PY'
import os, shlex, statistics, subprocess, sys, time

runs = int(sys.argv[1])
binaries = [arg.split("=", 1) for arg in sys.argv[2:]]
bulk = "import sys\nblock = b'x' * (1 << 20)\nfor _ in range(100): sys.stdout.buffer.write(block)"
cases = {
    "print(1)": lambda b: f"{shlex.quote(b)} run -c 'print(1)' >/dev/null",
    "100 MiB | cat": lambda b: f"{shlex.quote(b)} run -c {shlex.quote(bulk)} | cat >/dev/null",
    "100 MiB >/dev/null": lambda b: f"{shlex.quote(b)} run -c {shlex.quote(bulk)} >/dev/null",
}


def timed(command):
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall * 1000, cpu * 1000


print(f"{'case':<20}{'binary':<8}{'median ms':>11}{'min ms':>9}{'cpu ms':>9}")
for case, make in cases.items():
    for _, binary in binaries:
        subprocess.run(make(binary), shell=True, check=True)  # warm caches
    samples = {name: [] for name, _ in binaries}
    for _ in range(runs):
        for name, binary in binaries:
            samples[name].append(timed(make(binary)))
    for name, _ in binaries:
        walls = [w for w, _ in samples[name]]
        cpus = [c for _, c in samples[name]]
        print(f"{case:<20}{name:<8}{statistics.median(walls):>11.1f}{min(walls):>9.1f}{statistics.median(cpus):>9.1f}")
PY
