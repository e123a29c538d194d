#include "server/connection_task_queue.h"

#include <system_error>
#include <thread>

namespace vivarium::server {
namespace {
thread_local bool t_inline = false;
}

ConnectionTaskQueue::ConnectionTaskQueue(std::size_t max_threads, std::function<void()> on_shutdown)
    : max_threads_(max_threads), on_shutdown_(std::move(on_shutdown)) {}

ConnectionTaskQueue::~ConnectionTaskQueue() { shutdown(); }

bool ConnectionTaskQueue::running_inline() { return t_inline; }

std::size_t ConnectionTaskQueue::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

void ConnectionTaskQueue::enqueue(std::function<void()> task) {
  bool spawn = false;
  {
    std::lock_guard lock(mutex_);
    if (running_ < max_threads_) {
      ++running_;
      spawn = true;
    }
  }
  if (spawn) {
    try {
      std::thread([this, task] {
        task();
        std::lock_guard lock(mutex_);
        if (--running_ == 0) all_done_.notify_all();
      }).detach();
      return;
    } catch (const std::system_error&) {  // out of threads (RLIMIT_NPROC, memory)
      std::lock_guard lock(mutex_);
      if (--running_ == 0) all_done_.notify_all();
    }
  }
  t_inline = true;
  task();
  t_inline = false;
}

void ConnectionTaskQueue::shutdown() {
  if (on_shutdown_) on_shutdown_();
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [this] { return running_ == 0; });
}

}  // namespace vivarium::server
