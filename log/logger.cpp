#include "log/logger.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace vivarium::log {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};

const char* name(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "ERROR";
    case LogLevel::warn:
      return "WARN";
    case LogLevel::info:
      return "INFO";
    case LogLevel::debug:
      return "DEBUG";
  }
  return "INFO";
}

std::string now_stamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char line[40];
  std::snprintf(line, sizeof line, "%s.%03lldZ", stamp, static_cast<long long>(ms));
  return line;
}

void emit(LogLevel level, const std::string& message, const nlohmann::json& fields) {
  // One write() per line, so that lines from different threads never interleave.
  const std::string text = format_line(g_format.load(), level, now_stamp(), message, fields) + "\n";
  (void)!::write(STDERR_FILENO, text.data(), text.size());
}
}  // namespace

void set_level(LogLevel level) { g_level = level; }
void set_format(LogFormat format) { g_format = format; }
bool enabled(LogLevel level) { return static_cast<int>(level) <= static_cast<int>(g_level.load()); }

std::string format_line(LogFormat format, LogLevel level, const std::string& stamp, const std::string& message,
                        const nlohmann::json& fields) {
  if (format == LogFormat::text) return stamp + " " + name(level) + " " + message;
  // time, level and message first, as people read them.
  nlohmann::ordered_json line = {{"time", stamp}, {"level", name(level)}, {"message", message}};
  if (fields.is_object())
    for (const auto& [key, value] : fields.items())
      if (!line.contains(key)) line[key] = value;
  // Messages and fields may hold bytes from clients that are not UTF-8: they become
  // U+FFFD rather than an exception that loses the line. JSON escapes control bytes, so
  // no field can start a forged line.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void always(const std::string& message) { emit(LogLevel::info, message, nullptr); }

void plain(const std::string& message) {
  if (g_format.load() == LogFormat::json) return emit(LogLevel::info, message, nullptr);
  const std::string text = message + "\n";
  (void)!::write(STDERR_FILENO, text.data(), text.size());
}

void set_format_from_environment() {
  const char* format = std::getenv("LOG_FORMAT");
  g_format = format != nullptr && std::string_view(format) == "json" ? LogFormat::json : LogFormat::text;
}

void write(LogLevel level, const std::string& message) {
  if (enabled(level)) emit(level, message, nullptr);
}

void write(LogLevel level, const std::string& message, const nlohmann::json& fields) {
  if (enabled(level)) emit(level, message, fields);
}
}  // namespace vivarium::log
