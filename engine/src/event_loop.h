// Drives one isolate until a promise settles: platform tasks (wasm compilation),
// microtasks and setTimeout timers, in the order a JS host runs them.
#pragma once

#include <v8.h>

#include "src/loop_wakeup.h"

namespace vivarium::engine::detail {

enum class LoopOutcome { settled, terminated, stalled };

LoopOutcome run_until_settled(v8::Isolate* isolate, v8::Local<v8::Promise> promise, LoopWakeup& wakeup);

}  // namespace vivarium::engine::detail
