#include "server/exec_request.h"

#include <nlohmann/json.hpp>

#include "engine/sandbox_path.h"
#include "server/base64.h"

namespace vivarium::server {

bool valid_session_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) return false;
  return true;
}

std::expected<ExecInput, RequestError> parse_exec_request(const std::string& session_id, const std::string& body) {
  auto validation = [](std::string message) { return std::unexpected(RequestError{"validation", std::move(message)}); };
  if (session_id.empty()) return validation("sessionId query parameter is required");
  if (!valid_session_id(session_id))
    return validation("sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : -");
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return std::unexpected(RequestError{"parsing", "request body is not valid JSON"});
  if (!json.is_object()) return validation("request body must be a JSON object");
  ExecInput input;
  input.session_id = session_id;
  if (!json.contains("code")) return validation("code is required");
  if (!json["code"].is_string()) return validation("code must be a string");
  input.code = json["code"].get<std::string>();
  if (input.code.empty()) return validation("code must not be empty");
  if (json.contains("files") && !json["files"].is_null()) {
    if (!json["files"].is_array()) return validation("files must be an array");
    std::size_t index = 0;
    for (const auto& file : json["files"]) {
      const std::string where = "files[" + std::to_string(index++) + "]";
      if (!file.is_object()) return validation(where + " must be an object with filename and b64_data");
      if (!file.contains("filename") || !file["filename"].is_string())
        return validation(where + ".filename must be a string");
      if (!file.contains("b64_data") || !file["b64_data"].is_string())
        return validation(where + ".b64_data must be a string");
      auto name = engine::validate_sandbox_path(file["filename"].get<std::string>());
      if (!name) return validation(where + ".filename: " + name.error());
      auto data = base64_decode(file["b64_data"].get<std::string>());
      if (!data) return std::unexpected(RequestError{"parsing", where + ".b64_data: " + data.error()});
      input.files.push_back({*name, std::move(*data)});
    }
  }
  return input;
}

}  // namespace vivarium::server
