#include "sandbox/id_range.h"

#include <gtest/gtest.h>

using namespace vivarium::sandbox;

TEST(IdRange, ParsesFirstDashLast) {
  const auto range = parse_id_range("1879048192-1879113727");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 1879048192u);
  EXPECT_EQ(range->count, 65536u);
  EXPECT_EQ(identity_in(*range, 65537).uid, 1879048193u) << "slots wrap around the range";
}

TEST(IdRange, RefusesRootReversedAndNonNumbersWithTheReason) {
  for (auto [text, reason] : {std::pair{"0-100", "uid 0 is root"},
                              {"200-100", "LAST is below FIRST"},
                              {"abc-100", "FIRST is not a number"},
                              {"100", "no '-'"},
                              {"100-4294967295", "below 4294967295"}}) {
    const auto range = parse_id_range(text);
    ASSERT_FALSE(range) << text;
    EXPECT_EQ(range.error().kind, SandboxError::Kind::invalid);
    EXPECT_NE(range.error().message.find(reason), std::string::npos) << range.error().message;
  }
}
