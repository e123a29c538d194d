#include "cli/mcp_command.h"

#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include "cli/exit_status.h"
#include "cli/serve_command.h"
#include "server/config.h"
#include "server/mcp_stdio.h"

namespace vivarium::cli {
namespace {

// serve's settings that mean something for one session on stdio: its limits, its
// sandbox, its packages and its log. Not the HTTP ones, nor the session cap or idle
// expiry (the session lasts as long as stdin is open).
const std::set<std::string>& stdio_settings() {
  static const std::set<std::string> names = {"EXECUTION_TIMEOUT_SECONDS",
                                              "MEMORY_LIMIT",
                                              "PROCESS_MEMORY_LIMIT",
                                              "TOTAL_MEMORY_LIMIT",
                                              "MAX_BODY_SIZE",
                                              "MAX_OUTPUT_SIZE",
                                              "MAX_OUTPUT_FILES_SIZE",
                                              "MAX_OUTPUT_FILES",
                                              "MAX_JSON_DEPTH",
                                              "SANDBOX_UIDS",
                                              "REQUIRE_FULL_SANDBOX",
                                              "LOG_LEVEL",
                                              "VIVARIUM_ASSETS",
                                              "PYODIDE_CACHE_DIR",
                                              "VIVARIUM_PACKAGES_DIR",
                                              "VIVARIUM_WHEELS_DIR",
                                              "PRELOAD"};
  return names;
}

constexpr const char* kFooter = R"(The MCP server on stdio: newline-delimited JSON-RPC on stdin and stdout, logs on
stderr. One MCP session is one vivarium session (its own sandboxed process): variables
and files persist between calls until stdin closes, then the session ends and
vivarium exits. The tool is run_python_code {python_code, global_variables}, with the
input schema and text layout of pydantic's mcp-run-python.

Settings: a flag wins over the environment variable, which wins over a .env file in the
working directory, which wins over the default (as for vivarium serve).

A client configuration (Claude Desktop's claude_desktop_config.json and others):
  {"mcpServers": {"python": {"command": "vivarium", "args": ["mcp"]}}}

Over HTTP, `vivarium serve` answers MCP at /mcp (Streamable HTTP). See docs/mcp.md.)";

}  // namespace

void add_mcp_command(CLI::App& app, ServeFlags& flags) {
  auto* mcp = app.add_subcommand("mcp",
                                 "Serve MCP (Model Context Protocol) on stdio: a run_python_code tool whose state "
                                 "persists, in a forked, locked-down process");
  for (const auto& setting : server::server_settings())
    if (stdio_settings().contains(setting.env)) add_setting_option(*mcp, setting, flags);
  mcp->footer(kFooter);
}

int mcp_command(const ServeFlags& flags) {
  auto dotenv = server::read_dotenv(".env");
  if (!dotenv) {
    std::cerr << "vivarium: error: " << dotenv.error() << "\n";
    return exit_status::usage;
  }
  // Only the settings this command has: a PORT in the environment is serve's business.
  auto only_stdio = [](std::map<std::string, std::string> values) {
    std::erase_if(values, [](const auto& entry) { return !stdio_settings().contains(entry.first); });
    return values;
  };
  auto config =
      server::resolve_config(flags.values, only_stdio(server::settings_from_environment()), only_stdio(*dotenv));
  if (!config) {
    std::cerr << "vivarium: error: " << config.error() << " (see vivarium mcp --help)\n";
    return exit_status::usage;
  }
  return server::serve_mcp_stdio(*config, std::filesystem::read_symlink("/proc/self/exe"));
}

}  // namespace vivarium::cli
