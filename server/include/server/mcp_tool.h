// The one MCP tool, run_python_code: its definition for tools/list, with exactly the
// input schema of pydantic's mcp-run-python (its last release, 0.0.22), and the checking
// of a call's arguments against that schema.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>

namespace vivarium::server::mcp {

inline constexpr const char* kToolName = "run_python_code";

// {"name", "title", "description", "inputSchema"} as tools/list lists it.
nlohmann::json run_python_code_tool();

struct ToolArguments {
  std::string python_code;
  // The global_variables object as JSON text; empty when absent or {}.
  std::string globals_json;
};

// The arguments of a tools/call (null when absent), or one sentence saying what is wrong
// with them and what the schema expects.
std::expected<ToolArguments, std::string> parse_tool_arguments(const nlohmann::json& arguments);

}  // namespace vivarium::server::mcp
