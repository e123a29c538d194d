#include "shared_interpreter.h"

#include <gtest/gtest.h>

#include "engine/assets.h"
#include "engine/runtime.h"
#include "packages/packages.h"
#include "packages/wheel_folder.h"
#include "support/subprocess.h"

namespace vivarium::test_support {

std::unique_ptr<engine::Interpreter> boot_interpreter() {
  engine::RuntimeOptions runtime;
  runtime.wasm_memory_limit = kTestMemoryLimit;
  if (!engine::Runtime::initialize(runtime)) throw std::runtime_error("V8 initialisation failed");
  engine::BootOptions options;
  options.assets_dir = std::filesystem::path(source_dir()) / "assets" / "pyodide";
  options.cache_dir = engine::default_cache_dir();
  options.interrupt_grace = std::chrono::milliseconds(1500);
  auto booted = engine::Interpreter::boot(options);
  if (!booted) throw std::runtime_error("boot failed: " + booted.error());
  return std::move(*booted);
}

engine::Interpreter& interpreter() {
  static std::unique_ptr<engine::Interpreter> shared;
  if (!shared || !shared->usable()) shared = boot_interpreter();
  return *shared;
}

std::unique_ptr<engine::Interpreter> boot_with(const std::filesystem::path& dir, std::vector<std::string> preload,
                                               const std::filesystem::path& wheels) {
  interpreter();  // initialises V8 with the tests' options
  engine::BootOptions options;
  options.assets_dir = std::filesystem::path(source_dir()) / "assets" / "pyodide";
  options.cache_dir = engine::default_cache_dir();
  auto folder = packages::load_package_folder(dir);
  EXPECT_TRUE(folder.has_value() && folder->has_value()) << dir;
  if (folder && *folder) options.packages = (*folder)->folder;
  options.preload = std::move(preload);
  if (!wheels.empty()) {
    auto listing = packages::list_wheel_folder(wheels);
    EXPECT_TRUE(listing.has_value() && listing->has_value()) << wheels;
    if (listing && *listing) options.wheels = (*listing)->folder;
  }
  auto booted = engine::Interpreter::boot(options);
  EXPECT_TRUE(booted.has_value()) << (booted ? "" : booted.error());
  return booted ? std::move(*booted) : nullptr;
}

engine::ExecutionResult run(const std::string& code) {
  engine::ExecutionRequest request;
  request.code = code;
  return interpreter().execute(request);
}

}  // namespace vivarium::test_support
