#include "server/final_expression.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using vivarium::server::checked_final_expression;
using vivarium::server::FinalExpressionLimits;
using json = nlohmann::json;

namespace {
std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
}  // namespace

TEST(FinalExpression, ValidJsonWithinTheLimitsIsKeptAsItIs) {
  for (const std::string text : {"null", "2", "\"a\"", "[1, \"a\", {\"k\": null}]", "-1.5e3", "true"})
    EXPECT_EQ(checked_final_expression(text, {}), text);
  EXPECT_EQ(checked_final_expression(nested(128), {}), nested(128));
}

TEST(FinalExpression, NestingPastTheLimitBecomesAMarkedString) {
  // The crash: 100000 levels once overflowed the server's stack in dump().
  const auto checked = checked_final_expression(nested(100000), {.max_bytes = 1 << 20, .max_depth = 128});
  const auto value = json::parse(checked);
  ASSERT_TRUE(value.is_string());
  const auto text = value.get<std::string>();
  EXPECT_TRUE(text.starts_with("[[[["));
  EXPECT_TRUE(text.ends_with("[vivarium: final expression nested deeper than 128 levels, shown as text]")) << text;
  EXPECT_TRUE(json::parse(checked_final_expression(nested(129), {})).is_string());
}

TEST(FinalExpression, TextOverTheSizeLimitIsCutWithAMarker) {
  const std::string big = "\"" + std::string(5000, 'x') + "\"";
  const auto value = json::parse(checked_final_expression(big, {.max_bytes = 1000}));
  ASSERT_TRUE(value.is_string());
  const auto text = value.get<std::string>();
  EXPECT_EQ(text.substr(0, 1000), big.substr(0, 1000));
  EXPECT_TRUE(text.ends_with("[vivarium: final expression cut at the limit of 1000B]")) << text;
}

TEST(FinalExpression, TextThatIsNotJsonIsShownAsAString) {
  for (const std::string text : {"", "[1,", "{\"a\" 1}", "1 2", "NaN", "[1]]", "'x'"}) {
    const auto value = json::parse(checked_final_expression(text, {}));
    ASSERT_TRUE(value.is_string()) << text;
    EXPECT_TRUE(value.get<std::string>().ends_with("[vivarium: final expression was not valid JSON, shown as text]"))
        << text;
  }
}

TEST(FinalExpression, ACutNeverSplitsAUtf8SequenceAndBadBytesBecomeReplacementCharacters) {
  const std::string euros = "\"" + std::string("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac") + "\"";  // "€€€"
  const auto value = json::parse(checked_final_expression(euros, {.max_bytes = 5}));
  EXPECT_TRUE(value.get<std::string>().starts_with("\"\xe2\x82\xac ["));  // 1 + 3 bytes, not 1 + 4
  const auto bad = json::parse(checked_final_expression("\"\xff\"", {}));
  EXPECT_TRUE(bad.get<std::string>().starts_with("\"\xef\xbf\xbd\""));  // U+FFFD
}
