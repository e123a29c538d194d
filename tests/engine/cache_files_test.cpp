// The on-disk caches are an optimisation: a cache file that is missing, damaged or
// changed must cost at most a slower start, never a crash or a wrong interpreter. Each
// test boots from a copy of the warm test cache with one file altered.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/assets.h"
#include "engine/interpreter.h"
#include "engine/runtime.h"
#include "shared_interpreter.h"
#include "support/subprocess.h"

using namespace vivarium;
namespace fs = std::filesystem;

namespace {

class CacheFiles : public testing::Test {
 protected:
  // A copy of the tests' caches (the warm_cache fixture made them). Nothing is booted from
  // the shared folder first when they exist: V8 would keep that module in the process
  // and hand it out again instead of loading the altered cache.
  void SetUp() override {
    engine::RuntimeOptions runtime;
    runtime.wasm_memory_limit = test_support::kTestMemoryLimit;
    ASSERT_TRUE(engine::Runtime::initialize(runtime).has_value());
    std::string wasm_cache = "pyodide.asm.wasm-";
    for (const auto& file : engine::pinned_asset_files())
      if (std::string_view(file.name) == "pyodide.asm.wasm") wasm_cache += std::to_string(file.size);
    const auto ours =
        engine::default_cache_dir() / (wasm_cache + "-" + engine::Runtime::code_cache_key() + ".wasmcache");
    if (!fs::exists(ours)) test_support::interpreter();  // no fixture ran: make them
    cache_ = fs::path(test_support::make_temp_dir()) / "cache";
    fs::create_directories(cache_);
    for (const auto& entry : fs::directory_iterator(engine::default_cache_dir()))
      if (entry.is_regular_file()) fs::copy_file(entry.path(), cache_ / entry.path().filename());
  }
  void TearDown() override { fs::remove_all(cache_.parent_path()); }

  std::vector<fs::path> files_ending(const std::string& suffix) const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(cache_))
      if (entry.path().filename().string().ends_with(suffix)) found.push_back(entry.path());
    return found;
  }

  // Boots from the altered cache and runs a line that needs the whole interpreter.
  engine::BootOptions boot_options() const {
    engine::BootOptions options;
    options.assets_dir = fs::path(test_support::source_dir()) / "assets" / "pyodide";
    options.cache_dir = cache_;
    return options;
  }

  void expect_boot_and_run() const {
    auto booted = engine::Interpreter::boot(boot_options());
    ASSERT_TRUE(booted.has_value()) << booted.error();
    engine::ExecutionRequest request;
    request.code =
        "import decimal, json, re, statistics, sys\n"
        "print(json.dumps({'sum': sum(range(10))}), sys.version_info[:2], statistics.mean([1, 2]),\n"
        "      decimal.Decimal(1) / 8, re.findall(r'\\d+', 'a1b22'))";
    const auto result = (*booted)->execute(request);
    ASSERT_FALSE(result.error.has_value()) << result.error->message;
    EXPECT_EQ(result.std_out, "{\"sum\": 45} (3, 14) 1.5 0.125 ['1', '22']\n");
  }

  fs::path cache_;
};

void flip_byte(const fs::path& path, std::size_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.get(byte);
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(byte ^ 0x5a));
}

}  // namespace

// With the compiled wasm cached but no JS code cache for pyodide.asm.mjs, V8 read a
// stale handle as the context and every start crashed (SIGSEGV) until the cache folder
// was emptied; now the JS is compiled again and cached.
TEST_F(CacheFiles, MissingJsCodeCachesNextToTheWasmCacheAreRebuilt) {
  const std::string ours = "-" + engine::Runtime::code_cache_key() + ".jscache";  // the tests' memory cap
  const auto js_caches = files_ending(ours);
  ASSERT_FALSE(js_caches.empty());
  for (const auto& path : js_caches) fs::remove(path);
  ASSERT_EQ(files_ending("-" + engine::Runtime::code_cache_key() + ".wasmcache").size(), 1u);
  expect_boot_and_run();
  EXPECT_EQ(files_ending(ours).size(), js_caches.size());
}

// A damaged JS code cache is rejected by V8 (it checks a checksum): the same path as a
// missing one.
TEST_F(CacheFiles, DamagedJsCodeCacheIsRejected) {
  for (const auto& path : files_ending("-" + engine::Runtime::code_cache_key() + ".jscache"))
    flip_byte(path, fs::file_size(path) / 2);
  expect_boot_and_run();
}

// A snapshot file cut short would have restored a partial memory image (a broken
// interpreter at every start); without its trailer it is refused, the boot starts
// CPython afresh (seconds, once) and writes a whole one.
TEST_F(CacheFiles, TruncatedMemorySnapshotIsMadeAgain) {
  const auto snapshots = files_ending("-v3.snapshot");
  ASSERT_EQ(snapshots.size(), 1u);
  const auto size = fs::file_size(snapshots[0]);
  fs::resize_file(snapshots[0], size - (1 << 20));
  expect_boot_and_run();
  EXPECT_EQ(fs::file_size(snapshots[0]), size);
}

// V8 checks a cached module's header, not its length: one cut short booted, and crashed
// (SIGSEGV) in the first code it lacked. Without its trailer it is compiled again (~10 s)
// and written whole, so that the next boot loads it.
TEST_F(CacheFiles, TruncatedWasmCacheIsCompiledAgain) {
  const auto caches = files_ending("-" + engine::Runtime::code_cache_key() + ".wasmcache");
  ASSERT_EQ(caches.size(), 1u);
  const auto size = fs::file_size(caches[0]);
  fs::resize_file(caches[0], size / 2);
  expect_boot_and_run();
  EXPECT_GT(fs::file_size(caches[0]), size / 2);
  auto again = engine::Interpreter::boot(boot_options());
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_TRUE((*again)->boot_timings().wasm_cache_hit);
}
