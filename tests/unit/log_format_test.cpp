// Log lines as written: text, or one JSON object per line with the line's fields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "log/logger.h"

using namespace vivarium::log;

TEST(LogFormat, TextIsStampLevelAndMessageOnly) {
  EXPECT_EQ(format_line(LogFormat::text, LogLevel::warn, "2026-12-02T14:00:00.000Z", "disk full", {{"x", 1}}),
            "2026-12-02T14:00:00.000Z WARN disk full");
}

TEST(LogFormat, JsonIsOneObjectWithTimeLevelMessageAndTheFields) {
  const auto line = format_line(LogFormat::json, LogLevel::info, "2026-12-02T14:00:00.000Z", "GET /ready 200 0.1ms",
                                {{"method", "GET"}, {"status", 200}, {"ms", 0.1}, {"request_id", "abc"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["time"], "2026-12-02T14:00:00.000Z");
  EXPECT_EQ(parsed["level"], "INFO");
  EXPECT_EQ(parsed["message"], "GET /ready 200 0.1ms");
  EXPECT_EQ(parsed["status"], 200);
  EXPECT_EQ(parsed["request_id"], "abc");
  EXPECT_TRUE(line.starts_with(R"({"time":)"));
}

TEST(LogFormat, HostileBytesStayInsideTheirOneLine) {
  const auto line = format_line(LogFormat::json, LogLevel::info, "t", "path\n2026 INFO forged",
                                {{"path", "/a\nb\xff"}, {"time", "not overridden"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["message"], "path\n2026 INFO forged");
  EXPECT_EQ(parsed["path"], "/a\nb\xef\xbf\xbd");  // not UTF-8: U+FFFD
  EXPECT_EQ(parsed["time"], "t");
}

#include "server/config.h"

TEST(LogFormat, ChosenByLogFormatTextOrJsonAndNothingElse) {
  using vivarium::server::resolve_config;
  EXPECT_EQ(resolve_config({}, {}, {}).value().log_format, LogFormat::text);
  EXPECT_EQ(resolve_config({{"LOG_FORMAT", "json"}}, {}, {}).value().log_format, LogFormat::json);
  EXPECT_EQ(resolve_config({}, {{"LOG_FORMAT", "text"}}, {}).value().log_format, LogFormat::text);
  EXPECT_EQ(resolve_config({{"LOG_FORMAT", "JSON"}}, {}, {}).error(), "LOG_FORMAT='JSON': expected text or json");
}
