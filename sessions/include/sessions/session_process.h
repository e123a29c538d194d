// The life of a forked session process: lock itself down, then execute requests from the
// server one at a time until the server closes the socket.
#pragma once

#include <string>

#include "engine/interpreter.h"
#include "sessions/wire_messages.h"

namespace vivarium::sessions {
// `sandbox` says which uid and gid to switch to (when the zygote runs as root) and
// whether a layer this machine lacks must end the session instead. The zygote forked it
// into a pid namespace of its own, or says why not in `pid_namespace_missing`.
[[noreturn]] void session_main(int socket, engine::Interpreter& interpreter, const sessions::ForkRequest& sandbox,
                               const std::string& pid_namespace_missing);
}  // namespace vivarium::sessions
