#!/usr/bin/env bash
# What `make bench` needs beyond scripts/setup.sh (which builds vivarium and fetches the
# Pyodide bundle). Idempotent: installs only what is missing. What each benchmark runs:
#   startup.sh    hyperfine, node, python3
#   cpu.sh        node, python3 (grep, cut, seq: coreutils)
#   server.sh     python3 (bench/server.py, standard library only), node (baseline_server.mjs)
#   packages.sh   python3 (bench/packages.py, tests/packages/make_test_packages.py)
#   relay.sh, wall_cost.py, soak.py   python3
#   load.sh       git (a worktree of the baseline commit), cmake (setup.sh), python3
# The Node baseline is the Node.js on PATH (Node 20 on these machines, which the figures in
# bench/README.md come from); without one, Debian 12's nodejs (18.20), which Pyodide
# accepts (its package.json asks for >= 18).
set -euo pipefail

log() { printf 'setup-bench: %s\n' "$*" >&2; }
die() { printf 'setup-bench: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/apt-install-missing.sh
. "$(dirname "$0")/apt-install-missing.sh"

packages=(hyperfine python3 git)
# Not the package when a node is already there: nodesource's or nvm's would conflict.
command -v node >/dev/null || packages+=(nodejs)
apt_install_missing "${packages[@]}"
for tool in hyperfine node python3 git; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH after installing ${packages[*]}"
done
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 18 ] || die "node $(node --version) is too old for Pyodide (>= 18); put Node.js 20 on PATH"
