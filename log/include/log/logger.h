// Log lines on stderr, thread-safe. Text (the default): "2026-11-26T15:40:00.123Z INFO
// message". JSON (--log-format json): one object per line, {"time", "level", "message"}
// and the line's fields (a request line's method, path, status, ms, session, request_id).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vivarium::log {

enum class LogLevel { error, warn, info, debug };
enum class LogFormat { text, json };

void set_level(LogLevel level);
void set_format(LogFormat format);
bool enabled(LogLevel level);
void write(LogLevel level, const std::string& message);
// `fields` (a JSON object) are written as members of a JSON line; a text line is the
// message alone, which should already say what the fields say.
void write(LogLevel level, const std::string& message, const nlohmann::json& fields);
inline void error(const std::string& m) { write(LogLevel::error, m); }
inline void warn(const std::string& m) { write(LogLevel::warn, m); }
inline void info(const std::string& m) { write(LogLevel::info, m); }
inline void debug(const std::string& m) { write(LogLevel::debug, m); }
void always(const std::string& message);  // at every level, labelled INFO
// A line of the zygote or a session process: as it is in text format (no stamp: the
// server's own lines have one), an INFO object in JSON.
void plain(const std::string& message);
// The zygote and its sessions take the format from LOG_FORMAT, which serve sets for them.
void set_format_from_environment();

// The line as it is written, without the newline (for tests).
std::string format_line(LogFormat format, LogLevel level, const std::string& stamp, const std::string& message,
                        const nlohmann::json& fields);
}  // namespace vivarium::log
