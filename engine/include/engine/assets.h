// Locating and checking the Pyodide bundle on disk.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/pyodide_version.h"  // generated from scripts/pyodide.lock

namespace vivarium::engine {

inline constexpr const char* kPyodideVersion = VIVARIUM_PYODIDE_VERSION;
inline constexpr const char* kPythonVersion = "3.14.2";

struct AssetFile {
  const char* name;
  std::uintmax_t size;
  const char* sha256;
};
// The files vivarium loads from the bundle, pinned to the release it was built for.
const std::vector<AssetFile>& pinned_asset_files();

// Where to look for the bundle: an explicit directory (--assets) wins, then
// $VIVARIUM_ASSETS, then locations relative to the executable.
std::vector<std::filesystem::path> asset_search_path(const std::optional<std::filesystem::path>& explicit_dir,
                                                     const std::filesystem::path& executable);

// Checks that every pinned file exists with its pinned size (cheap, every start).
// With full_check the content hashes are compared too.
std::expected<void, std::string> check_assets(const std::filesystem::path& dir, bool full_check);

// Finds the first directory of the search path that holds a complete bundle.
std::expected<std::filesystem::path, std::string> locate_assets(
    const std::optional<std::filesystem::path>& explicit_dir, const std::filesystem::path& executable);

// $VIVARIUM_CACHE_DIR, else $XDG_CACHE_HOME/vivarium, else ~/.cache/vivarium.
std::filesystem::path default_cache_dir();

}  // namespace vivarium::engine
