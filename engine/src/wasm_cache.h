// Compiling pyodide.asm.wasm through WebAssembly.compileStreaming with an on-disk cache
// of the TurboFan code: ~10 s single-threaded the first time, ~30 ms after that.
#pragma once

#include <v8.h>

#include <expected>
#include <string>

#include "src/loop_wakeup.h"

namespace vivarium::engine::detail {
// Only the marker object in IsolateState::wasm_marker is accepted; any other argument to
// WebAssembly.compileStreaming is refused.
void install_wasm_streaming(v8::Isolate* isolate);

// Compiles pyodide.asm.wasm (or loads it from the cache) through compileStreaming, driving
// the event loop until the module exists. Call once, before any JS of the bundle runs.
std::expected<v8::Local<v8::WasmModuleObject>, std::string> compile_pyodide_wasm(v8::Local<v8::Context> context,
                                                                                 LoopWakeup& wakeup);
}  // namespace vivarium::engine::detail
