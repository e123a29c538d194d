// The engine library's one exported symbol (engine_library.h): the table of what the
// `vivarium` binary may call in it. Everything else in the library is hidden
// (engine_library.map), so that its copies of the static layers never mix with the
// binary's.
#include "engine/runtime.h"
#include "runner/engine_library.h"
#include "runner/run_host.h"
#include "sessions/zygote_main.h"

namespace {

int zygote_main(int control_fd, int parent_pid) {
  return vivarium::sessions::zygote_main(control_fd, static_cast<pid_t>(parent_pid));
}

const char* v8_version() {
  static const std::string version = vivarium::engine::Runtime::v8_version();
  return version.c_str();
}

constexpr VivariumEngineEntryPoints kEntryPoints{vivarium::runner::kEngineAbi, sizeof(VivariumEngineEntryPoints),
                                                 zygote_main, vivarium::runner::run_host_main, v8_version};

}  // namespace

extern "C" __attribute__((visibility("default"))) const VivariumEngineEntryPoints* vivarium_engine_entry_points() {
  return &kEntryPoints;
}
