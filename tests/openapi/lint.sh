#!/bin/sh
# docs/openapi.json through a real OpenAPI 3.1 validator: Redocly CLI's recommended
# rules with warnings as errors (redocly.yaml), the exceptions in .redocly.lint-ignore.yaml.
set -eu
cd "$(dirname "$0")"
test -x node_modules/.bin/redocly || { echo "Redocly CLI is not installed: run scripts/setup-node-tests.sh" >&2; exit 1; }
exec node_modules/.bin/redocly lint ../../docs/openapi.json --config redocly.yaml --format stylish
