// Reading wheels for Pyodide and micropip: only files that the package folder's lock file
// lists, or that were in the extra wheel folder when it was listed, and only when their
// content has the expected sha256.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "engine/package_folder.h"

namespace vivarium::engine::detail {

// The wheel folders one interpreter may read; each dir is canonical, empty: no such folder.
struct PackageFiles {
  PackageFolder packages;  // the package folder (pyodide-lock.json)
  PackageFolder wheels;    // the extra folder of pure-Python wheels (micropip)
  WheelFetcher fetch;      // empty: open the files directly
};

// Which wheel folder `requested` names a path inside (whether or not the file is valid);
// nullopt for anything else (e.g. the assets).
std::optional<WheelSource> wheel_source_of(const PackageFiles& files, std::string_view requested);
// The verified bytes, or a message naming what is wrong.
std::expected<std::string, std::string> read_package_file(const PackageFiles& files, WheelSource source,
                                                          std::string_view requested);
}  // namespace vivarium::engine::detail
