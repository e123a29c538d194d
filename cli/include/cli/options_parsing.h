// Parsing of --file HOST[:SANDBOX] specs (sizes and seconds: units/units.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

#include "units/units.h"

namespace vivarium::cli {

using units::parse_seconds;
using units::parse_size;

struct FileSpec {
  std::filesystem::path host;
  std::string sandbox;  // validated, relative to /home/earth
};
// "data.csv" -> {data.csv, "data.csv"}; "in/x.csv:data/x.csv" -> {in/x.csv, "data/x.csv"}.
// The sandbox part follows the last ':'; without one the host file's name is used.
std::expected<FileSpec, std::string> parse_file_spec(std::string_view text);

}  // namespace vivarium::cli
