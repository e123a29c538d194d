// Natives for the boot script's closure; see boot_hooks.cpp.
#pragma once

#include <v8.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "src/isolate_state.h"

namespace vivarium::engine::detail {

// The hooks object; interrupt_store receives the Int32Array Pyodide polls for interrupts.
v8::Local<v8::Object> make_boot_hooks(v8::Local<v8::Context> context, IsolateState& state,
                                      std::shared_ptr<v8::BackingStore>& interrupt_store);

// Where the Pyodide memory snapshot for this bundle is cached; nullopt without a cache
// folder (or when the bundle's files cannot be measured).
std::optional<std::filesystem::path> snapshot_path(const IsolateState& state);

}  // namespace vivarium::engine::detail
