// Output as logging notifications: levels, the client's threshold, and UTF-8
// characters that are never cut between two notifications.
#include "server/mcp_logging.h"

#include <gtest/gtest.h>

#include <vector>

using namespace vivarium;
using namespace vivarium::server::mcp;

TEST(McpLogging, LevelsByName) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("emergency"), LogLevel::emergency);
  EXPECT_FALSE(parse_log_level("verbose").has_value());
  EXPECT_STREQ(log_level_name(LogLevel::warning), "warning");
}

TEST(McpLogging, StdoutIsInfoAndStderrWarning) {
  std::vector<nlohmann::json> sent;
  OutputForwarder forwarder(LogLevel::info, [&](const nlohmann::json& n) { sent.push_back(n); });
  forwarder.write(engine::OutputStream::out, "hello\n");
  forwarder.write(engine::OutputStream::err, "oops\n");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0]["method"], "notifications/message");
  EXPECT_EQ(sent[0]["params"]["level"], "info");
  EXPECT_EQ(sent[0]["params"]["logger"], "stdout");
  EXPECT_EQ(sent[0]["params"]["data"], "hello\n");
  EXPECT_EQ(sent[1]["params"]["level"], "warning");
  EXPECT_EQ(sent[1]["params"]["logger"], "stderr");
}

TEST(McpLogging, TheThresholdFilters) {
  std::vector<nlohmann::json> sent;
  OutputForwarder forwarder(LogLevel::warning, [&](const nlohmann::json& n) { sent.push_back(n); });
  forwarder.write(engine::OutputStream::out, "quiet\n");
  forwarder.write(engine::OutputStream::err, "loud\n");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["params"]["data"], "loud\n");
}

TEST(McpLogging, ACharacterSplitAcrossChunksGoesOutWhole) {
  std::vector<std::string> data;
  OutputForwarder forwarder(LogLevel::debug, [&](const nlohmann::json& n) { data.push_back(n["params"]["data"]); });
  const std::string euro = "\xe2\x82\xac";  // €
  forwarder.write(engine::OutputStream::out, "a" + euro.substr(0, 1));
  forwarder.write(engine::OutputStream::out, euro.substr(1, 1));
  forwarder.write(engine::OutputStream::out, euro.substr(2) + "b");
  forwarder.flush();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0], "a");
  EXPECT_EQ(data[1], euro + "b");
}

TEST(McpLogging, AnIncompleteCharacterAtTheEndIsFlushed) {
  std::vector<std::string> data;
  OutputForwarder forwarder(LogLevel::debug, [&](const nlohmann::json& n) { data.push_back(n["params"]["data"]); });
  forwarder.write(engine::OutputStream::err, "x\xf0\x9f");
  forwarder.flush();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1], "\xf0\x9f");  // becomes U+FFFD when the message is written
}

TEST(McpLogging, CompleteUtf8Prefix) {
  EXPECT_EQ(complete_utf8_prefix("abc"), 3u);
  EXPECT_EQ(complete_utf8_prefix("a\xc3"), 1u);
  EXPECT_EQ(complete_utf8_prefix("a\xc3\xa9"), 3u);
  EXPECT_EQ(complete_utf8_prefix("\xf0\x9f\x98"), 0u);
  EXPECT_EQ(complete_utf8_prefix("\xf0\x9f\x98\x80"), 4u);
  EXPECT_EQ(complete_utf8_prefix("\x80\x80\x80\x80"), 4u);  // never UTF-8: passed on
  EXPECT_EQ(complete_utf8_prefix(""), 0u);
}
