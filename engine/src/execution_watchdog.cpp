#include "src/execution_watchdog.h"

#include <pthread.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace vivarium::engine::detail {
namespace {

// Every watchdog of this process, for the fork handlers.
std::mutex g_registry_mutex;
std::vector<ExecutionWatchdog*>& registry() {
  static std::vector<ExecutionWatchdog*> watchdogs;
  return watchdogs;
}

}  // namespace

ExecutionWatchdog::ExecutionWatchdog(Actions actions, std::chrono::milliseconds grace)
    : actions_(std::move(actions)), grace_(grace) {
  register_fork_handlers();
  std::lock_guard lock(g_registry_mutex);
  registry().push_back(this);
}

ExecutionWatchdog::~ExecutionWatchdog() {
  {
    std::lock_guard lock(g_registry_mutex);
    std::erase(registry(), this);
  }
  stop_thread();
}

void ExecutionWatchdog::register_fork_handlers() {
  static std::once_flag once;
  std::call_once(once, [] { ::pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child); });
}

// The forking thread holds the registry until the fork is done, in the parent and in
// the child: no watchdog comes or goes meanwhile.
void ExecutionWatchdog::before_fork() {
  g_registry_mutex.lock();
  for (auto* watchdog : registry()) watchdog->stop_thread();
}

// An execution running on another thread while this one forked keeps its watchdog.
void ExecutionWatchdog::after_fork_in_parent() {
  for (auto* watchdog : registry()) {
    bool running;
    {
      std::lock_guard lock(watchdog->mutex_);
      running = watchdog->running_;
    }
    if (running) watchdog->start_thread();
  }
  g_registry_mutex.unlock();
}

// The child has no watchdog thread (only the forking thread goes on); its first
// execution starts one.
void ExecutionWatchdog::after_fork_in_child() { g_registry_mutex.unlock(); }

void ExecutionWatchdog::start_thread() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    quit_ = false;
    sleeping_until_ = Clock::time_point::max();
  }
  thread_ = std::thread([this] { run(); });
}

void ExecutionWatchdog::stop_thread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ExecutionWatchdog::begin(std::optional<Clock::time_point> deadline) {
  start_thread();  // the first execution in this process (a forked child starts without it)
  bool wake;
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    running_ = true;
    interrupt_requested_ = false;
    deadline_ = deadline;
    outcome_ = {};
    // A thread that wakes by itself before this deadline sees it then; without a
    // deadline only interrupt() matters, and it notifies.
    wake = deadline && *deadline < sleeping_until_;
  }
  if (wake) changed_.notify_all();
}

ExecutionWatchdog::Outcome ExecutionWatchdog::end() {
  // No notification: a thread asleep until this execution's deadline wakes then, finds
  // nothing to do, and sleeps on (or towards the next execution's deadline).
  std::lock_guard lock(mutex_);
  running_ = false;
  return outcome_;
}

bool ExecutionWatchdog::interrupt() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return false;
    interrupt_requested_ = true;
  }
  changed_.notify_all();
  return true;
}

void ExecutionWatchdog::run() {
  std::unique_lock lock(mutex_);
  while (!quit_) {
    const bool due = running_ && (interrupt_requested_ || (deadline_ && Clock::now() >= *deadline_));
    if (due) {
      escalate(lock);
      continue;
    }
    if (running_ && deadline_) {
      sleeping_until_ = *deadline_;
      changed_.wait_until(lock, *deadline_);
    } else {
      sleeping_until_ = Clock::time_point::max();
      changed_.wait(lock);
    }
  }
}

// For the running execution: KeyboardInterrupt, then after a grace period a hard stop,
// then after another the last resort. It stops as soon as that execution ends.
void ExecutionWatchdog::escalate(std::unique_lock<std::mutex>& lock) {
  sleeping_until_ = Clock::time_point::max();  // a new execution's begin() must wake us
  const std::uint64_t generation = generation_;
  const auto over = [&] { return quit_ || !running_ || generation_ != generation; };
  (interrupt_requested_ ? outcome_.interrupted : outcome_.timed_out) = true;
  actions_.interrupt();
  if (changed_.wait_for(lock, grace_, over)) return;
  outcome_.hard_stopped = true;
  actions_.terminate();
  if (changed_.wait_for(lock, grace_, over)) return;
  if (actions_.unresponsive) actions_.unresponsive();
  changed_.wait(lock, over);
}

}  // namespace vivarium::engine::detail
