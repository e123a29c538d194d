// Messages on their way to one MCP client (a stdio stream, or one SSE reply), written
// by whoever produces them and sent by one writer. Responses are always kept;
// notifications are dropped past a byte budget, so that code printing faster than the
// client reads never blocks the execution nor grows the server's memory. The next
// notification that fits is preceded by one that says how much was dropped (the tool
// result still has the output, within --max-output-size).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace vivarium::server::mcp {

struct Outgoing {
  std::string text;  // one JSON-RPC message, without a line end
  bool is_response = false;
};

class OutgoingQueue {
 public:
  explicit OutgoingQueue(std::size_t max_notification_bytes = std::size_t{4} << 20)
      : max_notification_bytes_(max_notification_bytes) {}

  void push_response(const nlohmann::json& message);
  void push_notification(const nlohmann::json& message);  // never blocks
  // No more messages will come; pop() returns what is left, then nothing.
  void close();

  // The next message, waiting up to `timeout`; nothing when the wait ran out or the
  // queue is closed and empty (closed() tells them apart).
  std::optional<Outgoing> pop(std::chrono::milliseconds timeout);
  bool closed() const;
  std::uint64_t dropped_notifications() const;

 private:
  const std::size_t max_notification_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Outgoing> queue_;
  std::size_t notification_bytes_ = 0;
  std::uint64_t dropped_ = 0, dropped_bytes_ = 0;  // dropped_bytes_: since the last notice
  bool closed_ = false;
};

}  // namespace vivarium::server::mcp
