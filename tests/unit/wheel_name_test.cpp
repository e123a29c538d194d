// What a wheel file name says, and which wheels Pyodide can install: the rules that the
// package listings and micropip (through the host function `wheelname`) share.
#include "engine/wheel_name.h"

#include <gtest/gtest.h>

using vivarium::engine::is_pure_python3;
using vivarium::engine::parse_wheel_file_name;

TEST(WheelName, SplitsTheFiveOrSixParts) {
  auto plain = parse_wheel_file_name("my_pkg-1.0-py3-none-any.whl");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->name, "my_pkg");
  EXPECT_EQ(plain->version, "1.0");
  EXPECT_EQ(plain->python_tag, "py3");
  EXPECT_EQ(plain->abi_tag, "none");
  EXPECT_EQ(plain->platform_tag, "any");
  auto with_build = parse_wheel_file_name("pkg-2.0-1-py2.py3-none-any.whl");
  ASSERT_TRUE(with_build);
  EXPECT_EQ(with_build->version, "2.0");
  EXPECT_EQ(with_build->python_tag, "py2.py3");
}

TEST(WheelName, NamesWhatIsWrongWithANonWheel) {
  EXPECT_EQ(parse_wheel_file_name("pkg-1.0.tar.gz").error(), "not a wheel (the name does not end in .whl)");
  EXPECT_EQ(parse_wheel_file_name("pkg-1.0-py3.whl").error(),
            "not a wheel file name (expected name-version[-build]-python-abi-platform.whl)");
  EXPECT_EQ(parse_wheel_file_name("pkg--py3-none-any.whl").error(), "not a wheel file name (an empty part)");
}

TEST(WheelName, OnlyAnyPython3AnyPlatformWheelsArePure) {
  EXPECT_TRUE(is_pure_python3(*parse_wheel_file_name("a-1-py3-none-any.whl")));
  EXPECT_TRUE(is_pure_python3(*parse_wheel_file_name("a-1-py2.py3-none-any.whl")));
  EXPECT_TRUE(is_pure_python3(*parse_wheel_file_name("a-1-py312-none-any.whl")));
  EXPECT_FALSE(is_pure_python3(*parse_wheel_file_name("a-1-py2-none-any.whl")));
  EXPECT_FALSE(is_pure_python3(*parse_wheel_file_name("a-1-cp312-cp312-manylinux_2_17_x86_64.whl")));
  EXPECT_FALSE(is_pure_python3(*parse_wheel_file_name("a-1-py3-abi3-any.whl")));
}
