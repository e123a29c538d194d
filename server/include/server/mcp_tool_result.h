// What a run_python_code call returns (a CallToolResult): the text in mcp-run-python's
// layout, so that prompts written for it keep working,
//   <status>success</status> or <status>run-error</status>
//   <output> the lines of std_out, then of std_err </output>
//   <return_value> the last expression: a string as it is, anything else as JSON </return_value>
//   or <error> the traceback </error>
// then each output file (mcp_content.h); structuredContent is the very JSON that
// POST /exec answers (docs/api.md). A Python exception, a timeout or a reset is a
// result with isError: true, not a protocol error.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sessions/executor.h"

namespace vivarium::server::mcp {

struct ToolResultLimits {
  std::uint64_t max_output_bytes = std::uint64_t{1} << 20;  // for the final expression, as /exec
  std::chrono::milliseconds execution_timeout{30000};       // named when a call ran past it
};

nlohmann::json tool_result(const sessions::ExecOutcome& outcome, const ToolResultLimits& limits);

// A result with isError and one text item: arguments that do not fit the schema (MCP
// 2025-11-25 reports those as tool results).
nlohmann::json tool_error_result(const std::string& message);

// The tags of the layout, with `</tag` and `<tag` inside `text` escaped as
// mcp-run-python escapes them (&lt; &gt; in the tag), so output cannot close a section.
std::string escape_closing(std::string_view text, std::string_view tag);

}  // namespace vivarium::server::mcp
