// Output of a streamed execution on its way to a client: filled by the executing thread,
// which must never wait (the session would stall on its socket), and drained by the
// connection's thread as fast as the client reads. Past its capacity whole chunks are
// dropped and counted, so server memory stays bounded whatever the code prints; the
// execution's result keeps its own copy, capped by --max-output-size.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/execution.h"

namespace vivarium::server {

// What a streaming /exec buffers for a slow client at most (docs/api.md).
inline constexpr std::size_t kStreamBufferBytes = std::size_t{1} << 20;

struct StreamEvent {
  enum class Kind { text, dropped } kind = Kind::text;
  engine::OutputStream stream = engine::OutputStream::out;
  std::string text;           // Kind::text: consecutive chunks of one stream, joined
  std::uint64_t dropped = 0;  // Kind::dropped: bytes of this stream left out here
};

class OutputQueue {
 public:
  explicit OutputQueue(std::size_t capacity_bytes = kStreamBufferBytes) : capacity_(capacity_bytes) {}

  // Never blocks.
  void push(engine::OutputStream stream, std::string_view text);
  // No more output will come (the execution ended).
  void close();

  struct Batch {
    std::vector<StreamEvent> events;
    bool finished = false;  // closed, and these are the last events
  };
  // Everything queued, waiting up to `wait` for something to arrive; may be empty.
  Batch take(std::chrono::milliseconds wait);

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<StreamEvent> events_;
  std::size_t queued_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace vivarium::server
