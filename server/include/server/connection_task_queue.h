// httplib's TaskQueue, as a thread per connection up to a cap. httplib's ThreadPool(64)
// let 64 kept-alive or dripping connections, or 64 running executions, take every
// thread, and /health waited 3 to 12.5 s behind them (measured). A thread per
// connection means no connection waits behind another; the cap bounds threads.
// Threads that finish a connection wait a while for the next one: creating and ending
// a thread per connection (stack mmap, madvise and munmap, each a TLB shoot-down across
// the process) took both cores for ~300 ms whenever 500 hostile connections were
// re-opened at once, and /health waited behind it (perf, bench/load.sh).
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace vivarium::server {

class ConnectionTaskQueue final : public httplib::TaskQueue {
 public:
  // `on_shutdown` runs first in shutdown(), to wake connections waiting for a request.
  // An idle thread ends after `idle_linger` without a connection.
  ConnectionTaskQueue(std::size_t max_threads, std::function<void()> on_shutdown,
                      std::chrono::milliseconds idle_linger = std::chrono::seconds(30));
  ~ConnectionTaskQueue() override;

  // Runs `task` on an idle thread, or on a new one; past the cap (or if no thread can
  // be made), runs it at once on the calling (accept) thread with running_inline()
  // true, so that it only answers 503 and closes without waiting for anything.
  void enqueue(std::function<void()> task) override;
  // Waits until every thread has ended.
  void shutdown() override;

  static bool running_inline();
  // Threads serving a connection (idle ones not counted).
  std::size_t running() const;

 private:
  void work(std::function<void()> task);

  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_linger_;
  std::function<void()> on_shutdown_;
  mutable std::mutex mutex_;
  std::condition_variable task_ready_;
  std::condition_variable all_done_;
  std::deque<std::function<void()>> tasks_;  // handed to idle threads, never more than idle_
  std::size_t threads_ = 0;                  // alive: busy or idle
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace vivarium::server
