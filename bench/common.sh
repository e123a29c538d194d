# Sourced by the bench/*.sh scripts: the checks every benchmark makes before it starts.
# Sets ROOT (the repository), PYODIDE (the asset folder) and PYTHON (the real python3,
# not a wrapper: pyenv's shim is a bash script that adds ~0.4 s to every start).
# BENCH_NAME names the script in messages.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYODIDE="$ROOT/assets/pyodide"

die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }

# require_binary PATH: a vivarium build to measure.
require_binary() { [[ -x "$1" ]] || die "missing $1 (run 'make build' in $ROOT)"; }

# require_assets: the Pyodide bundle, for vivarium and for the Node baseline.
require_assets() {
  [[ -f "$PYODIDE/pyodide.mjs" ]] || die "missing $PYODIDE/pyodide.mjs (run 'make setup' in $ROOT)"
}

# require_tools TOOL...: each on PATH ('make bench' installs them).
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "'$tool' not found in PATH (run 'make bench' in $ROOT)"
  done
}

PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
