#include "server/route_pattern.h"

#include <array>
#include <string_view>

namespace vivarium::server {

const char* route_pattern(const std::string& path) {
  static constexpr std::array<const char*, 8> kFixed = {"/exec",    "/sessions",     "/health", "/ready",
                                                        "/metrics", "/openapi.json", "/",       "/mcp"};
  for (const char* route : kFixed)
    if (path == route) return route;
  constexpr std::string_view prefix = "/sessions/";
  // As the routes match them (session_routes.cpp): an id is ".+", slashes included.
  if (path.size() > prefix.size() && path.starts_with(prefix)) {
    constexpr std::string_view interrupt = "/interrupt";
    const std::string_view rest = std::string_view(path).substr(prefix.size());
    if (rest.size() > interrupt.size() && rest.ends_with(interrupt)) return "/sessions/{id}/interrupt";
    return "/sessions/{id}";
  }
  return "other";
}

}  // namespace vivarium::server
