// Sizes and durations as the server prints and reads them (units/units.h). The
// round-trip cases are inputs tests/fuzz/units_fuzz.cpp found.
#include "units/units.h"

#include <gtest/gtest.h>

using namespace vivarium::units;

TEST(FormatSize, PrintsTheShortFormWithOneDecimalAtMost) {
  EXPECT_EQ(format_size(512), "512B");
  EXPECT_EQ(format_size(1024), "1K");
  EXPECT_EQ(format_size(1536), "1.5K");
  EXPECT_EQ(format_size(std::uint64_t{50} << 20), "50M");
  EXPECT_EQ(format_size(std::uint64_t{3} << 29), "1.5G");
}

TEST(FormatSize, AValueThatRoundsUpToTheNextUnitIsShownInIt) {
  // Was "1024K": pasted back as a flag it reads as 1M, which then prints differently.
  EXPECT_EQ(format_size((std::uint64_t{1} << 20) - 1), "1M");
  EXPECT_EQ(format_size((std::uint64_t{1} << 30) - 1), "1G");
}

TEST(FormatSize, TerabytesParseBack) {
  // format_size printed "2T" for 2 TiB and parse_size rejected its own output: unknown unit 'T'.
  EXPECT_EQ(format_size(std::uint64_t{2} << 40), "2T");
  EXPECT_EQ(parse_size("2T").value(), std::uint64_t{2} << 40);
  EXPECT_EQ(parse_size("1.5tib").value(), std::uint64_t{3} << 39);
}

TEST(FormatSize, HugeValuesHaveNoExponent) {
  // "%g" printed 2^64-1 bytes as "1.67772e+07T".
  EXPECT_EQ(format_size(UINT64_MAX), "16777216T");
  EXPECT_EQ(format_size(1'000'000'000'000'000'000ULL), "909494.7T");
  EXPECT_TRUE(parse_size(format_size(1'000'000'000'000'000'000ULL)).has_value());
}

TEST(ParseSize, RejectsAnUnknownUnitNamingTheOnesItKnows) {
  EXPECT_NE(parse_size("3P").error().find("use K, M, G or T"), std::string::npos);
}
