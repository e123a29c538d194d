// How another thread hurries an isolate's event loop (see event_loop.h); its own header
// so that the isolate state can hold one without including the loop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace vivarium::engine::detail {

// While interrupted, the loop does not sleep until timers are due but runs them at once,
// so that Python gets to see its interrupt.
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

}  // namespace vivarium::engine::detail
