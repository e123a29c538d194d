// The route a request took, as a pattern from a fixed set ("/sessions/{id}"), for the
// `route` label of vivarium_http_requests_total: a label value per raw path would let any
// client create unbounded series.
#pragma once

#include <string>

namespace vivarium::server {

// "/exec", "/sessions", "/sessions/{id}", "/sessions/{id}/interrupt", "/health", "/ready",
// "/metrics", "/openapi.json", "/", "/mcp"; anything else is "other".
const char* route_pattern(const std::string& path);

}  // namespace vivarium::server
