// Process-wide V8 set-up. V8 is initialised once per process with a single-threaded
// platform, so that a process holding a booted interpreter can fork (docs/architecture.md).
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace vivarium::engine {

struct RuntimeOptions {
  // Cap on each interpreter's WebAssembly memory (Python's heap), in bytes.
  std::uint64_t wasm_memory_limit = std::uint64_t{1} << 30;
  // Cap on each isolate's JavaScript heap, in bytes.
  std::uint64_t js_heap_limit = std::uint64_t{512} << 20;
  // Cap on the ArrayBuffer memory each isolate holds outside its heap (typed arrays
  // Python creates through `js`); past it `new ArrayBuffer` throws RangeError.
  std::uint64_t array_buffer_limit = std::uint64_t{512} << 20;
};

class Runtime {
 public:
  // Idempotent for identical options; the first call wins.
  static std::expected<void, std::string> initialize(const RuntimeOptions& options);
  static const RuntimeOptions& options();
  static std::string v8_version();
  // A short string that changes whenever compiled code caches become invalid
  // (V8 version and the flags that affect code generation).
  static std::string code_cache_key();
};

}  // namespace vivarium::engine
