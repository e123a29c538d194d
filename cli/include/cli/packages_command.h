// `vivarium packages`: what the package folder and the wheel folder offer, and what is
// preloaded.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace vivarium::cli {

struct PackagesOptions {
  std::optional<std::filesystem::path> packages_dir;
  std::optional<std::filesystem::path> wheels_dir;
  std::optional<std::filesystem::path> assets_dir;
  std::string preload;  // comma-separated; add_packages_command sets the default
};
void add_packages_command(CLI::App& app, PackagesOptions& options);
int packages_command(const PackagesOptions& options);

}  // namespace vivarium::cli
