#include "engine/assets.h"

#include <cstdlib>
#include <system_error>

#include "engine/sha256.h"
#include "src/host_io.h"

namespace vivarium::engine {
namespace fs = std::filesystem;

const std::vector<AssetFile>& pinned_asset_files() {
  // Sizes and sha256 of the files of the pinned pyodide npm release (kPyodideVersion) that vivarium loads.
  static const std::vector<AssetFile> files = {
      {"pyodide.mjs", 17931, "6f1d60f7bf529beb300f0f47983c921d3982363640ba20af0e38efdddbc66109"},
      {"pyodide.asm.mjs", 1250344, "f7cdc8ece80678ceb712f8e65ebe6d3a83203a180c399865f49612a051693635"},
      {"pyodide.asm.wasm", 9598218, "cc36e3cab04fdfc9a63ff13eb52eae2b911bf46c025cc7b281f394bd3de1d5e6"},
      {"python_stdlib.zip", 2545637, "fa1957e5777068fc4f7437f96d860ae2fbe9c19732ba06c84e004ec16dd7dd7a"},
      {"pyodide-lock.json", 119077, "5dc2fc119108bc148c7457dc86e7675b5c87e1cafd420b9c34c1eaef7b36c010"},
  };
  return files;
}

namespace {

constexpr const char* kFixHint =
    "run `make setup` (or scripts/fetch-pyodide.sh) in the vivarium source tree, "
    "or point --assets / VIVARIUM_ASSETS at a pyodide " VIVARIUM_PYODIDE_VERSION " bundle";

std::expected<std::string, std::string> sha256_of_file(const fs::path& path) {
  auto content = detail::read_file(path);
  if (!content) return std::unexpected("cannot read " + path.string());
  return sha256_hex(*content);
}

}  // namespace

std::vector<fs::path> asset_search_path(const std::optional<fs::path>& explicit_dir, const fs::path& executable) {
  if (explicit_dir) return {*explicit_dir};
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("VIVARIUM_ASSETS"); env && *env) return {fs::path(env)};
  const fs::path dir = executable.parent_path();
  candidates.push_back(dir / "assets" / "pyodide");                            // next to the binary
  candidates.push_back(dir.parent_path() / "share" / "vivarium" / "pyodide");  // cmake --install
  candidates.push_back(dir.parent_path() / "assets" / "pyodide");              // build/ in the source tree
  return candidates;
}

std::expected<void, std::string> check_assets(const fs::path& dir, bool full_check) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return std::unexpected("Pyodide assets not found at " + dir.string() + ": " + kFixHint);
  for (const auto& file : pinned_asset_files()) {
    const fs::path path = dir / file.name;
    const auto size = fs::file_size(path, ec);
    if (ec) return std::unexpected("Pyodide asset " + path.string() + " is missing: " + kFixHint);
    if (size != file.size)
      return std::unexpected("Pyodide asset " + path.string() + " has " + std::to_string(size) + " bytes, expected " +
                             std::to_string(file.size) + " (corrupt or another version): " + kFixHint);
    if (full_check) {
      auto digest = sha256_of_file(path);
      if (!digest) return std::unexpected(digest.error());
      if (*digest != file.sha256)
        return std::unexpected("Pyodide asset " + path.string() + " fails its sha256 check (corrupt): " + kFixHint);
    }
  }
  return {};
}

std::expected<fs::path, std::string> locate_assets(const std::optional<fs::path>& explicit_dir,
                                                   const fs::path& executable) {
  const auto candidates = asset_search_path(explicit_dir, executable);
  std::optional<std::string> broken;  // the first folder that exists but is not a good bundle
  std::string looked_in;
  for (const auto& candidate : candidates) {
    auto checked = check_assets(candidate, false);
    std::error_code ec;
    if (checked) {
      auto canonical = fs::canonical(candidate, ec);
      return ec ? candidate : canonical;
    }
    if (!broken && fs::exists(candidate, ec)) broken = checked.error();
    looked_in += (looked_in.empty() ? "" : ", ") + candidate.string();
  }
  if (broken) return std::unexpected(*broken);
  return std::unexpected("Pyodide assets not found (looked in " + looked_in + "): " + kFixHint);
}

fs::path default_cache_dir() {
  if (const char* env = std::getenv("VIVARIUM_CACHE_DIR"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "vivarium";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "vivarium";
  return fs::temp_directory_path() / "vivarium-cache";
}

}  // namespace vivarium::engine
