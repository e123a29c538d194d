// Python's output while it runs, as MCP logging notifications (notifications/message):
// stdout at level "info" (logger "stdout"), stderr at "warning" (logger "stderr"), as
// mcp-run-python sent them, filtered by the level the client set with logging/setLevel.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engine/execution.h"

namespace vivarium::server::mcp {

// RFC 5424's levels, as MCP names them, least severe first.
enum class LogLevel { debug, info, notice, warning, error, critical, alert, emergency };
std::optional<LogLevel> parse_log_level(std::string_view name);
const char* log_level_name(LogLevel level);

// One execution's output chunks as notifications, each carrying whole UTF-8 characters:
// a character split across two chunks goes out with the second. Called from the
// executing thread; `send` must not block.
class OutputForwarder {
 public:
  using Send = std::function<void(const nlohmann::json&)>;
  OutputForwarder(LogLevel threshold, Send send) : threshold_(threshold), send_(std::move(send)) {}
  void write(engine::OutputStream stream, std::string_view bytes);
  // Sends what is left of an incomplete character (it becomes U+FFFD).
  void flush();

 private:
  void send(engine::OutputStream stream, std::string text);
  LogLevel threshold_;
  Send send_;
  std::string pending_out_, pending_err_;  // the start of a character still incomplete
};

// The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence
// (bytes that can never be UTF-8 count as whole: they become U+FFFD when sent).
std::size_t complete_utf8_prefix(std::string_view bytes);

}  // namespace vivarium::server::mcp
