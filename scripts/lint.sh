#!/usr/bin/env bash
# Cheap checks for CI: every C++ file formatted to .clang-format (`make format` rewrites
# them), shell syntax, and Python syntax.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
mapfile -t formatted < <(git ls-files '*.cpp' '*.h')
if ! clang-format-14 --dry-run -Werror "${formatted[@]}"; then
  echo "lint: run \`make format\` to format the files above" >&2
  status=1
fi
for script in scripts/*.sh bench/*.sh .ci/run tests/docs/*.sh; do
  bash -n "$script" || { echo "lint: $script has a shell syntax error" >&2; status=1; }
done
for program in bench/*.py engine/py/*.py tests/http/*.py tests/deploy/*.py tests/packages/*.py tests/py/*.py; do
  python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$program" \
    || { echo "lint: $program has a Python syntax error" >&2; status=1; }
done
[ "$status" -eq 0 ] && echo "lint: ok"
exit "$status"
