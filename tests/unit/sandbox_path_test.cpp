#include "engine/sandbox_path.h"

#include <gtest/gtest.h>

using vivarium::engine::validate_sandbox_path;

TEST(SandboxPath, AcceptsRelativePathsAndNormalisesThem) {
  EXPECT_EQ(validate_sandbox_path("data.csv").value(), "data.csv");
  EXPECT_EQ(validate_sandbox_path("data/in.csv").value(), "data/in.csv");
  EXPECT_EQ(validate_sandbox_path("./a//b/./c.txt").value(), "a/b/c.txt");
  EXPECT_EQ(validate_sandbox_path("with space and ünïcode.txt").value(), "with space and ünïcode.txt");
}

TEST(SandboxPath, RejectsWhatCouldLeaveTheHomeOrConfuseTheHost) {
  EXPECT_NE(validate_sandbox_path("").error().find("empty"), std::string::npos);
  EXPECT_NE(validate_sandbox_path("/etc/passwd").error().find("absolute"), std::string::npos);
  EXPECT_NE(validate_sandbox_path("../x").error().find(".."), std::string::npos);
  EXPECT_NE(validate_sandbox_path("a/../../x").error().find(".."), std::string::npos);
  EXPECT_NE(validate_sandbox_path(std::string("a\0b", 3)).error().find("NUL"), std::string::npos);
  EXPECT_NE(validate_sandbox_path("a\nb").error().find("control"), std::string::npos);
  EXPECT_NE(validate_sandbox_path(std::string(256, 'x')).error().find("255"), std::string::npos);
  EXPECT_FALSE(validate_sandbox_path(".").has_value());
  EXPECT_FALSE(validate_sandbox_path("dir/").has_value());
}

TEST(SandboxPath, AcceptsAComponentOfExactly255Bytes) {
  EXPECT_TRUE(validate_sandbox_path(std::string(255, 'x')).has_value());
}
