#!/usr/bin/env bash
# HTTP under hostile load (issue 8): the same load against `vivarium serve` as built
# here and as it was before issue 8 (commit 82852bd), one after the other, in one run.
# Prints /health p99, warm-exec p99 and unanswered requests for each; nothing asserted.
# The baseline is built once in a git worktree under build/ and reused.
# Env: BASELINE_COMMIT (82852bd), and load.py's (IDLE, HALF, SLEEPERS, SECONDS).
set -euo pipefail

BENCH_NAME=load.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
COMMIT="${BASELINE_COMMIT:-82852bd}"
BASE="$ROOT/build/baseline-$COMMIT"
require_binary "$ROOT/build/vivarium"

if [[ ! -x "$BASE/build/vivarium" ]]; then
  echo "load.sh: building vivarium at $COMMIT in $BASE (once; a few minutes)" >&2
  [[ -e "$BASE/.git" ]] || git -C "$ROOT" worktree add --detach "$BASE" "$COMMIT" >&2
  # Ignored folders a worktree lacks: the dependencies and the Pyodide bundle.
  [[ -e "$BASE/.deps" ]] || ln -s "$(readlink -f "$ROOT/.deps")" "$BASE/.deps"
  mkdir -p "$BASE/assets"
  for dir in "$ROOT"/assets/*/; do
    name=$(basename "$dir")
    [[ -e "$BASE/assets/$name" ]] || ln -s "$(readlink -f "$dir")" "$BASE/assets/$name"
  done
  cmake -S "$BASE" -B "$BASE/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
  cmake --build "$BASE/build" -j"${JOBS:-2}" --target vivarium >&2
fi

exec python3 "$ROOT/bench/load.py" --server "now=$ROOT/build/vivarium" --server "$COMMIT=$BASE/build/vivarium"
