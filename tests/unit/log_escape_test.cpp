#include "server/log_escape.h"

#include <gtest/gtest.h>

using namespace vivarium::server;

TEST(LogEscape, ControlCharactersCannotStartALine) {
  EXPECT_EQ(escape_for_log("/x\nINFO forged"), "/x%0AINFO forged");
  EXPECT_EQ(escape_for_log(std::string("a\r\tb\x7f\0c", 7)), "a%0D%09b%7F%00c");
}

TEST(LogEscape, PercentIsEscapedSoTheTextReadsBackUnambiguously) { EXPECT_EQ(escape_for_log("/a%0Ab"), "/a%250Ab"); }

TEST(LogEscape, OrdinaryTextAndUtf8StayAsTheyAre) {
  EXPECT_EQ(escape_for_log("/sessions/abc-1.2:3_x"), "/sessions/abc-1.2:3_x");
  EXPECT_EQ(escape_for_log("/caf\xc3\xa9"), "/caf\xc3\xa9");
}
