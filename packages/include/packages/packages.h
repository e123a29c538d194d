// The package folder: Pyodide wheels plus the pyodide-lock.json that lists them.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/interpreter.h"
#include "packages/package_info.h"

namespace vivarium::packages {

// What serve imports in the zygote unless PRELOAD / --preload says otherwise; the one
// place the list is written (the help text, `vivarium packages` and ServerConfig derive
// from it).
inline const std::vector<std::string> kDefaultPreload = {"numpy", "pandas", "matplotlib"};

struct PackageFolderInfo {
  engine::PackageFolder folder;
  std::vector<PackageInfo> packages;  // sorted by name
};

// $VIVARIUM_PACKAGES_DIR, else a "packages" folder beside the Pyodide assets.
std::filesystem::path default_packages_dir(const std::filesystem::path& assets_dir);
// $VIVARIUM_WHEELS_DIR, else a "wheels" folder beside the Pyodide assets.
std::filesystem::path default_wheels_dir(const std::filesystem::path& assets_dir);

// Reads dir/pyodide-lock.json. A folder that does not exist is "no packages" (nullopt);
// a folder without a readable, well-formed lock file is an error naming it.
std::expected<std::optional<PackageFolderInfo>, std::string> load_package_folder(const std::filesystem::path& dir);

// "numpy,pandas" -> {"numpy", "pandas"}; "" or "none" -> {}.
std::vector<std::string> parse_package_list(const std::string& text);
// {"numpy", "pandas"} -> "numpy,pandas", as PRELOAD and --preload spell a list.
std::string join_package_list(const std::vector<std::string>& names);

// The startup warning for wheels of the wheel folder that cannot be used ("" for none).
std::string skipped_wheels_warning(const std::vector<std::string>& skipped, const std::filesystem::path& dir);

// The startup warning for preload packages the folder lacks ("" when none is missing).
std::string missing_packages_warning(const std::vector<std::string>& missing, const std::filesystem::path& dir);

}  // namespace vivarium::packages
