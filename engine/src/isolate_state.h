// Per-isolate state shared by the host functions, the module loader and the event loop.
// Stored in isolate slot 0; every V8 callback finds it through IsolateState::of().
#pragma once

#include <v8.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/interpreter.h"
#include "src/event_loop.h"

namespace vivarium::engine::detail {

struct Timer {
  v8::Global<v8::Function> callback;
  std::vector<v8::Global<v8::Value>> arguments;
  std::chrono::steady_clock::time_point due;
};

struct IsolateState {
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::Context> context;

  std::filesystem::path assets_dir;  // canonical; the only host folder JS may read from
  std::filesystem::path cache_dir;   // empty: no code caches
  // Wheels readable besides the assets; dir is canonical, empty: no such folder.
  PackageFolder packages;  // the package folder (pyodide-lock.json)
  PackageFolder wheels;    // the extra folder of pure-Python wheels (micropip)
  WheelFetcher fetch_package_file;
  bool inherit_stdin = false;

  // Where Python's and JS's output goes: set for the duration of one execution.
  std::function<void(bool is_stderr, std::string_view)> output;

  // setTimeout/clearTimeout. Ordered by id so that equal due times run in creation order.
  std::map<std::uint32_t, Timer> timers;
  std::uint32_t next_timer_id = 1;

  // ES modules loaded from the asset folder, by canonical path.
  std::map<std::string, v8::Global<v8::Module>> modules;
  // Module code caches that were missing or rejected, to be written after boot.
  std::vector<std::string> modules_needing_code_cache;

  // The one object WebAssembly.compileStreaming accepts: it stands for pyodide.asm.wasm.
  v8::Global<v8::Object> wasm_marker;
  bool wasm_cache_hit = false;
  bool cache_unwritable = false;                 // a cache write failed: the notice was given, no more tries
  std::function<void(std::string_view)> notice;  // slow one-time work is starting

  bool heap_exhausted = false;

  // Pyodide's interrupt buffer (non-zero: an interrupt is pending). Host calls that block
  // (sleep) return early when it is set so that Python can raise KeyboardInterrupt.
  const std::int32_t* interrupt_flag = nullptr;
  // Signalled whenever the interrupt flag is set or execution is terminated, so that a
  // blocking host call (sleep) waits on it instead of polling the flag.
  LoopWakeup* wakeup = nullptr;

  static IsolateState& of(v8::Isolate* isolate) { return *static_cast<IsolateState*>(isolate->GetData(0)); }
};

// Throws a JS exception of the given constructor ("TypeError", "RangeError", "Error").
void throw_error(v8::Isolate* isolate, std::string_view message, std::string_view kind = "Error");
v8::Local<v8::String> to_v8(v8::Isolate* isolate, std::string_view text);
std::string to_std(v8::Isolate* isolate, v8::Local<v8::Value> value);

// object[key], or undefined when reading it throws.
v8::Local<v8::Value> get_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object, const char* key);
// The bytes an ArrayBufferView shows (empty for anything else).
std::string copy_bytes(v8::Local<v8::Value> value);
v8::Local<v8::Uint8Array> new_uint8array(v8::Isolate* isolate, std::string_view bytes);

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

// A read-only memory mapping of a whole file: big assets and caches (tens of MB) are
// handed to V8 without copying them through the heap.
class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  MappedFile(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  const std::uint8_t* data_;
  std::size_t size_;
};
// Writes a cache file atomically (temp + rename). Caches are optional: when one cannot
// be written (a read-only or full folder) the boot goes on uncached, with one notice
// naming the folder, and writes no further cache file.
void save_cache_file(IsolateState& state, const std::filesystem::path& path, const void* data, std::size_t size);

// Resolves a path that JS asked for and returns it only when it is a regular file inside
// the asset folder. Everything else on the host is invisible to JS.
std::optional<std::filesystem::path> allowed_host_path(const IsolateState& state, std::string_view requested);

}  // namespace vivarium::engine::detail
