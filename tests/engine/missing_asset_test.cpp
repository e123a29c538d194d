// A bundle missing any one of its required files is refused with the message that says
// how to fix it, both by check_assets and by Interpreter::boot, which checks the bundle
// before it derives any path from it (it used to measure pyodide.asm.wasm for the
// snapshot's name first, and a missing file threw std::filesystem::filesystem_error).
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "engine/assets.h"
#include "engine/interpreter.h"
#include "shared_interpreter.h"
#include "support/subprocess.h"

using namespace vivarium;
namespace fs = std::filesystem;

namespace {
constexpr const char* kFixHint =
    "run `make setup` (or scripts/fetch-pyodide.sh) in the vivarium source tree, "
    "or point --assets / VIVARIUM_ASSETS at a pyodide 314.0.7 bundle";

class MissingAsset : public testing::TestWithParam<std::string> {
 protected:
  // The bundle as symbolic links to the real files, without the one under test.
  void SetUp() override {
    root_ = fs::path(test_support::make_temp_dir());
    bundle_ = root_ / "pyodide";
    fs::create_directories(bundle_);
    const fs::path real = fs::path(test_support::source_dir()) / "assets" / "pyodide";
    for (const auto& file : engine::pinned_asset_files())
      if (file.name != GetParam()) fs::create_symlink(real / file.name, bundle_ / file.name);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string expected_message() const {
    return "Pyodide asset " + (bundle_ / GetParam()).string() + " is missing: " + kFixHint;
  }
  fs::path root_, bundle_;
};

std::vector<std::string> required_files() {
  std::vector<std::string> names;
  for (const auto& file : engine::pinned_asset_files()) names.emplace_back(file.name);
  return names;
}

std::string test_name(const testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}
}  // namespace

TEST_P(MissingAsset, CheckAssetsNamesTheFileAndHowToFixIt) {
  auto checked = engine::check_assets(bundle_, false);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error(), expected_message());
}

TEST_P(MissingAsset, BootRefusesTheBundleWithTheSameMessage) {
  test_support::interpreter();  // initialises V8 with the tests' options
  engine::BootOptions options;
  options.assets_dir = bundle_;
  options.cache_dir = root_ / "cache";  // a cache folder: the snapshot's name is derived from the bundle
  auto booted = engine::Interpreter::boot(options);
  ASSERT_FALSE(booted.has_value());
  EXPECT_EQ(booted.error(), expected_message());
}

INSTANTIATE_TEST_SUITE_P(EachRequiredFile, MissingAsset, testing::ValuesIn(required_files()), test_name);
