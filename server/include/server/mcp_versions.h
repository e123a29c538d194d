// MCP protocol versions: which ones vivarium speaks and how initialize picks one.
#pragma once

#include <string>
#include <string_view>

namespace vivarium::server::mcp {

// What vivarium answers when a client asks for a version it does not know.
inline constexpr std::string_view kDefaultVersion = "2025-06-18";
inline constexpr std::string_view kLatestVersion = "2025-11-25";

bool is_supported_version(std::string_view version);
// The versions vivarium speaks, newest first, comma-separated (for error messages).
std::string supported_versions_text();

// The version initialize answers with: the one asked for when vivarium speaks it (as
// the specification requires), else kDefaultVersion.
std::string negotiate_version(std::string_view requested);

// Whether a session on this version reports bad tool arguments as a tool result with
// isError (2025-11-25: "input validation errors" are tool execution errors) rather than
// a -32602 protocol error (2025-06-18 and before: "invalid arguments").
bool argument_errors_are_tool_results(std::string_view version);

}  // namespace vivarium::server::mcp
