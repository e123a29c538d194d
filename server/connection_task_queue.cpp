#include "server/connection_task_queue.h"

#include <system_error>
#include <thread>

namespace vivarium::server {
namespace {
thread_local bool t_inline = false;
}

ConnectionTaskQueue::ConnectionTaskQueue(std::size_t max_threads, std::function<void()> on_shutdown,
                                         std::chrono::milliseconds idle_linger)
    : max_threads_(max_threads), idle_linger_(idle_linger), on_shutdown_(std::move(on_shutdown)) {}

ConnectionTaskQueue::~ConnectionTaskQueue() { shutdown(); }

bool ConnectionTaskQueue::running_inline() { return t_inline; }

std::size_t ConnectionTaskQueue::running() const {
  std::lock_guard lock(mutex_);
  return threads_ - idle_;
}

void ConnectionTaskQueue::enqueue(std::function<void()> task) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ && idle_ > tasks_.size()) {  // an idle thread is free to take it
      tasks_.push_back(std::move(task));
      task_ready_.notify_one();
      return;
    }
    if (!stopping_ && threads_ < max_threads_) {
      ++threads_;
      lock.unlock();
      try {
        std::thread([this, task] { work(task); }).detach();
        return;
      } catch (const std::system_error&) {  // out of threads (RLIMIT_NPROC, memory)
        lock.lock();
        if (--threads_ == 0) all_done_.notify_all();
      }
    }
  }
  t_inline = true;
  task();
  t_inline = false;
}

void ConnectionTaskQueue::work(std::function<void()> task) {
  for (;;) {
    task();
    task = nullptr;  // the connection's captures go now, not when the next one comes
    std::unique_lock lock(mutex_);
    ++idle_;
    const bool got = task_ready_.wait_for(lock, idle_linger_, [this] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (!got || tasks_.empty()) {  // lingered long enough, or shutting down
      if (--threads_ == 0) all_done_.notify_all();
      return;
    }
    task = std::move(tasks_.front());
    tasks_.pop_front();
  }
}

void ConnectionTaskQueue::shutdown() {
  if (on_shutdown_) on_shutdown_();
  std::unique_lock lock(mutex_);
  stopping_ = true;
  task_ready_.notify_all();
  all_done_.wait(lock, [this] { return threads_ == 0; });
}

}  // namespace vivarium::server
