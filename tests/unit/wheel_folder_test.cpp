// Listing the extra wheel folder: which files micropip may install, and why others not.
#include "packages/wheel_folder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "packages/packages.h"

namespace fs = std::filesystem;
using namespace vivarium::packages;

TEST(WheelFolder, ListsPurePythonWheelsWithTheirSha256AndExplainsTheRest) {
  const fs::path dir = fs::temp_directory_path() / ("vivarium-wheel-folder-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub-1.0-py3-none-any.whl");  // a folder, not a wheel
  auto write = [&](const std::string& name, const std::string& content) { std::ofstream(dir / name) << content; };
  write("b_pkg-2.0-py2.py3-none-any.whl", "abc");
  write("a_pkg-1.0-py3-none-any.whl", "");
  write("native-1.0-cp312-cp312-linux_x86_64.whl", "x");
  write("old-1.0-py2-none-any.whl", "x");
  write("broken.whl", "x");
  write("notes.txt", "not a wheel at all");
  fs::create_symlink(dir / "a_pkg-1.0-py3-none-any.whl", dir / "linked-1.0-py3-none-any.whl");

  auto listing = list_wheel_folder(dir);
  ASSERT_TRUE(listing && *listing);
  const auto& wheels = (*listing)->wheels;
  ASSERT_EQ(wheels.size(), 2u);
  EXPECT_EQ(wheels[0].file_name, "a_pkg-1.0-py3-none-any.whl");
  EXPECT_EQ(wheels[1].name, "b_pkg");
  EXPECT_EQ(wheels[1].version, "2.0");
  EXPECT_EQ((*listing)->folder.sha256_by_file.at("b_pkg-2.0-py2.py3-none-any.whl"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto& skipped = (*listing)->skipped;
  ASSERT_EQ(skipped.size(), 4u);
  EXPECT_EQ(skipped[0].rfind("broken.whl: not a wheel file name", 0), 0u) << skipped[0];
  EXPECT_EQ(skipped[1], "linked-1.0-py3-none-any.whl: a symbolic link; put the wheel itself in the folder");
  EXPECT_EQ(skipped[2],
            "native-1.0-cp312-cp312-linux_x86_64.whl: not a pure-Python 3 wheel (tags cp312-cp312-linux_x86_64)");
  EXPECT_EQ(skipped[3].rfind("old-1.0-py2-none-any.whl: not a pure-Python 3 wheel", 0), 0u) << skipped[3];

  EXPECT_FALSE(*list_wheel_folder(dir / "absent")) << "a missing folder means no wheels, not an error";
  fs::remove_all(dir);
}

TEST(WheelFolder, TheWarningNamesTenWheelsAtMost) {
  std::vector<std::string> skipped;
  for (int i = 0; i < 12; ++i) skipped.push_back("native" + std::to_string(i) + ".whl: not a pure-Python 3 wheel");
  const auto warning = vivarium::packages::skipped_wheels_warning(skipped, "/w");
  EXPECT_NE(warning.find("native9.whl"), std::string::npos);
  EXPECT_EQ(warning.find("native10.whl"), std::string::npos);
  EXPECT_NE(warning.find("... and 2 more"), std::string::npos) << warning;
  EXPECT_EQ(vivarium::packages::skipped_wheels_warning({}, "/w"), "");
}
