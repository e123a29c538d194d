// Per-isolate state shared by the host functions, the module loader and the event loop.
// Stored in isolate slot 0; every V8 callback finds it through IsolateState::of().
// Only the state lives here: V8 helpers are in v8_util.h, host file access in host_io.h,
// the wheel folders in package_files.h.
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

#include "src/host_io.h"
#include "src/loop_wakeup.h"
#include "src/package_files.h"

namespace vivarium::engine::detail {

struct Timer {
  v8::Global<v8::Function> callback;
  std::vector<v8::Global<v8::Value>> arguments;
  std::chrono::steady_clock::time_point due;
};

struct IsolateState {
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::Context> context;

  std::filesystem::path assets_dir;  // canonical, checked; the only host folder JS may read from
  std::filesystem::path cache_dir;   // empty: no code caches
  PackageFiles package_files;        // wheels readable besides the assets
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

  // The memory snapshot being restored: mapped by loadSnapshot, copied into the wasm
  // memory by placeSnapshot, then released.
  std::shared_ptr<const MappedFile> pending_snapshot;

  // The one object WebAssembly.compileStreaming accepts, while compile_pyodide_wasm runs:
  // it stands for pyodide.asm.wasm.
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

// Writes a cache file atomically. Caches are optional: when one cannot be written (a
// read-only or full folder) the boot goes on uncached, with one notice naming the
// folder, and writes no further cache file.
void save_cache_file(IsolateState& state, const std::filesystem::path& path, const void* data, std::size_t size);

// The host file JS asked for, when JS may read it (see visible_host_path in host_io.h).
std::optional<std::filesystem::path> allowed_host_path(const IsolateState& state, std::string_view requested);

}  // namespace vivarium::engine::detail
