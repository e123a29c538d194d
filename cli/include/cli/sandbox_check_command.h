// `vivarium sandbox-check`: which layers of the process wall this machine offers, for a
// session and for a `run` program, and why any is missing. Exit 0 when all are active.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace vivarium::cli {

struct SandboxCheckOptions {
  std::string sandbox_uids = "1879048192-1879113727";
};
void add_sandbox_check_command(CLI::App& app, SandboxCheckOptions& options);
int sandbox_check_command(const SandboxCheckOptions& options);

}  // namespace vivarium::cli
