// Which warm zygote a `vivarium run` may use (docs/run-daemon.md). A zygote is what it
// booted: this binary and its engine library, the Pyodide assets, the package and wheel
// folders, the cache folder, the memory limit, the preload list and any V8 flags. The key
// is a hash of all of them, so another configuration, or a rebuilt binary, finds another
// zygote, never a stale one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vivarium::runner {

struct DaemonSettings {
  std::filesystem::path executable;      // /proc/self/exe
  std::filesystem::path engine_library;  // engine_library.h's path
  std::filesystem::path assets_dir;      // located and canonical
  std::filesystem::path packages_dir, wheels_dir, cache_dir;
  std::uint64_t memory_limit = 0;
  std::vector<std::string> preload;
  std::string v8_flags;  // $VIVARIUM_V8_FLAGS
};

// 32 hex digits. Costs a stat of each input file and a listing of the package and wheel
// folders (well under a millisecond for Pyodide's full distribution).
std::string daemon_key(const DaemonSettings& settings);

// One line for `vivarium daemon status`.
std::string describe(const DaemonSettings& settings);

// The GNU build id of the running executable (hex), read from its loaded notes; empty
// when the linker wrote none.
std::string executable_build_id();

}  // namespace vivarium::runner
