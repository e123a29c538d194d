#include "packages/wheel_folder.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "engine/sha256.h"
#include "engine/wheel_name.h"

namespace vivarium::packages {
namespace {

std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) return std::nullopt;
  return bytes;
}

}  // namespace
namespace fs = std::filesystem;

std::expected<std::optional<WheelFolderListing>, std::string> list_wheel_folder(const fs::path& dir,
                                                                                bool measure_sha256) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::optional<WheelFolderListing>{};
  WheelFolderListing listing;
  listing.folder.dir = dir;
  fs::directory_iterator entries(dir, ec);
  if (ec) return std::unexpected("cannot read the wheel folder " + dir.string() + ": " + ec.message());
  for (const auto& entry : entries) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".whl")) continue;
    // The file itself, not a link elsewhere: `run` may open only beneath this folder.
    if (entry.is_symlink(ec)) {
      listing.skipped.push_back(file + ": a symbolic link; put the wheel itself in the folder");
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    auto parsed = engine::parse_wheel_file_name(file);
    if (!parsed) {
      listing.skipped.push_back(file + ": " + parsed.error());
      continue;
    }
    if (!engine::is_pure_python3(*parsed)) {
      listing.skipped.push_back(file + ": not a pure-Python 3 wheel (tags " + parsed->python_tag + "-" +
                                parsed->abi_tag + "-" + parsed->platform_tag + ")");
      continue;
    }
    std::optional<std::string> bytes;
    if (measure_sha256 ? !(bytes = read_whole_file(entry.path())) : ::access(entry.path().c_str(), R_OK) != 0) {
      listing.skipped.push_back(file + ": cannot be read");
      continue;
    }
    listing.folder.sha256_by_file[file] = bytes ? engine::sha256_hex(*bytes) : std::string();
    listing.wheels.push_back({parsed->name, parsed->version, file, true});
  }
  std::sort(listing.wheels.begin(), listing.wheels.end(),
            [](const PackageInfo& a, const PackageInfo& b) { return a.file_name < b.file_name; });
  std::sort(listing.skipped.begin(), listing.skipped.end());
  return std::optional<WheelFolderListing>(std::move(listing));
}

}  // namespace vivarium::packages
