#include "server/mcp_jsonrpc.h"

#include "server/result_json.h"

namespace vivarium::server::mcp {

json error_response(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

json result_response(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json notification(const std::string& method, json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

std::expected<json, json> parse_message(std::string_view text, std::size_t max_depth) {
  bool too_deep = false;
  // The callback sees each container as it opens, with the number of containers around
  // it; refusing one makes the parser skip its contents without building them.
  auto limit = [&](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        static_cast<std::size_t>(depth) >= max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  json value = json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
  if (too_deep)
    return std::unexpected(error_response(
        nullptr, error_code::invalid_request,
        "Invalid Request: the message nests deeper than " + std::to_string(max_depth) + " levels; send flatter JSON"));
  if (value.is_discarded())
    return std::unexpected(
        error_response(nullptr, error_code::parse_error, "Parse error: the message is not valid JSON"));
  return value;
}

std::expected<Message, json> to_message(const json& value) {
  auto invalid = [](const json& id, const std::string& why) {
    return std::unexpected(error_response(id, error_code::invalid_request, "Invalid Request: " + why));
  };
  if (value.is_array()) return invalid(nullptr, "JSON-RPC batches are not supported (MCP 2025-06-18 removed them)");
  if (!value.is_object()) return invalid(nullptr, "a message is a JSON object");
  const auto id_it = value.find("id");
  const bool has_id = id_it != value.end();
  const bool id_ok = has_id && (id_it->is_string() || id_it->is_number());
  const json id = id_ok ? *id_it : json(nullptr);
  if (auto version = value.find("jsonrpc"); version == value.end() || *version != "2.0")
    return invalid(id, "\"jsonrpc\" must be \"2.0\"");
  if (has_id && !id_ok) return invalid(nullptr, "\"id\" must be a string or a number");

  Message message;
  const auto method = value.find("method");
  if (method == value.end()) {
    if (!has_id || (!value.contains("result") && !value.contains("error")))
      return invalid(id, "a message needs a \"method\", or an \"id\" with a \"result\" or an \"error\"");
    message.kind = Message::Kind::response;
    message.id = id;
    return message;
  }
  if (!method->is_string()) return invalid(id, "\"method\" must be a string");
  message.kind = has_id ? Message::Kind::request : Message::Kind::notification;
  message.id = id;
  message.method = method->get<std::string>();
  if (auto params = value.find("params"); params != value.end()) {
    if (params->is_array())
      return std::unexpected(
          error_response(id, error_code::invalid_params, "Invalid params: MCP params are an object, not an array"));
    if (!params->is_object()) return invalid(id, "\"params\" must be an object");
    message.params = *params;
  }
  return message;
}

std::string to_text(const json& message) { return to_json_text(message); }

}  // namespace vivarium::server::mcp
