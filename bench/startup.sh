#!/usr/bin/env bash
# Start-up benchmark, side by side in one run (hyperfine, warm on-disk caches):
#   run (warm zygote)     vivarium run -c 'print(1)' handed to the user's running zygote
#   run (starts zygote)   the same with no zygote running (--prepare 'vivarium daemon stop')
#   run --no-daemon       the in-process run
#   baseline              BASELINE_VIVARIUM=path/to/older/vivarium, in-process (optional)
#   python3, node+pyodide python3 -c 'print(1)'; Node loading the same Pyodide bundle
# then a batch of BATCH (100) runs of `run -c pass` against python3's, and the resident
# memory of the zygote and of one program. Numbers are printed, not asserted; the targets
# of issue 13 are shown as met / NOT met. Until the binary has `vivarium daemon`, only the
# columns that work are shown, and the output says so.
# Overrides: RUNS (runs per command, 10), BATCH (runs per batch, 100), BATCH_RUNS (timed
# batches, 3 with a zygote, 1 without), BASELINE_VIVARIUM, VIVARIUM (the binary measured).
set -euo pipefail

BENCH_NAME=startup.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
VIVARIUM="${VIVARIUM:-$ROOT/build/vivarium}"
BASELINE="${BASELINE_VIVARIUM:-}"
RUNS="${RUNS:-10}"
BATCH="${BATCH:-100}"

require_binary "$VIVARIUM"
[[ -z "$BASELINE" ]] || require_binary "$BASELINE"
require_assets
require_tools hyperfine node
# Both binaries boot the same bundle, whichever folder the baseline was copied to.
export VIVARIUM_ASSETS="${VIVARIUM_ASSETS:-$PYODIDE}"
unset VIVARIUM_NO_DAEMON
has_daemon=0

