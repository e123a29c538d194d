#include "shared_interpreter.h"

#include <gtest/gtest.h>

#include "engine/assets.h"
#include "engine/runtime.h"
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

engine::ExecutionResult run(const std::string& code) {
  engine::ExecutionRequest request;
  request.code = code;
  return interpreter().execute(request);
}

}  // namespace vivarium::test_support
