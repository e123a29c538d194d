// The vivarium command line: subcommands, flags, help text (CLI11).
#pragma once

namespace vivarium::cli {
// Parses argv, runs the chosen subcommand and returns the process exit status.
int run_main(int argc, char** argv);
}  // namespace vivarium::cli
