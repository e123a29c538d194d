#include "packages/package_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace vivarium::packages {

std::uint64_t PackageReader::largest_wheel() const {
  std::uint64_t largest = 0;
  for (const auto* folder : {&packages, &wheels}) {
    if (!*folder) continue;
    for (const auto& [file_name, sha256] : (*folder)->sha256_by_file) {
      std::error_code error;
      const auto size = std::filesystem::file_size((*folder)->dir / file_name, error);
      if (!error) largest = std::max<std::uint64_t>(largest, size);
    }
  }
  return largest;
}

std::optional<std::string> PackageReader::read(engine::WheelSource source, const std::string& file_name) const {
  const auto& folder = source == engine::WheelSource::package_folder ? packages : wheels;
  // Only a plain file name that is listed.
  if (!folder || file_name.find('/') != std::string::npos || !folder->sha256_by_file.contains(file_name))
    return std::nullopt;
  std::ifstream in(folder->dir / file_name, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace vivarium::packages
