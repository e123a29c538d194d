#include "src/package_files.h"

#include "src/digest.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;

namespace {
std::string strip_file_scheme(std::string_view requested) {
  std::string text(requested);
  if (text.starts_with("file://")) text.erase(0, 7);
  return text;
}
}  // namespace

// Pyodide's shell mode ignores packageBaseUrl and asks for the bare file name of the lock
// entry; such a name means the package folder.
fs::path resolve(const IsolateState& state, std::string_view requested) {
  const fs::path path(strip_file_scheme(requested));
  return (path.is_relative() ? state.packages_dir / path : path).lexically_normal();
}

bool is_package_path(const IsolateState& state, std::string_view requested) {
  if (state.packages_dir.empty()) return false;
  const fs::path path = resolve(state, requested);
  if (fs::path(strip_file_scheme(requested)).is_relative() &&
      !state.package_sha256.contains(fs::path(strip_file_scheme(requested)).lexically_normal().string()))
    return false;  // relative names other than listed wheels stay with the asset folder
  const auto rel = path.lexically_relative(state.packages_dir);
  return !rel.empty() && !rel.native().starts_with("..");
}

std::expected<std::string, std::string> read_package_file(const IsolateState& state, std::string_view requested) {
  const fs::path path = resolve(state, requested);
  const auto rel = path.lexically_relative(state.packages_dir);
  // Only plain file names the lock file lists: no sub-folders, nothing else on the host.
  const std::string name = rel.string();
  auto expected = state.package_sha256.find(name);
  if (rel.has_parent_path() || expected == state.package_sha256.end())
    return std::unexpected("no such package file: " + name);
  std::optional<std::string> bytes;
  if (state.fetch_package_file)
    bytes = state.fetch_package_file(name);
  else
    bytes = read_file(state.packages_dir / name);
  if (!bytes) return std::unexpected("package file " + name + " is listed in pyodide-lock.json but missing from " +
                                     state.packages_dir.string());
  const std::string actual = sha256_hex(*bytes);
  if (actual != expected->second)
    return std::unexpected("package file " + name + " fails its sha256 check against pyodide-lock.json (expected " +
                           expected->second + ", got " + actual + "): refusing to load it");
  return std::move(*bytes);
}

}  // namespace vivarium::engine::detail
