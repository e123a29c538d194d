// `vivarium serve` settings from a .env file (server/config.h). The quoting cases are
// from tests/fuzz/dotenv_fuzz.cpp.
#include "server/config.h"

#include <gtest/gtest.h>

using namespace vivarium::server;

TEST(ParseDotenv, ReadsKeysValuesCommentsExportAndQuotes) {
  const auto values =
      parse_dotenv("# settings\n\nexport PORT=8080\n  HOST = '0.0.0.0'  \nLOG_LEVEL=warn # quiet\r\n").value();
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"PORT", "8080"}, {"HOST", "0.0.0.0"}, {"LOG_LEVEL", "warn"}}));
}

TEST(ParseDotenv, AQuotedValueMayBeFollowedByAComment) {
  // Was '"512M" # per session' kept whole, quotes and all, so MEMORY_LIMIT was invalid
  // and a quoted path silently gained quotes and a comment.
  const auto values = parse_dotenv("MEMORY_LIMIT=\"512M\" # per session\nVIVARIUM_WHEELS_DIR='/srv/w # 2'#x\n").value();
  EXPECT_EQ(values.at("MEMORY_LIMIT"), "512M");
  EXPECT_EQ(values.at("VIVARIUM_WHEELS_DIR"), "/srv/w # 2");
}

TEST(ParseDotenv, AQuotedValueEndsAtItsClosingQuote) {
  // Was accepted as a value holding an inner quote: a"b. There are no escapes, so a
  // quoted value cannot hold its own quote, and a .env written back is unambiguous.
  EXPECT_EQ(parse_dotenv("A=1\nK=\"a\"b\"\n").error(),
            ".env line 2: text after the closing quote; put a # before a comment");
  // Was accepted as the value "abc with its opening quote.
  EXPECT_EQ(parse_dotenv("K=\"abc\n").error(),
            ".env line 1: the value has no closing \"; end it with the quote it starts with");
  EXPECT_EQ(parse_dotenv("K=\"it's\"\n").value().at("K"), "it's");
}

TEST(ParseDotenv, ALineWithoutKeyAndEqualsIsAnErrorNamingIt) {
  EXPECT_EQ(parse_dotenv("PORT=1\nPORT\n").error(), ".env line 2: expected KEY=VALUE");
  EXPECT_EQ(parse_dotenv("=1\n").error(), ".env line 1: expected KEY=VALUE");
}
