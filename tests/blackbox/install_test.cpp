// `cmake --install` gives a vivarium that works outside the build tree.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/subprocess.h"

namespace fs = std::filesystem;
using namespace vivarium::test_support;

TEST(Install, InstalledBinaryFindsItsAssetsAndLibrariesNextToItself) {
  const fs::path prefix = fs::path(make_temp_dir()) / "prefix";
  const fs::path build_dir = fs::path(vivarium_binary()).parent_path();
  auto installed = run_process({"/usr/bin/cmake", "--install", build_dir.string(), "--prefix", prefix.string()});
  ASSERT_EQ(installed.exit_status, 0) << installed.out << installed.err;
  ASSERT_TRUE(fs::exists(prefix / "share" / "vivarium" / "pyodide" / "pyodide.asm.wasm"));
  ASSERT_TRUE(fs::exists(prefix / "share" / "man" / "man1" / "vivarium.1"));
  ASSERT_TRUE(fs::exists(prefix / "share" / "bash-completion" / "completions" / "vivarium"));

  // Run from an unrelated directory, with the build tree's assets out of reach.
  auto result =
      run_process({(prefix / "bin" / "vivarium").string(), "run", "-c", "print('installed ok')"}, {.working_dir = "/"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "installed ok\n");

  // --assets and VIVARIUM_ASSETS point elsewhere when asked.
  auto missing = run_process({(prefix / "bin" / "vivarium").string(), "run", "-c", "1"},
                             {.env = {{"VIVARIUM_ASSETS", "/nonexistent"}}});
  EXPECT_EQ(missing.exit_status, 125);
  fs::remove_all(prefix.parent_path());
}
