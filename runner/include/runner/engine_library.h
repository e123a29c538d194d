// The engine (V8 from libnode, Pyodide, the programs and sessions that run Python) lives
// in a private shared library, libvivarium-engine.so, beside the binary in the build tree
// and in the same private folder as libnode once installed. The `vivarium` binary itself
// never links libnode: it loads the library with dlopen only in the processes that run
// Python (the serve zygote, the run zygote, a --no-daemon run), so that a `vivarium run`
// through a warm zygote, `--help` and the server start in milliseconds (loading libnode
// took ~70 ms of a 78 ms `--help`). vivarium stays one command: the library is not a
// public one, and the binary and the library come from one build (kEngineAbi).
#pragma once

#include <expected>
#include <filesystem>
#include <string>

extern "C" {
// What the library offers, as a table of plain C functions.
struct VivariumEngineEntryPoints {
  unsigned abi;                                        // kEngineAbi of the build that made the library
  unsigned table_bytes;                                // sizeof of this struct there
  int (*zygote_main)(int control_fd, int parent_pid);  // `vivarium __zygote` (sessions/zygote_main.h)
  int (*run_host_main)(int boot_fd);                   // `vivarium __run-host` (runner/run_host.h)
  const char* (*v8_version)();
};
// The one exported symbol.
const VivariumEngineEntryPoints* vivarium_engine_entry_points();
}

namespace vivarium::runner {

inline constexpr unsigned kEngineAbi = 1;

// Where the library is for this executable (not loaded): beside it, else along its
// library search path (the install's RUNPATH names the private folder). The first that
// exists; the one beside the binary when none does (so that the error names it).
std::filesystem::path engine_library_path();

// Loads it once (later calls return the same table). The error names the file and the fix.
std::expected<const VivariumEngineEntryPoints*, std::string> load_engine_library();

}  // namespace vivarium::runner
