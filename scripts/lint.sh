#!/usr/bin/env bash
# Cheap checks for CI: formatting of the code written to .clang-format (the older files
# predate it and are formatted as they are touched), shell syntax, and Python syntax.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
formatted=(sessions/*.cpp sessions/*.h tests/fuzz/*.cpp server/final_expression.* server/guarded_http_server.*
           server/deadline_stream.* server/connection_task_queue.* server/log_escape.* server/result_limits.*
           sandbox/*.cpp sandbox/*.h server/sandbox_ids.* tests/sandbox/*.cpp)
if ! clang-format --dry-run -Werror "${formatted[@]}"; then
  echo "lint: run clang-format -i on the files above" >&2
  status=1
fi
for script in scripts/*.sh bench/*.sh .ci/run tests/docs/*.sh; do
  bash -n "$script" || { echo "lint: $script has a shell syntax error" >&2; status=1; }
done
for program in bench/*.py tests/http/*.py tests/packages/*.py; do
  python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$program" \
    || { echo "lint: $program has a Python syntax error" >&2; status=1; }
done
[ "$status" -eq 0 ] && echo "lint: ok"
exit "$status"
