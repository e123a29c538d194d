#include "cli/options_parsing.h"

#include "engine/sandbox_path.h"

namespace vivarium::cli {

std::expected<FileSpec, std::string> parse_file_spec(std::string_view text) {
  if (text.empty()) return std::unexpected("--file needs HOST[:SANDBOX]");
  std::string_view host = text;
  std::string_view sandbox;
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    sandbox = text.substr(colon + 1);
    if (host.empty()) return std::unexpected("--file '" + std::string(text) + "': the host path is empty");
  }
  const std::filesystem::path host_path{std::string(host)};
  const std::string target = sandbox.empty() ? host_path.filename().string() : std::string(sandbox);
  auto validated = engine::validate_sandbox_path(target);
  if (!validated) return std::unexpected("--file '" + std::string(text) + "': " + validated.error());
  return FileSpec{host_path, *validated};
}

}  // namespace vivarium::cli
