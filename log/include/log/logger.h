// Log lines on stderr: "2026-11-26T15:40:00.123Z INFO message". Thread-safe.
#pragma once

#include <string>

namespace vivarium::log {

enum class LogLevel { error, warn, info, debug };

void set_level(LogLevel level);
bool enabled(LogLevel level);
void write(LogLevel level, const std::string& message);
inline void error(const std::string& m) { write(LogLevel::error, m); }
inline void warn(const std::string& m) { write(LogLevel::warn, m); }
inline void info(const std::string& m) { write(LogLevel::info, m); }
inline void debug(const std::string& m) { write(LogLevel::debug, m); }
void always(const std::string& message);  // at every level, labelled INFO
}  // namespace vivarium::log
