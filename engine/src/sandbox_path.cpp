#include "engine/sandbox_path.h"

#include <vector>

namespace vivarium::engine {

std::expected<std::string, std::string> validate_sandbox_path(std::string_view path) {
  if (path.empty()) return std::unexpected("file name is empty");
  if (path.front() == '/')
    return std::unexpected("file name '" + std::string(path) + "' is absolute; use a path relative to /home/earth");
  for (unsigned char c : path) {
    if (c == 0) return std::unexpected("file name contains a NUL character");
    if (c < 0x20 || c == 0x7f) return std::unexpected("file name contains a control character");
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") return std::unexpected("file name '" + std::string(path) + "' contains a '..' component");
    if (part.size() > 255) return std::unexpected("file name has a component longer than 255 bytes");
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  if (parts.empty()) return std::unexpected("file name '" + std::string(path) + "' names no file");
  if (path.back() == '/') return std::unexpected("file name '" + std::string(path) + "' names a directory");
  std::string normalised;
  for (auto part : parts) {
    if (!normalised.empty()) normalised += '/';
    normalised += part;
  }
  return normalised;
}

}  // namespace vivarium::engine
