#include "engine/assets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/subprocess.h"

namespace fs = std::filesystem;
using namespace vivarium;

namespace {
fs::path real_assets() { return fs::path(test_support::source_dir()) / "assets" / "pyodide"; }

fs::path copy_of_assets() {
  const fs::path dir = fs::path(test_support::make_temp_dir()) / "pyodide";
  fs::create_directories(dir);
  for (const auto& file : engine::pinned_asset_files()) fs::copy_file(real_assets() / file.name, dir / file.name);
  return dir;
}
}  // namespace

TEST(Assets, TheFetchedBundleIsComplete) { EXPECT_TRUE(engine::check_assets(real_assets(), true).has_value()); }

TEST(Assets, AMissingFolderIsRefusedWithHowToFixIt) {
  auto checked = engine::check_assets("/nonexistent/pyodide", false);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().find("not found"), std::string::npos);
  EXPECT_NE(checked.error().find("make setup"), std::string::npos);
}

TEST(Assets, ATruncatedFileIsRefused) {
  const auto dir = copy_of_assets();
  fs::resize_file(dir / "pyodide.asm.wasm", 1000);
  auto checked = engine::check_assets(dir, false);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().find("pyodide.asm.wasm"), std::string::npos);
  EXPECT_NE(checked.error().find("corrupt"), std::string::npos);
  fs::remove_all(dir.parent_path());
}

TEST(Assets, CorruptContentOfTheRightSizeFailsTheFullCheck) {
  const auto dir = copy_of_assets();
  {
    std::fstream f(dir / "python_stdlib.zip", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.write("XXXX", 4);
  }
  EXPECT_TRUE(engine::check_assets(dir, false).has_value());
  auto checked = engine::check_assets(dir, true);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().find("sha256"), std::string::npos);
  fs::remove_all(dir.parent_path());
}

TEST(Assets, ExplicitFolderWinsOverTheSearchPath) {
  auto path = engine::asset_search_path(fs::path("/explicit"), "/usr/bin/vivarium");
  ASSERT_EQ(path.size(), 1u);
  EXPECT_EQ(path[0], "/explicit");
  auto found = engine::asset_search_path(std::nullopt, "/opt/v/bin/vivarium");
  EXPECT_NE(std::find(found.begin(), found.end(), fs::path("/opt/v/share/vivarium/pyodide")), found.end());
}
