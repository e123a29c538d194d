#include "server/mcp_versions.h"

#include <array>

namespace vivarium::server::mcp {
namespace {

// Those the official TypeScript SDK sends (its SUPPORTED_PROTOCOL_VERSIONS) but
// 2024-10-07, a pre-release. vivarium's messages are the same in each: what differs
// between them (batches, tool annotations, structured content, argument errors) is
// either unused here or handled per version.
constexpr std::array<std::string_view, 4> kSupported = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

}  // namespace

bool is_supported_version(std::string_view version) {
  for (auto supported : kSupported)
    if (supported == version) return true;
  return false;
}

std::string supported_versions_text() {
  std::string text;
  for (auto supported : kSupported) text += (text.empty() ? "" : ", ") + std::string(supported);
  return text;
}

std::string negotiate_version(std::string_view requested) {
  return std::string(is_supported_version(requested) ? requested : kDefaultVersion);
}

// ISO dates compare as text.
bool argument_errors_are_tool_results(std::string_view version) { return version >= kLatestVersion; }

}  // namespace vivarium::server::mcp
