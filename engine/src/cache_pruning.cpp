#include "src/cache_pruning.h"

#include <algorithm>
#include <string>
#include <vector>

namespace vivarium::engine::detail {
namespace fs = std::filesystem;

namespace {
// The entries of dir, or as many as could be read: range-for would advance the iterator
// with the throwing operator++, and this runs inside a V8 callback.
std::vector<fs::directory_entry> entries_of(const fs::path& dir) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
  return entries;
}
}  // namespace

void prune_old_caches(const fs::path& dir, std::size_t keep) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> caches;
  for (const auto& entry : entries_of(dir))
    if (entry.path().extension() == ".wasmcache") caches.emplace_back(entry.last_write_time(ec), entry.path());
  if (caches.size() <= keep) return;
  std::sort(caches.begin(), caches.end(), std::greater<>());
  for (std::size_t i = keep; i < caches.size(); ++i) {
    // "pyodide.asm.wasm-<size>-<key>.wasmcache": the key names its JS caches too.
    const std::string name = caches[i].second.filename().string();
    const auto first_dash = name.find('-'), second_dash = name.find('-', first_dash + 1);
    const std::string key = name.substr(second_dash + 1, name.size() - second_dash - 1 - 10);
    for (const auto& entry : entries_of(dir))
      if (entry.path().extension() == ".jscache" && entry.path().filename().string().ends_with("-" + key + ".jscache"))
        fs::remove(entry.path(), ec);
    fs::remove(caches[i].second, ec);
  }
}

}  // namespace vivarium::engine::detail
