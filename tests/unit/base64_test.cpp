#include "engine/base64.h"

#include <gtest/gtest.h>

using namespace vivarium::engine;

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
  EXPECT_EQ(base64_decode("").value(), "");
  EXPECT_EQ(base64_decode("SGVsbG8gV29ybGQ=").value(), "Hello World");
  EXPECT_EQ(base64_decode("Y29sdW1uMSx2YWx1ZTEKY29sdW1uMiw=").value(), "column1,value1\ncolumn2,");
  EXPECT_EQ(base64_decode("AA==").value(), std::string(1, '\0'));
  EXPECT_EQ(base64_decode("AAA=").value(), std::string(2, '\0'));
}

TEST(Base64, RejectsInvalidInputSayingWhatIsWrong) {
  auto error = [](std::string_view text) {
    auto decoded = base64_decode(text);
    EXPECT_FALSE(decoded.has_value()) << text;
    return decoded ? std::string() : decoded.error();
  };
  EXPECT_EQ(error("abc"), "base64 data has 3 characters, which is not a multiple of 4 (is its '=' padding missing?)");
  EXPECT_EQ(error("ab!d"), "base64 data has a character outside the alphabet at offset 2 (byte 33)");
  EXPECT_EQ(error("ab c"), "base64 data has a character outside the alphabet at offset 2 (byte 32)");
  EXPECT_EQ(error("abc\n"), "base64 data has a character outside the alphabet at offset 3 (byte 10)");
  EXPECT_EQ(error("a=bc"), "base64 padding '=' at offset 1 is misplaced: it may only end the data");
  EXPECT_EQ(error("===="), "base64 padding '=' at offset 0 is misplaced: it may only end the data");
  EXPECT_EQ(error("A==="), "base64 padding '=' at offset 1 is misplaced: it may only end the data");
  EXPECT_EQ(error("AA==AA=="), "base64 padding '=' at offset 2 is misplaced: it may only end the data");
}
