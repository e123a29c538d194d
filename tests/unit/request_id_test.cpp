// X-Request-Id: the caller's when sane, else 32 fresh hex digits.
#include "server/request_id.h"

#include <gtest/gtest.h>

#include <set>

using namespace vivarium::server;

TEST(RequestId, SaneIdsAreKeptAsTheyAre) {
  EXPECT_EQ(request_id_for("abc-1"), "abc-1");
  EXPECT_EQ(request_id_for("3fa85f64-5717-4562-b3fc-2c963f66afa6"), "3fa85f64-5717-4562-b3fc-2c963f66afa6");
  EXPECT_EQ(request_id_for("trace:00.span_1"), "trace:00.span_1");
  EXPECT_EQ(request_id_for(std::string(128, 'a')), std::string(128, 'a'));
}

TEST(RequestId, AnythingElseIsReplaced) {
  for (const std::string& bad :
       {std::string(), std::string(129, 'a'), std::string("a b"), std::string("a\r\nX: y"),
        std::string("a\nINFO forged"), std::string("caf\xc3\xa9"), std::string("a/b"), std::string("a\"b")}) {
    EXPECT_FALSE(is_sane_request_id(bad)) << bad;
    const auto id = request_id_for(bad);
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 32u);
  }
}

TEST(RequestId, NewIdsAre32LowercaseHexDigitsAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto id = new_request_id();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}
