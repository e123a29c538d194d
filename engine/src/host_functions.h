// The globals that Pyodide's shell mode needs from the host, implemented natively.
// Everything installed here is reachable from Python (`import js`): each function treats
// its arguments as hostile and can reach nothing on the host beyond the asset folder.
#pragma once

#include <v8.h>

namespace vivarium::engine::detail {
void install_host_functions(v8::Isolate* isolate, v8::Local<v8::Context> context);
}
