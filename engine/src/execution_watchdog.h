// The watchdog of one interpreter's executions: at the deadline, or when interrupt()
// asks, it raises KeyboardInterrupt; after a grace period it stops the execution hard;
// after another, it calls the embedder's last resort.
//
// One thread per interpreter serves all its executions, started by the first. A thread
// per execution, joined before the result could go, put a wake-up and an exit on every
// execution's path: 80 us at p50 and 4 ms at p99 (9.8 ms at worst) of a warm exec over
// HTTP on 2 busy cores (bench/server.sh), where the whole exec took 1.2 ms at p50. Now an
// execution only writes a few fields under a mutex, and wakes the thread only when its
// deadline comes before the one the thread sleeps towards (the first execution after an
// idle spell): with one timeout for all, the thread wakes once per timeout period at most.
//
// A process that forks stops the thread first (pthread_atfork): the zygote forks sessions
// with no thread but its own (V8's single-threaded platform), and each child starts its
// own thread at its first execution.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace vivarium::engine::detail {

class ExecutionWatchdog {
 public:
  using Clock = std::chrono::steady_clock;
  // Called from the watchdog's thread, with its lock held: each must be quick and must
  // not call back into the watchdog.
  struct Actions {
    std::function<void()> interrupt;     // raise KeyboardInterrupt in the running code
    std::function<void()> terminate;     // stop it hard (TerminateExecution)
    std::function<void()> unresponsive;  // the embedder's last resort; may be empty
  };
  // What the watchdog did to one execution.
  struct Outcome {
    bool timed_out = false;     // its deadline passed
    bool interrupted = false;   // interrupt() was called
    bool hard_stopped = false;  // it ignored the KeyboardInterrupt for a grace period
  };

  ExecutionWatchdog(Actions actions, std::chrono::milliseconds grace);
  ~ExecutionWatchdog();
  ExecutionWatchdog(const ExecutionWatchdog&) = delete;
  ExecutionWatchdog& operator=(const ExecutionWatchdog&) = delete;

  // An execution starts (no deadline: only interrupt() escalates).
  void begin(std::optional<Clock::time_point> deadline);
  // It ended: from now on nothing is done to it. Returns what was done.
  Outcome end();
  // Thread-safe: asks the running execution to stop; false when none runs.
  bool interrupt();

 private:
  void run();
  void escalate(std::unique_lock<std::mutex>& lock);
  void start_thread();  // with mutex_ not held
  void stop_thread();
  static void register_fork_handlers();
  static void before_fork();
  static void after_fork_in_parent();
  static void after_fork_in_child();

  const Actions actions_;
  const std::chrono::milliseconds grace_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t generation_ = 0;  // executions begun so far
  bool running_ = false;
  bool interrupt_requested_ = false;
  std::optional<Clock::time_point> deadline_;
  Outcome outcome_;
  // When the thread wakes by itself next (max: not before it is notified).
  Clock::time_point sleeping_until_ = Clock::time_point::max();
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace vivarium::engine::detail
