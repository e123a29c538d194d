#include "src/isolate_state.h"

#include "src/host_io.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;

void save_cache_file(IsolateState& state, const fs::path& path, const void* data, std::size_t size) {
  if (state.cache_unwritable) return;
  auto written = write_file_atomically(path, data, size);
  if (written) return;
  state.cache_unwritable = true;
  if (state.notice)
    state.notice("warning: cannot write the code cache in " + path.parent_path().string() + " (" + written.error() +
                 "); running uncached, so every start compiles again: make that folder writable, free space on it, "
                 "or choose another with --cache-dir");
}

std::optional<fs::path> allowed_host_path(const IsolateState& state, std::string_view requested) {
  return visible_host_path(state.assets_dir, state.package_files.packages.dir, requested);
}

}  // namespace vivarium::engine::detail
