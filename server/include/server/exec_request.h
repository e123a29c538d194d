// Checking an HTTP /exec request against docs/api.md before anything runs.
#pragma once

#include <cstddef>
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

// The default of --max-json-depth. A valid request nests 3 deep ({"files": [{...}]}).
inline constexpr std::size_t kDefaultMaxJsonDepth = 64;

bool valid_session_id(const std::string& id);

// sessionId from the query (empty when absent) and the raw body. The body is read as
// a stream of events (nlohmann's SAX parser, which keeps one bit per open level and does
// not recurse), keeping only code, files[].filename and files[].b64_data: no DOM of the
// body is built, unknown fields cost nothing, and nesting past `max_depth` is a
// `validation` error. Memory beyond the body itself is at most ~1.75x its size (the kept
// strings, then the decoded files, each base64 text freed once decoded).
std::expected<ExecInput, RequestError> parse_exec_request(const std::string& session_id, const std::string& body,
                                                          std::size_t max_depth = kDefaultMaxJsonDepth);

}  // namespace vivarium::server
