// The sandboxed half of `vivarium run` (docs/run-daemon.md): the process that runs the
// user's program. The run host (run_host.h) booted Python; this process is its fork (the
// warm zygote's) or, with --no-daemon, the host itself. Its 0, 1 and 2 are pipes to the
// client, which relays them to the user (sessions/stdio_relay.h); fd 3 is its connection
// to the client, over which it asks for wheels, hears Ctrl-C, and reports how it ended.
// It holds no other host descriptor and, behind the session wall, can open no host path.
#pragma once

#include <string>
#include <vector>

#include "engine/interpreter.h"
#include "sessions/run_messages.h"

namespace vivarium::runner {

inline constexpr int kProgramConnectionFd = 3;

struct BootedPython {
  engine::Interpreter* interpreter = nullptr;
  std::vector<std::string> warnings;  // said by every program, as `run` always has
};

// Sets the process up for the program: what boot options must say so that a stuck
// program still reports its timeout (call before booting).
void prepare_program_boot(engine::BootOptions& boot);

// Runs the request and exits with its status (runner/exit_status.h). `forked`: this
// process is a fork of the booted host (its random state is reseeded first).
[[noreturn]] void program_main(BootedPython& python, sessions::RunRequest request, bool forked,
                               const std::string& pid_namespace_missing);

}  // namespace vivarium::runner
