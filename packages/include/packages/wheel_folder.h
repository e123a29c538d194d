// The extra wheel folder: pure-Python wheels (any *-py3-none-any.whl) that micropip.install
// may install besides the package folder's Pyodide wheels. Listed once at start-up; each
// file's sha256 is measured then, so that a file changed later is refused, not installed.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/package_folder.h"
#include "packages/package_info.h"

namespace vivarium::packages {

struct WheelFolderListing {
  engine::PackageFolder folder;      // the usable wheels and their sha256
  std::vector<PackageInfo> wheels;   // the same, sorted by file name (all present)
  std::vector<std::string> skipped;  // "file: why", for files that cannot be installed
};

// Lists dir's *.whl files. A folder that does not exist is "no wheels" (nullopt); one that
// cannot be read is an error naming it. Without measure_sha256 each hash is left empty,
// which no file matches: such a listing names files but cannot boot an interpreter.
std::expected<std::optional<WheelFolderListing>, std::string> list_wheel_folder(const std::filesystem::path& dir,
                                                                                bool measure_sha256 = true);

}  // namespace vivarium::packages
