#!/usr/bin/env bash
# Runs every fuzz target built in BUILD_DIR/fuzz for SECONDS each, one after another, on
# a working corpus seeded from tests/fuzz/corpus/<name>/ (what it finds is kept in
# BUILD_DIR/corpus/<name>/ for the next run; the committed seeds are never written).
# Fails if any target crashes, leaks, times out or breaks an invariant; the input is
# saved under BUILD_DIR/artifacts/<name>/.
#   scripts/run-fuzz.sh BUILD_DIR SECONDS [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS [NAME...]}
seconds=${2:?usage: run-fuzz.sh BUILD_DIR SECONDS [NAME...]}
shift 2
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  for binary in "$build"/fuzz/*_fuzz; do
    [ -x "$binary" ] && names+=("$(basename "$binary" _fuzz)")
  done
fi
[ "${#names[@]}" -gt 0 ] || { echo "run-fuzz: no fuzz targets in $build/fuzz" >&2; exit 1; }

# Symbolised stacks in crash reports (llvm-19 does not put its symbolizer on PATH).
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-19/bin/llvm-symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=()
for name in "${names[@]}"; do
  binary="$build/fuzz/${name}_fuzz"
  seeds="tests/fuzz/corpus/$name"
  [ -x "$binary" ] || { echo "run-fuzz: $binary is not built" >&2; exit 1; }
  [ -d "$seeds" ] || { echo "run-fuzz: $name has no seed corpus $seeds" >&2; exit 1; }
  corpus="$build/corpus/$name"
  artifacts="$build/artifacts/$name"
  log="$build/logs/$name.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  echo "fuzz: $name for ${seconds}s (log: $log)"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GiB is a memory bomb.
  if "$binary" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    # The last status line: coverage (cov), features (ft), corpus size and speed.
    grep -E '^#[0-9]+' "$log" | tail -n 1 | sed "s/^/fuzz: $name: /"
  else
    echo "fuzz: $name FAILED; the end of its log:" >&2
    tail -n 40 "$log" >&2
    ls "$artifacts" >&2
    failed+=("$name")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (reproduce: $build/fuzz/<name>_fuzz <artifact>)" >&2
  exit 1
fi
