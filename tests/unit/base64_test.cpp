#include "server/base64.h"

#include <gtest/gtest.h>

using namespace vivarium::server;

TEST(Base64, RoundTripsBinaryData) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (std::size_t n = 0; n <= bytes.size(); n += 37) {
    const auto part = bytes.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(part)).value(), part);
  }
}

TEST(Base64, MatchesKnownVectors) {
  EXPECT_EQ(base64_encode("Hello World"), "SGVsbG8gV29ybGQ=");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_decode("SGVsbG8gV29ybGQ=").value(), "Hello World");
  EXPECT_EQ(base64_decode("Y29sdW1uMSx2YWx1ZTEKY29sdW1uMiw=").value(), "column1,value1\ncolumn2,");
}

TEST(Base64, RejectsInvalidInput) {
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("ab!d").has_value());
  EXPECT_FALSE(base64_decode("a=bc").has_value());
  EXPECT_FALSE(base64_decode("ab c").has_value());
  EXPECT_FALSE(base64_decode("====").has_value());
}
