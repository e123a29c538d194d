#!/usr/bin/env bash
# What `make fuzz` needs beyond scripts/setup.sh: clang-19 and its runtime (libFuzzer,
# ASan, UBSan). Idempotent: installs only what is missing.
# Why clang-19: libstdc++ 12's <expected> needs __cpp_concepts >= 202002L, which Debian 12's
# clang-14 and clang-16 do not claim, so they cannot compile this code; bookworm main has
# clang-19 1:19.1.7-3~deb12u1, which does. GCC has no libFuzzer.
set -euo pipefail

log() { printf 'setup-fuzz: %s\n' "$*" >&2; }
die() { printf 'setup-fuzz: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/apt-install-missing.sh
. "$(dirname "$0")/apt-install-missing.sh"

# llvm-19 for llvm-symbolizer (crash reports with function names and lines); cmake,
# nlohmann-json3-dev and libssl-dev too, so that `make fuzz` works on a machine where
# scripts/setup.sh never ran (it needs no V8 and no Pyodide).
apt_install_missing clang-19 libclang-rt-19-dev llvm-19 cmake nlohmann-json3-dev libssl-dev
command -v clang++-19 >/dev/null || die "clang++-19 is not on PATH after installing clang-19"
