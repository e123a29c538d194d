// The Origin check of MCP's Streamable HTTP transport, against DNS rebinding: a web
// page in a browser must not reach a local server through a name that resolves to
// 127.0.0.1. Requests without an Origin (every non-browser client) and from localhost
// origins pass; --mcp-allowed-origins / MCP_ALLOWED_ORIGINS adds others ("*" for any).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vivarium::server::mcp {

// `origin` is the header's value; `present` false when the request has none.
bool origin_allowed(bool present, std::string_view origin, const std::vector<std::string>& allowed);

// http(s)://localhost, 127.0.0.0/8 or [::1], with any port.
bool is_localhost_origin(std::string_view origin);

}  // namespace vivarium::server::mcp
