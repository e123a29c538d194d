#include "src/cache_pruning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "support/subprocess.h"

namespace fs = std::filesystem;

TEST(CachePruning, KeepsTheNewestWasmCachesWithTheirJsCaches) {
  const fs::path dir = vivarium::test_support::make_temp_dir();
  const std::vector<std::string> keys = {"k-mem100", "k-mem1000", "k-mem200", "k-mem300"};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::ofstream(dir / ("pyodide.asm.wasm-9598218-" + keys[i] + ".wasmcache")) << "w";
    std::ofstream(dir / ("pyodide.asm.mjs-1250344-" + keys[i] + ".jscache")) << "j";
    fs::last_write_time(dir / ("pyodide.asm.wasm-9598218-" + keys[i] + ".wasmcache"),
                        fs::file_time_type::clock::now() - std::chrono::hours(10 - i));
  }
  std::ofstream(dir / "pyodide-memory-1-2.snapshot") << "s";
  vivarium::engine::detail::prune_old_caches(dir, 2);
  // The two oldest (k-mem100, k-mem1000) go; k-mem1000's name starts like k-mem100's.
  EXPECT_FALSE(fs::exists(dir / "pyodide.asm.wasm-9598218-k-mem100.wasmcache"));
  EXPECT_FALSE(fs::exists(dir / "pyodide.asm.mjs-1250344-k-mem100.jscache"));
  EXPECT_FALSE(fs::exists(dir / "pyodide.asm.wasm-9598218-k-mem1000.wasmcache"));
  EXPECT_FALSE(fs::exists(dir / "pyodide.asm.mjs-1250344-k-mem1000.jscache"));
  EXPECT_TRUE(fs::exists(dir / "pyodide.asm.wasm-9598218-k-mem200.wasmcache"));
  EXPECT_TRUE(fs::exists(dir / "pyodide.asm.mjs-1250344-k-mem200.jscache"));
  EXPECT_TRUE(fs::exists(dir / "pyodide.asm.wasm-9598218-k-mem300.wasmcache"));
  EXPECT_TRUE(fs::exists(dir / "pyodide-memory-1-2.snapshot"));
  fs::remove_all(dir);
}
