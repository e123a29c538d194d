// httplib's TaskQueue, as a thread per connection up to a cap. httplib's ThreadPool(64)
// let 64 kept-alive or dripping connections, or 64 running executions, take every
// thread, and /health waited 3 to 12.5 s behind them (measured). A thread per
// connection means no connection waits behind another; the cap bounds threads.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

namespace vivarium::server {

class ConnectionTaskQueue final : public httplib::TaskQueue {
 public:
  // `on_shutdown` runs first in shutdown(), to wake connections waiting for a request.
  ConnectionTaskQueue(std::size_t max_threads, std::function<void()> on_shutdown);
  ~ConnectionTaskQueue() override;

  // Runs `task` on a new thread; past the cap (or if no thread can be made), runs it
  // at once on the calling (accept) thread with running_inline() true, so that it only
  // answers 503 and closes without waiting for anything.
  void enqueue(std::function<void()> task) override;
  // Waits until every thread has ended.
  void shutdown() override;

  static bool running_inline();
  std::size_t running() const;

 private:
  const std::size_t max_threads_;
  std::function<void()> on_shutdown_;
  mutable std::mutex mutex_;
  std::condition_variable all_done_;
  std::size_t running_ = 0;
};

}  // namespace vivarium::server
