// Checking an HTTP /exec request against API.md before anything runs.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "engine/execution.h"

namespace vivarium::server {

struct ExecInput {
  std::string session_id;
  std::string code;
  std::vector<engine::SandboxFile> files;  // names validated, contents decoded
};

struct RequestError {
  std::string type;  // "validation" or "parsing" (both HTTP 400)
  std::string message;
};

bool valid_session_id(const std::string& id);

// sessionId from the query (empty when absent) and the raw body.
std::expected<ExecInput, RequestError> parse_exec_request(const std::string& session_id, const std::string& body);

}  // namespace vivarium::server
