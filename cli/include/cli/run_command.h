// `vivarium run`: one Python program in a fresh sandbox, like python3.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/options_parsing.h"
#include "sandbox/id_range.h"

namespace vivarium::cli {

struct RunOptions {
  std::optional<std::string> code;     // -c CODE
  std::vector<std::string> arguments;  // FILE (or "-") then the script's arguments; after -c only arguments
  std::vector<FileSpec> files;
  std::optional<std::filesystem::path> output_dir;
  bool json = false;
  std::optional<std::chrono::milliseconds> timeout;
  std::uint64_t memory_limit = std::uint64_t{1} << 30;
  std::optional<std::filesystem::path> assets_dir;
  std::optional<std::filesystem::path> cache_dir;
  std::optional<std::filesystem::path> packages_dir;
  std::optional<std::filesystem::path> wheels_dir;
  std::string preload;            // comma-separated package names; empty: none
  sandbox::IdRange sandbox_uids;  // as root, the program's uid and gid come from here
  bool verbose = false;           // say on stderr which layers of the wall are active
  bool no_daemon = false;         // --no-daemon / VIVARIUM_NO_DAEMON=1: boot in-process
};

// Returns the process exit status (see exit_status.h).
int run_command(const RunOptions& options);

}  // namespace vivarium::cli
