#include "engine/runtime.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <cstdlib>
#include <memory>
#include <mutex>

#include "src/v8_process.h"

namespace vivarium::engine {
namespace {

std::once_flag g_once;
RuntimeOptions g_options;
// Never destroyed: isolates held in static objects may be disposed during exit, and
// they need the platform until the very end.
v8::Platform* g_platform = nullptr;
std::string g_flags;

constexpr std::uint64_t kWasmPageSize = 64 * 1024;

}  // namespace

std::expected<void, std::string> Runtime::initialize(const RuntimeOptions& options) {
  if (options.wasm_memory_limit < (std::uint64_t{64} << 20))
    return std::unexpected("memory limit must be at least 64 MiB (Python needs about 40 MiB to start)");
  if (options.wasm_memory_limit > (std::uint64_t{4} << 30))
    return std::unexpected("memory limit must be at most 4 GiB (the WebAssembly address space)");
  std::call_once(g_once, [&] {
    g_options = options;
    // --single-threaded: no V8 threads, so a process holding a booted interpreter can
    //   fork. --no-liftoff: single-threaded V8 never tiers wasm up, so compile with
    //   TurboFan once (and cache it) instead of running Python 8x slower.
    // --wasm-max-mem-pages: Python's heap cap; growth past it makes malloc fail, which
    //   CPython turns into MemoryError.
    // --wasm-write-protect-code-memory: wasm code pages are never writable and executable
    //   at once, so an exploit cannot write its own machine code there (docs/security.md).
    //   Flipping the 21 MB of code to RX while the cached module loads costs about 25 ms
    //   per boot (measured with a warm cache; the ~330 ms once measured was a cache that
    //   V8 rejected and recompiled). Sessions fork after it and pay nothing.
    // --no-memory-reducer: the reducer's timer, armed in a zygote's boot, is long due in
    //   every fork of a zygote older than ~8 s, so each forked program or session ran a
    //   full mark-compact on its first message-loop pump: `run -c pass` through a warm
    //   zygote went from 29 to 54 ms once the zygote was 30 s old (perf: MarkCompact in
    //   vivarium-prog), and the marking dirtied shared heap pages. The JS heap is small
    //   next to Python's wasm memory; ordinary allocation-driven GCs still run.
    g_flags =
        "--single-threaded --no-liftoff --wasm-write-protect-code-memory --no-memory-reducer --stack-size=2000 "
        "--wasm-max-mem-pages=" +
        std::to_string(options.wasm_memory_limit / kWasmPageSize);
    // Extra flags for diagnosis (profiling, tracing); not part of the documented interface.
    if (const char* extra = std::getenv("VIVARIUM_V8_FLAGS")) g_flags += std::string(" ") + extra;
    v8::V8::SetFlagsFromString(g_flags.c_str());
    g_platform = v8::platform::NewSingleThreadedDefaultPlatform().release();
    v8::V8::InitializePlatform(g_platform);
    v8::V8::Initialize();
  });
  return {};
}

const RuntimeOptions& Runtime::options() { return g_options; }

std::string Runtime::v8_version() { return v8::V8::GetVersion(); }

std::string Runtime::code_cache_key() {
  // V8 refuses a cache made under other flags, so every flag is in the key; that
  // includes the memory cap (V8 hashes it in, although it changes no code). Changing it
  // after start-up is not an option: V8 aborts when a memory outgrows its boot-time max.
  // "-t1": the wasm cache ends in vivarium's trailer (cache_trailer.h), which V8 10.2
  // refuses as trailing bytes, so an older vivarium sharing the folder must not find it.
  return std::string("v8-") + v8::V8::GetVersion() + "-st-noliftoff-wp-mem" +
         std::to_string(g_options.wasm_memory_limit / kWasmPageSize) + "-t1";
}

namespace detail {
v8::Platform* platform() { return g_platform; }
}  // namespace detail

}  // namespace vivarium::engine
