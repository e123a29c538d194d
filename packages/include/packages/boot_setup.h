// Turning user settings (asset, cache and package folders, preload list) into the
// engine's BootOptions: shared by `vivarium run`, the zygote and the server, which also
// needs the package folder to serve wheels to sessions.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/interpreter.h"

namespace vivarium::packages {

struct BootSettings {
  std::optional<std::filesystem::path> assets_dir, cache_dir, packages_dir, wheels_dir;
  std::vector<std::string> preload;
  // Hash the wheel folder's wheels. The server, which only hands wheels on, leaves this
  // to the zygote, whose sessions check the hashes (hashing twice doubles start-up I/O).
  bool measure_wheels = true;
};

struct BootSetup {
  engine::BootOptions options;              // assets, cache, packages and preload filled in
  std::filesystem::path packages_dir;       // where packages were looked for (for messages)
  std::filesystem::path wheels_dir;         // where pure-Python wheels were looked for
  std::vector<std::string> skipped_wheels;  // "file: why" for wheels that cannot be used
};

enum class BootSetupProblem { assets, packages };  // missing/corrupt bundle; bad package folder
struct BootSetupFailure {
  BootSetupProblem problem;
  std::string message;
};

std::expected<BootSetup, BootSetupFailure> prepare_boot(const BootSettings& settings);

}  // namespace vivarium::packages
