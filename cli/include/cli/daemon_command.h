// `vivarium daemon status` and `vivarium daemon stop`: the user's warm zygotes for
// `vivarium run` (docs/run-daemon.md).
#pragma once

#include <CLI/CLI.hpp>

namespace vivarium::cli {

struct DaemonOptions {
  bool status = false;
  bool stop = false;
};
void add_daemon_command(CLI::App& app, DaemonOptions& options);
int daemon_command(const DaemonOptions& options);

}  // namespace vivarium::cli
