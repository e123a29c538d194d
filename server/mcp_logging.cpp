#include "server/mcp_logging.h"

#include <array>

#include "server/mcp_jsonrpc.h"

namespace vivarium::server::mcp {
namespace {

constexpr std::array<const char*, 8> kNames = {"debug", "info",     "notice", "warning",
                                               "error", "critical", "alert",  "emergency"};

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<LogLevel>(i);
  return std::nullopt;
}

const char* log_level_name(LogLevel level) { return kNames[static_cast<std::size_t>(level)]; }

std::size_t complete_utf8_prefix(std::string_view bytes) {
  // Look back at most 3 bytes for the lead byte of the last sequence.
  const std::size_t size = bytes.size();
  for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
    const auto byte = static_cast<unsigned char>(bytes[size - back]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: keep looking
    std::size_t length = 1;
    if ((byte & 0xE0) == 0xC0)
      length = 2;
    else if ((byte & 0xF0) == 0xE0)
      length = 3;
    else if ((byte & 0xF8) == 0xF0)
      length = 4;
    return length > back ? size - back : size;
  }
  return size;
}

void OutputForwarder::write(engine::OutputStream stream, std::string_view bytes) {
  auto& pending = stream == engine::OutputStream::out ? pending_out_ : pending_err_;
  std::string text = std::move(pending);
  pending.clear();
  text.append(bytes);
  const auto whole = complete_utf8_prefix(text);
  pending = text.substr(whole);
  text.resize(whole);
  if (!text.empty()) send(stream, std::move(text));
}

void OutputForwarder::flush() {
  if (!pending_out_.empty()) send(engine::OutputStream::out, std::exchange(pending_out_, {}));
  if (!pending_err_.empty()) send(engine::OutputStream::err, std::exchange(pending_err_, {}));
}

void OutputForwarder::send(engine::OutputStream stream, std::string text) {
  const bool out = stream == engine::OutputStream::out;
  const auto level = out ? LogLevel::info : LogLevel::warning;
  if (level < threshold_) return;
  send_(notification("notifications/message",
                     {{"level", log_level_name(level)}, {"logger", out ? "stdout" : "stderr"}, {"data", text}}));
}

}  // namespace vivarium::server::mcp
