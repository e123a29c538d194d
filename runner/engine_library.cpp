#include "runner/engine_library.h"

#include <dlfcn.h>

#include <cstddef>
#include <mutex>
#include <vector>

namespace vivarium::runner {
namespace fs = std::filesystem;

// Beside the binary (the build tree), else along the binary's own library search path:
// its RUNPATH, which the install points at the private folder it puts libnode and the
// engine library in, whatever the prefix (dlinfo expands $ORIGIN).
fs::path engine_library_path() {
  constexpr const char* kName = "libvivarium-engine.so";
  std::error_code ec;
  const fs::path beside = fs::read_symlink("/proc/self/exe", ec).parent_path() / kName;
  if (fs::exists(beside, ec)) return beside;
  std::vector<fs::path> candidates;
  if (void* self = ::dlopen(nullptr, RTLD_LAZY | RTLD_NOLOAD)) {
    Dl_serinfo size{};
    if (::dlinfo(self, RTLD_DI_SERINFOSIZE, &size) == 0 && size.dls_size >= sizeof(Dl_serinfo)) {
      std::vector<std::max_align_t> buffer(size.dls_size / sizeof(std::max_align_t) + 1);
      auto* info = reinterpret_cast<Dl_serinfo*>(buffer.data());
      *info = size;
      if (::dlinfo(self, RTLD_DI_SERINFO, info) == 0)
        for (unsigned i = 0; i < info->dls_cnt; ++i)
          candidates.push_back(fs::path(info->dls_serpath[i].dls_name) / kName);
    }
    ::dlclose(self);
  }
  for (const auto& candidate : candidates)
    if (fs::exists(candidate, ec)) return candidate;
  return beside;
}

std::expected<const VivariumEngineEntryPoints*, std::string> load_engine_library() {
  static std::once_flag once;
  static std::expected<const VivariumEngineEntryPoints*, std::string> loaded = std::unexpected("not loaded");
  std::call_once(once, [] {
    const fs::path path = engine_library_path();
    void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char* why = ::dlerror();
      loaded = std::unexpected("cannot load the engine library " + path.string() + " (" + (why ? why : "?") +
                               "): reinstall vivarium, or rebuild it with `make`");
      return;
    }
    using Get = const VivariumEngineEntryPoints* (*)();
    auto get = reinterpret_cast<Get>(::dlsym(library, "vivarium_engine_entry_points"));
    const VivariumEngineEntryPoints* table = get ? get() : nullptr;
    if (!table || table->abi != kEngineAbi || table->table_bytes != sizeof(VivariumEngineEntryPoints)) {
      loaded = std::unexpected("the engine library " + path.string() +
                               " is from another build of vivarium: reinstall vivarium, or rebuild it with `make`");
      return;
    }
    loaded = table;
  });
  return loaded;
}

}  // namespace vivarium::runner
