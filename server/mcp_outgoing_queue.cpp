#include "server/mcp_outgoing_queue.h"

#include "server/mcp_jsonrpc.h"

namespace vivarium::server::mcp {

void OutgoingQueue::push_response(const nlohmann::json& message) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({to_text(message), true});
  }
  ready_.notify_one();
}

void OutgoingQueue::push_notification(const nlohmann::json& message) {
  std::string text = to_text(message);
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (notification_bytes_ + text.size() > max_notification_bytes_) {
      ++dropped_;
      dropped_bytes_ += text.size();
      return;
    }
    if (dropped_bytes_ > 0) {
      const std::string data = std::to_string(dropped_bytes_) +
                               " bytes of output notifications were dropped: the client reads slower than the code "
                               "writes; the tool result has the output";
      auto notice = to_text(
          notification("notifications/message", {{"level", "warning"}, {"logger", "vivarium"}, {"data", data}}));
      notification_bytes_ += notice.size();
      queue_.push_back({std::move(notice), false});
      dropped_bytes_ = 0;
    }
    notification_bytes_ += text.size();
    queue_.push_back({std::move(text), false});
  }
  ready_.notify_one();
}

void OutgoingQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

std::optional<Outgoing> OutgoingQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !queue_.empty() || closed_; })) return std::nullopt;
  if (queue_.empty()) return std::nullopt;
  Outgoing next = std::move(queue_.front());
  queue_.pop_front();
  if (!next.is_response) notification_bytes_ -= next.text.size();
  return next;
}

bool OutgoingQueue::closed() const {
  std::lock_guard lock(mutex_);
  return closed_ && queue_.empty();
}

std::uint64_t OutgoingQueue::dropped_notifications() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace vivarium::server::mcp
