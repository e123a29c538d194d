// Compiling pyodide.asm.wasm through WebAssembly.compileStreaming with an on-disk cache
// of the TurboFan code: ~10 s single-threaded the first time, ~30 ms after that.
#pragma once

#include <v8.h>

namespace vivarium::engine::detail {
// Only the marker object in IsolateState::wasm_marker is accepted; any other argument to
// WebAssembly.compileStreaming is refused.
void install_wasm_streaming(v8::Isolate* isolate);
}  // namespace vivarium::engine::detail
