#include "cli/options_parsing.h"

#include <gtest/gtest.h>

using namespace vivarium::cli;

TEST(ParseSize, UnderstandsSuffixesAndPlainMebibytes) {
  EXPECT_EQ(parse_size("256M").value(), 256ull << 20);
  EXPECT_EQ(parse_size("2G").value(), 2ull << 30);
  EXPECT_EQ(parse_size("2g").value(), 2ull << 30);
  EXPECT_EQ(parse_size("512k").value(), 512ull << 10);
  EXPECT_EQ(parse_size("300").value(), 300ull << 20);
  EXPECT_EQ(parse_size("1.5G").value(), 3ull << 29);
  EXPECT_EQ(parse_size("64MiB").value(), 64ull << 20);
  EXPECT_EQ(parse_size("1024B").value(), 1024ull);
}

TEST(ParseSize, RejectsNonsenseWithAMessageNamingIt) {
  EXPECT_NE(parse_size("lots").error().find("'lots'"), std::string::npos);
  EXPECT_NE(parse_size("12X").error().find("unit"), std::string::npos);
  EXPECT_FALSE(parse_size("").has_value());
  EXPECT_FALSE(parse_size("-5M").has_value());
  EXPECT_FALSE(parse_size("0").has_value());
}

TEST(ParseSeconds, AcceptsDecimals) {
  EXPECT_EQ(parse_seconds("2").value().count(), 2000);
  EXPECT_EQ(parse_seconds("0.25").value().count(), 250);
  EXPECT_EQ(parse_seconds("1.5").value().count(), 1500);
}

TEST(ParseSeconds, RejectsZeroNegativeAndGarbage) {
  EXPECT_FALSE(parse_seconds("0").has_value());
  EXPECT_FALSE(parse_seconds("-1").has_value());
  EXPECT_FALSE(parse_seconds("abc").has_value());
  EXPECT_FALSE(parse_seconds("1s").has_value());
  EXPECT_FALSE(parse_seconds("nan").has_value());
  EXPECT_FALSE(parse_seconds("inf").has_value());
}

TEST(ParseFileSpec, DefaultsToTheHostFileName) {
  auto spec = parse_file_spec("some/dir/data.csv").value();
  EXPECT_EQ(spec.host, "some/dir/data.csv");
  EXPECT_EQ(spec.sandbox, "data.csv");
}

TEST(ParseFileSpec, TakesTheSandboxPathAfterTheLastColon) {
  auto spec = parse_file_spec("in/x.csv:data/x.csv").value();
  EXPECT_EQ(spec.host, "in/x.csv");
  EXPECT_EQ(spec.sandbox, "data/x.csv");
}

TEST(ParseFileSpec, RejectsSandboxPathsOutsideTheHome) {
  EXPECT_NE(parse_file_spec("x:/etc/passwd").error().find("absolute"), std::string::npos);
  EXPECT_NE(parse_file_spec("x:../up").error().find(".."), std::string::npos);
  EXPECT_FALSE(parse_file_spec("").has_value());
  EXPECT_FALSE(parse_file_spec(":target").has_value());
}
