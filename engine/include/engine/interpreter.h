// One Python interpreter: a V8 isolate running Pyodide. Booting and executing are separate
// steps so that a booted interpreter can be forked (see docs/architecture.md, the processes).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/execution.h"
#include "engine/package_folder.h"

namespace vivarium::engine {

struct BootOptions {
  std::filesystem::path assets_dir;  // a verified Pyodide bundle (see assets.h)
  std::filesystem::path cache_dir;   // compiled wasm / JS code caches; empty: no caching
  // When true, Python's sys.stdin reads the host process's stdin (vivarium run);
  // otherwise stdin is empty.
  bool inherit_stdin = false;
  // How long Python gets to honour KeyboardInterrupt before a hard stop.
  std::chrono::milliseconds interrupt_grace{2000};
  std::optional<PackageFolder> packages;
  // Pure-Python wheels that micropip.install may install besides the package folder's.
  std::optional<PackageFolder> wheels;
  // Packages (lock-file names) to load and import during boot; missing ones are
  // reported by missing_preloads().
  std::vector<std::string> preload;
  // Reads wheels instead of opening them (see WheelFetcher); empty: open them directly.
  WheelFetcher fetch_package_file;
  // Told about slow one-time work as it starts (the first compile of Pyodide's wasm for
  // this V8 and memory cap takes ~10 s), so that a user is not left wondering.
  std::function<void(std::string_view)> on_notice;
  // Called from the watchdog thread if even the hard stop did not bring the interpreter
  // back within another grace period (e.g. blocked in a host read). Optional.
  std::function<void()> on_unresponsive;
};

class Interpreter {
 public:
  // Creates an isolate and boots Pyodide in it. Requires Runtime::initialize() first.
  static std::expected<std::unique_ptr<Interpreter>, std::string> boot(const BootOptions& options);

  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Runs code to completion (or until a limit hits). Never throws for Python errors.
  ExecutionResult execute(const ExecutionRequest& request);

  // From any thread: raises KeyboardInterrupt in the running execution, and stops it hard
  // after the grace period if the code ignores it (as at a timeout, but the error is an
  // `execution` KeyboardInterrupt). False, and nothing happens, when nothing is running.
  bool interrupt();

  // Call in a process that fork()ed from one holding this booted interpreter, before it
  // runs anything: gives the copy its own random state (Python's `random` module).
  void reseed_after_fork();

  // Replaces BootOptions::fetch_package_file, e.g. in a forked session that can no longer
  // open files itself.
  void set_package_fetcher(WheelFetcher fetch);

  // False once a hard stop or a JS heap exhaustion left the interpreter unusable.
  bool usable() const;

  // How the boot went, for benchmarks and diagnostics.
  struct BootTimings {
    double total_ms = 0;
    bool wasm_cache_hit = false;  // compiled wasm code came from the on-disk cache
  };
  BootTimings boot_timings() const;
  // Preload packages that the package folder did not have.
  std::vector<std::string> missing_preloads() const;

  struct Impl;

 private:
  explicit Interpreter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vivarium::engine
