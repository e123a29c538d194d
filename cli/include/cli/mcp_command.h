// `vivarium mcp`: the MCP server on stdio (server/mcp_stdio.h), with serve's limit and
// package settings.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/serve_command.h"

namespace vivarium::cli {

void add_mcp_command(CLI::App& app, ServeFlags& flags);
int mcp_command(const ServeFlags& flags);

}  // namespace vivarium::cli
