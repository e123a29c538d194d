#include "log/logger.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace vivarium::log {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};

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
}  // namespace

void set_level(LogLevel level) { g_level = level; }
bool enabled(LogLevel level) { return static_cast<int>(level) <= static_cast<int>(g_level.load()); }

namespace {
void emit(LogLevel level, const std::string& message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char line[64];
  std::snprintf(line, sizeof line, "%s.%03lldZ %s ", stamp, static_cast<long long>(ms), name(level));
  // One write() per line, so that lines from different threads never interleave.
  const std::string text = line + message + "\n";
  (void)!::write(STDERR_FILENO, text.data(), text.size());
}
}  // namespace

void always(const std::string& message) { emit(LogLevel::info, message); }

void write(LogLevel level, const std::string& message) {
  if (enabled(level)) emit(level, message);
}
}  // namespace vivarium::log
