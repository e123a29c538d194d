// The warm zygote's loop (docs/run-daemon.md): accept a connection from this user only
// (SO_PEERCRED), read its first frame, and fork a program for a RunRequest (with the
// three pipe ends it carries), or answer a status or stop request. Programs die with
// it (PR_SET_PDEATHSIG): their clients then report it and exit 125.
#pragma once

#include <chrono>
#include <string>

#include "runner/program.h"

namespace vivarium::runner {

struct DaemonIdentity {
  std::string key;
  std::string settings;  // one line, for `vivarium daemon status`
  std::chrono::milliseconds idle{std::chrono::minutes(10)};
  std::string socket_path;  // unlinked when it exits, if it is still this daemon's
};

[[noreturn]] void run_daemon(BootedPython& python, int listen_fd, const DaemonIdentity& identity);

}  // namespace vivarium::runner
