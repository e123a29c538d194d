// What an execution's outcome (sessions/executor.h) is in HTTP: the status and the JSON
// body of docs/api.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sessions/executor.h"

namespace vivarium::server {

struct HttpReply {
  int status = 200;
  nlohmann::json body;
};

// {"success": false, "error": {"type": type, "message": message}}
nlohmann::json error_body(const std::string& type, const std::string& message);

// `max_output_bytes` caps the final expression's JSON text as the result carries it.
HttpReply exec_reply(const sessions::ExecOutcome& outcome, std::uint64_t max_output_bytes);

}  // namespace vivarium::server
