// The sandboxed half of `vivarium run`: boots the interpreter, locks the process down,
// runs the program and reports on its stdout and stderr, which are pipes to the
// unconfined parent (run_command.cpp, sessions/stdio_relay.h). Runs in the forked child.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/run_command.h"
#include "engine/execution.h"
#include "sandbox/id_range.h"

namespace vivarium::cli {

// What the parent read for the program before it forked: the code, and the --file data.
struct LoadedProgram {
  std::string code;
  std::string filename;
  std::vector<std::string> argv;
  bool stdin_is_free = true;  // false when the code itself came from stdin
  std::vector<engine::SandboxFile> files;
};

// What the parent decided for the wall before it forked.
struct ProgramWall {
  std::optional<sandbox::Identity> identity;  // as root: the uid and gid to switch to
  std::string pid_namespace_missing;          // why the program is not pid 1 of its own namespace
};

// Returns the exit status (exit_status.h). With --output-dir, the files the program
// created or changed go to the parent through output_channel (output_files_channel.h).
int run_program(const RunOptions& options, LoadedProgram program, int output_channel, const ProgramWall& wall);

}  // namespace vivarium::cli