TMP="$(mktemp -d "${TMPDIR:-/tmp}/vivarium-startup.XXXXXX")"
# The zygotes this script starts and stops live in a folder of its own: `vivarium daemon
# stop` ends every zygote of the folder, and the user's others must not be among them.
export XDG_RUNTIME_DIR="$TMP/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"
cleanup() {
  ((has_daemon)) && "$VIVARIUM" daemon stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# What this binary can do: `run --no-daemon` and `vivarium daemon` arrive with the warm
# zygote (issue 13); before that every run is in-process.
# (A binary without the option ran the program with '--no-daemon' in its sys.argv.)
supports_no_daemon() { "$1" run --no-daemon -c 'import sys; sys.exit(0 if sys.argv == ["-c"] else 3)' >/dev/null 2>&1; }
"$VIVARIUM" --help 2>/dev/null | grep -qE '^ +daemon ' && has_daemon=1
in_process=("$VIVARIUM" run -c 'print(1)') in_process_name="run (in-process)"
if supports_no_daemon "$VIVARIUM"; then
  in_process=("$VIVARIUM" run --no-daemon -c 'print(1)') in_process_name="run --no-daemon"
fi
baseline_cmd=()
if [[ -n "$BASELINE" ]]; then
  baseline_cmd=("$BASELINE" run -c 'print(1)')
  supports_no_daemon "$BASELINE" && baseline_cmd=("$BASELINE" run --no-daemon -c 'print(1)')
fi
quote() { printf '%q ' "$@"; }

# The first run after a cache change compiles the wasm (~11 s), and a binary with another
# snapshot format makes its own once (~4 s): done here, untimed.
echo "warming the caches..." >&2
"${in_process[@]}" >/dev/null
[[ -z "$BASELINE" ]] || "${baseline_cmd[@]}" >/dev/null

names=() commands=() prepares=()
add() { names+=("$1"); prepares+=("$2"); commands+=("$(quote "${@:3}")"); }
if ((has_daemon)); then
  # Order matters: the "starts zygote" runs leave a zygote behind for the warm ones.
  add "run (starts zygote)" "$(quote "$VIVARIUM" daemon stop)" "$VIVARIUM" run -c 'print(1)'
  add "run (warm zygote)" "true" "$VIVARIUM" run -c 'print(1)'
fi
add "$in_process_name" "true" "${in_process[@]}"
[[ -z "$BASELINE" ]] || add "baseline" "true" "${baseline_cmd[@]}"
add "python3" "true" "$PYTHON" -c 'print(1)'
add "node+pyodide" "true" node "$ROOT/bench/node_pyodide_print.mjs"

args=()
for i in "${!names[@]}"; do args+=(--prepare "${prepares[$i]}" -n "${names[$i]}" "${commands[$i]}"); done
hyperfine -N --warmup 1 --runs "$RUNS" --style basic --export-json "$TMP/startup.json" "${args[@]}" >&2

# A batch of runs, as a CI job or a shell loop makes them, against python3's.
((has_daemon)) && batch_runs="${BATCH_RUNS:-3}" || batch_runs="${BATCH_RUNS:-1}"
((has_daemon)) && "$VIVARIUM" run -c pass >/dev/null  # a warm zygote
hyperfine --warmup 0 --runs "$batch_runs" --style basic --export-json "$TMP/batch.json" \
  -n "vivarium batch" "for i in \$(seq $BATCH); do $(quote "$VIVARIUM") run -c pass; done" \
  -n "python3 batch" "for i in \$(seq $BATCH); do $(quote "$PYTHON") -c pass; done" >&2

# Resident memory, sampled from outside (the sandboxed program cannot read /proc): a
# program that sleeps, found by its process name (the newest `vivarium-prog` whose
# nearest `vivarium-daemon` ancestor runs this binary; for an in-process run, the child
# of the `vivarium run` process), and that zygote.
memory_of() {  # PID -> "RSS_KiB PSS_KiB"
  local rss pss
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
  pss=$(awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0)
  echo "${rss:-0} ${pss:-0}"
}
zygote_of() {  # PID -> the nearest ancestor named vivarium-daemon, or nothing
  local pid="$1" i
  for i in 1 2 3 4 5; do
    pid=$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')
    [[ -n "$pid" && "$pid" != 0 ]] || return 0
    if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == vivarium-daemon ]]; then
      echo "$pid"
      return 0
    fi
  done
  return 0
}
ours="$(readlink -f "$VIVARIUM")"
program_of_ours() {  # the newest vivarium-prog forked by a zygote of this binary, if any
  local program zygote
  # Any uid: as root, a program runs as a uid of --sandbox-uids.
  for program in $(pgrep -x vivarium-prog | sort -rn); do
    zygote=$(zygote_of "$program")
    if [[ -n "$zygote" && "$(readlink -f "/proc/$zygote/exe" 2>/dev/null)" == "$ours" ]]; then
      echo "$program"
      return 0
    fi
  done
  return 0
}
program_memory() {  # LABEL COMMAND... -> "LABEL RSS PSS" lines (0 0: not found)
  local label="$1" pid found="" zygote="" i
  shift
  "$@" -c 'import time; time.sleep(3)' >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 100); do
    found=$(program_of_ours)
    [[ -n "$found" ]] || found=$(pgrep -P "$pid" | head -1 || true)
    [[ -n "$found" ]] && break
    sleep 0.05
  done
  sleep 1.5  # past the boot of an in-process run, into the sleep
  if [[ -n "$found" ]]; then
    zygote=$(zygote_of "$found")
    if [[ -n "$zygote" ]]; then
      echo "zygote $(memory_of "$zygote")"
    elif [[ "$label" == *zygote* ]]; then
      echo "zygote 0 0"
    fi
    echo "$label $(memory_of "$found")"
  else
    echo "$label 0 0"
  fi
  wait "$pid" || true
}
{
  if ((has_daemon)); then
    "$VIVARIUM" run -c pass >/dev/null
    program_memory "program (zygote)" "$VIVARIUM" run
  fi
  program_memory "program (in-process)" "${in_process[@]:0:${#in_process[@]}-2}"
  "$PYTHON" -c 'import time; time.sleep(1)' &
  sleep 0.5
  echo "python3 $(memory_of $!)"
  wait
} >"$TMP/memory.txt"

"$PYTHON" "$ROOT/bench/startup_report.py" "$TMP/startup.json" "$TMP/batch.json" "$TMP/memory.txt" \
  "$RUNS" "$BATCH" "$has_daemon" "${BASELINE:+baseline}"
