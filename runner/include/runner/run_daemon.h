// The warm zygote's loop (docs/run-daemon.md): accept a connection from this user only
// (SO_PEERCRED), read its first frame, and fork a program for a RunRequest (with the
// three pipe ends it carries), or answer a status or stop request. Programs die with
// it (PR_SET_PDEATHSIG): their clients then report it and exit 125.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "runner/program.h"

namespace vivarium::runner {

struct DaemonIdentity {
  std::string key;
  std::string settings;  // one line, for `vivarium daemon status`
  std::chrono::milliseconds idle{std::chrono::minutes(10)};
  std::string socket_path;  // unlinked when it exits, if it is still this daemon's
};

// `warm_up` runs once, after the first program is forked (the one of the client that
// started the zygote, which must not wait for it) or when no client came within 200 ms.
[[noreturn]] void run_daemon(BootedPython& python, int listen_fd, const DaemonIdentity& identity,
                             const std::function<void()>& warm_up);

}  // namespace vivarium::runner
