// Parsing of the CLI's value syntaxes: sizes ("256M"), durations in seconds, and
// --file HOST[:SANDBOX] specs. Pure functions, unit-tested.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace vivarium::cli {

// "256M", "2G", "512k", "1048576B"; a plain number means MiB. Suffixes are binary
// (K = 1024) and case-insensitive; "MiB"/"GB" spellings are accepted too.
std::expected<std::uint64_t, std::string> parse_size(std::string_view text);

// Seconds, decimals allowed ("2.5"); must be positive and finite.
std::expected<std::chrono::milliseconds, std::string> parse_seconds(std::string_view text);

struct FileSpec {
  std::filesystem::path host;
  std::string sandbox;  // validated, relative to /home/earth
};
// "data.csv" -> {data.csv, "data.csv"}; "in/x.csv:data/x.csv" -> {in/x.csv, "data/x.csv"}.
// The sandbox part follows the last ':'; without one the host file's name is used.
std::expected<FileSpec, std::string> parse_file_spec(std::string_view text);

}  // namespace vivarium::cli
