// The life of a forked session process: lock itself down, then execute requests from the
// server one at a time until the server closes the socket.
#pragma once

#include "engine/interpreter.h"

namespace vivarium::server {
[[noreturn]] void session_main(int socket, engine::Interpreter& interpreter);
}
