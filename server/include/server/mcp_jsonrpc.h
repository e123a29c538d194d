// JSON-RPC 2.0 as MCP uses it (docs/mcp.md): parsing one message with a nesting cap,
// telling requests, notifications and responses apart, and the error replies of the
// JSON-RPC specification. Transport-independent: stdio and Streamable HTTP share it.
#pragma once

#include <cstddef>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace vivarium::server::mcp {

using json = nlohmann::json;

// The JSON-RPC 2.0 error codes MCP uses.
namespace error_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
// Implementation-defined server errors (-32000 to -32099), as the official SDK's
// Streamable HTTP transport sends them.
inline constexpr int bad_request = -32000;
inline constexpr int session_not_found = -32001;
}  // namespace error_code

// One message from the client, checked against JSON-RPC 2.0.
struct Message {
  enum class Kind { request, notification, response };
  Kind kind = Kind::request;
  json id;  // requests and responses: a string or a number
  std::string method;
  json params = json::object();  // absent params read as {}
};

// {"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}; id null when
// the message had no usable id.
json error_response(const json& id, int code, const std::string& message);
json result_response(const json& id, json result);
json notification(const std::string& method, json params);

// The text of one message, parsed. Not JSON: a -32700 error response; nested deeper than
// `max_depth`: -32600 (the parser keeps one entry per open level and does not recurse).
std::expected<json, json> parse_message(std::string_view text, std::size_t max_depth);

// A parsed value as a message, or the -32600 / -32602 error response to send for it.
// Batches (arrays) are refused: MCP 2025-06-18 removed them.
std::expected<Message, json> to_message(const json& value);

// The text sent for a message: one line of JSON, invalid UTF-8 replaced by U+FFFD.
std::string to_text(const json& message);

}  // namespace vivarium::server::mcp
