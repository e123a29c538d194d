#include "engine/wheel_name.h"

#include <algorithm>
#include <sstream>
#include <vector>

namespace vivarium::engine {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
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

bool is_pure_python3(const WheelName& wheel) {
  if (wheel.abi_tag != "none" || wheel.platform_tag != "any") return false;
  const auto tags = split(wheel.python_tag, '.');
  return std::any_of(tags.begin(), tags.end(), [](const std::string& tag) { return tag.starts_with("py3"); });
}

}  // namespace vivarium::engine
