#include "packages/wheel_folder.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "engine/sha256.h"

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

namespace {
std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
}

// Pyodide runs CPython 3 on wasm32: only wheels for any Python 3 and any platform fit.
bool is_pure_python3(const WheelName& wheel) {
  if (wheel.abi_tag != "none" || wheel.platform_tag != "any") return false;
  const auto tags = split(wheel.python_tag, '.');
  return std::any_of(tags.begin(), tags.end(), [](const std::string& tag) { return tag.starts_with("py3"); });
}
}  // namespace

std::expected<WheelName, std::string> parse_wheel_file_name(const std::string& file_name) {
  if (!file_name.ends_with(".whl")) return std::unexpected("not a wheel (the name does not end in .whl)");
  auto parts = split(file_name.substr(0, file_name.size() - 4), '-');
  if (parts.size() != 5 && parts.size() != 6)
    return std::unexpected("not a wheel file name (expected name-version[-build]-python-abi-platform.whl)");
  if (std::any_of(parts.begin(), parts.end(), [](const std::string& part) { return part.empty(); }))
    return std::unexpected("not a wheel file name (an empty part)");
  const std::size_t n = parts.size();
  return WheelName{parts[0], parts[1], parts[n - 3], parts[n - 2], parts[n - 1]};
}

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
    auto parsed = parse_wheel_file_name(file);
    if (!parsed) {
      listing.skipped.push_back(file + ": " + parsed.error());
      continue;
    }
    if (!is_pure_python3(*parsed)) {
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
