#include "src/package_files.h"

#include "engine/sha256.h"
#include "src/host_io.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;

namespace {
const PackageFolder& folder_of(const PackageFiles& files, WheelSource source) {
  return source == WheelSource::package_folder ? files.packages : files.wheels;
}

// Pyodide's shell mode ignores packageBaseUrl and asks for the bare file name of the lock
// entry; such a name means the package folder.
fs::path resolve(const PackageFiles& files, std::string_view requested) {
  const fs::path path(strip_file_scheme(requested));
  return (path.is_relative() ? files.packages.dir / path : path).lexically_normal();
}
}  // namespace

std::optional<WheelSource> wheel_source_of(const PackageFiles& files, std::string_view requested) {
  // By the listed file name, not by folder containment: the folders may nest (a wheel
  // folder inside the package folder, or one that holds the assets).
  auto listed_in = [](const PackageFolder& folder, const fs::path& path) {
    return !folder.dir.empty() && path.parent_path() == folder.dir &&
           folder.sha256_by_file.contains(path.filename().string());
  };
  const fs::path given(strip_file_scheme(requested));
  if (given.is_relative()) {
    // Relative names other than listed wheels stay with the asset folder.
    if (!files.packages.dir.empty() && files.packages.sha256_by_file.contains(given.lexically_normal().string()))
      return WheelSource::package_folder;
    return std::nullopt;
  }
  const fs::path path = given.lexically_normal();
  if (listed_in(files.packages, path)) return WheelSource::package_folder;
  if (listed_in(files.wheels, path)) return WheelSource::wheel_folder;
  return std::nullopt;
}

std::expected<std::string, std::string> read_package_file(const PackageFiles& files, WheelSource source,
                                                          std::string_view requested) {
  const PackageFolder& folder = folder_of(files, source);
  const bool from_lock = source == WheelSource::package_folder;
  const auto rel = resolve(files, requested).lexically_relative(folder.dir);
  // Only plain file names that are listed: no sub-folders, nothing else on the host.
  const std::string name = rel.string();
  auto expected = folder.sha256_by_file.find(name);
  if (rel.has_parent_path() || expected == folder.sha256_by_file.end())
    return std::unexpected(std::string(from_lock ? "no such package file: " : "no such wheel: ") + name);
  std::optional<std::string> bytes;
  if (files.fetch)
    bytes = files.fetch(source, name);
  else
    bytes = read_file(folder.dir / name);
  if (!bytes)
    return std::unexpected(from_lock ? "package file " + name + " is listed in pyodide-lock.json but missing from " +
                                           folder.dir.string()
                                     : "wheel " + name + " is no longer in " + folder.dir.string());
  const std::string actual = sha256_hex(*bytes);
  if (actual != expected->second)
    return std::unexpected(
        from_lock ? "package file " + name + " fails its sha256 check against pyodide-lock.json (expected " +
                        expected->second + ", got " + actual + "): refusing to load it"
                  : "wheel " + name + " in " + folder.dir.string() +
                        " changed since vivarium listed the folder (sha256 " + expected->second + ", now " + actual +
                        "): refusing to install it; restart vivarium to use the new file");
  return std::move(*bytes);
}

}  // namespace vivarium::engine::detail
