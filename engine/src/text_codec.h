// Native TextEncoder / TextDecoder. Pyodide decodes every string that crosses from
// Python to JS with them, so they sit on hot paths (a JS polyfill made boot 3x slower).
#pragma once

#include <v8.h>

namespace vivarium::engine::detail {
void install_text_codec(v8::Isolate* isolate, v8::Local<v8::Context> context);
}
