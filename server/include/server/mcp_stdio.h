// `vivarium mcp`: MCP over stdio, for desktop agents and agent frameworks. Newline-
// delimited JSON-RPC on stdin and stdout, logs on stderr only; one MCP session, which is
// one vivarium session (its own sandboxed process) for as long as stdin stays open.
#pragma once

#include <filesystem>

#include "server/config.h"

namespace vivarium::server {
// Returns the process exit status once stdin closes (0) or start-up failed (1).
int serve_mcp_stdio(const ServerConfig& config, const std::filesystem::path& executable);
}  // namespace vivarium::server
