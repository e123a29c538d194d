#include "server/output_queue.h"

namespace vivarium::server {

void OutputQueue::push(engine::OutputStream stream, std::string_view text) {
  if (text.empty()) return;
  {
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + text.size() > capacity_) {
      // Dropped whole, so that what is kept never ends inside a UTF-8 sequence.
      if (events_.empty() || events_.back().kind != StreamEvent::Kind::dropped || events_.back().stream != stream)
        events_.push_back({StreamEvent::Kind::dropped, stream, {}, 0});
      events_.back().dropped += text.size();
    } else {
      if (events_.empty() || events_.back().kind != StreamEvent::Kind::text || events_.back().stream != stream)
        events_.push_back({StreamEvent::Kind::text, stream, {}, 0});
      events_.back().text.append(text);
      queued_bytes_ += text.size();
    }
  }
  changed_.notify_one();
}

void OutputQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_one();
}

OutputQueue::Batch OutputQueue::take(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, wait, [&] { return closed_ || !events_.empty(); });
  Batch batch;
  batch.events.assign(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  queued_bytes_ = 0;
  batch.finished = closed_;
  return batch;
}

}  // namespace vivarium::server
