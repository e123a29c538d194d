#include "packages/packages.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace vivarium::packages {
namespace fs = std::filesystem;

fs::path default_packages_dir(const fs::path& assets_dir) {
  if (const char* env = std::getenv("VIVARIUM_PACKAGES_DIR"); env && *env) return env;
  return assets_dir.parent_path() / "packages";
}

fs::path default_wheels_dir(const fs::path& assets_dir) {
  if (const char* env = std::getenv("VIVARIUM_WHEELS_DIR"); env && *env) return env;
  return assets_dir.parent_path() / "wheels";
}

std::expected<std::optional<PackageFolderInfo>, std::string> load_package_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::optional<PackageFolderInfo>{};
  const fs::path lock_path = dir / "pyodide-lock.json";
  std::ifstream in(lock_path);
  if (!in) return std::unexpected("package folder " + dir.string() + " has no pyodide-lock.json");
  const auto lock = nlohmann::json::parse(in, nullptr, false);
  if (lock.is_discarded() || !lock.is_object() || !lock.contains("packages") || !lock["packages"].is_object())
    return std::unexpected(lock_path.string() + " is not a Pyodide lock file (no \"packages\" object)");
  PackageFolderInfo info;
  info.folder.dir = dir;
  for (const auto& [key, entry] : lock["packages"].items()) {
    if (!entry.is_object() || !entry.contains("file_name") || !entry["file_name"].is_string() ||
        !entry.contains("sha256") || !entry["sha256"].is_string())
      return std::unexpected(lock_path.string() + ": package '" + key + "' lacks file_name or sha256");
    const std::string file = entry["file_name"];
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
      return std::unexpected(lock_path.string() + ": package '" + key + "' has an unsafe file_name '" + file + "'");
    info.folder.sha256_by_file[file] = entry["sha256"];
    info.packages.push_back(
        {entry.value("name", key), entry.value("version", ""), file, fs::is_regular_file(dir / file, ec)});
  }
  std::sort(info.packages.begin(), info.packages.end(),
            [](const PackageInfo& a, const PackageInfo& b) { return a.name < b.name; });
  return std::optional<PackageFolderInfo>(std::move(info));
}

std::vector<std::string> parse_package_list(const std::string& text) {
  std::vector<std::string> names;
  if (text == "none") return names;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string name = text.substr(start, end - start);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (!name.empty()) names.push_back(name);
    start = end + 1;
  }
  return names;
}

std::string join_package_list(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ",") + name;
  return text;
}

std::string skipped_wheels_warning(const std::vector<std::string>& skipped, const fs::path& dir) {
  if (skipped.empty()) return "";
  constexpr std::size_t kShown = 10;  // a folder of native wheels should not flood the log
  std::string text = "wheels in " + dir.string() + " that micropip cannot install:";
  for (std::size_t i = 0; i < skipped.size() && i < kShown; ++i) text += "\n  " + skipped[i];
  if (skipped.size() > kShown) text += "\n  ... and " + std::to_string(skipped.size() - kShown) + " more";
  return text;
}

std::string missing_packages_warning(const std::vector<std::string>& missing, const fs::path& dir) {
  if (missing.empty()) return "";
  std::string names;
  for (const auto& name : missing) names += (names.empty() ? "" : ", ") + name;
  return "preload packages not available: " + names + " (looked in " + dir.string() +
         "; add the Pyodide package distribution with `make packages`, or use --packages-dir)";
}

}  // namespace vivarium::packages
