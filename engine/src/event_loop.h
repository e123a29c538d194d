// Drives one isolate until a promise settles: platform tasks (wasm compilation),
// microtasks and setTimeout timers, in the order a JS host runs them.
#pragma once

#include <v8.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace vivarium::engine::detail {

enum class LoopOutcome { settled, terminated, stalled };

// Lets another thread hurry the loop: while interrupted, the loop does not sleep until
// timers are due but runs them at once, so that Python gets to see its interrupt.
struct LoopWakeup {
  std::mutex mutex;
  std::condition_variable condition;
  std::atomic<bool> interrupted{false};
  void interrupt() {
    interrupted = true;
    std::lock_guard lock(mutex);
    condition.notify_all();
  }
};

LoopOutcome run_until_settled(v8::Isolate* isolate, v8::Local<v8::Promise> promise, LoopWakeup& wakeup);

}  // namespace vivarium::engine::detail
