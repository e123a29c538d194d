// Checking a request body of POST /, the API of cohere-terrarium (docs/api.md,
// "POST /"). Its rules are terrarium's where they differ from /exec's: the session id
// comes in the body and is optional, code of only whitespace is "no code provided", and
// every error in a body that is JSON is answered with HTTP 200, as terrarium answers
// the errors it finds itself.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "engine/execution.h"
#include "server/exec_request.h"

namespace vivarium::server {

struct TerrariumInput {
  std::optional<std::string> session_id;  // none: a session of this request alone
  std::string code;
  std::vector<engine::SandboxFile> files;  // names validated, contents decoded
};

struct TerrariumRequestError {
  int status = 200;  // 400 when the body is not JSON or nests too deep, else 200
  std::string message;
  // Always "parsing": terrarium's one error type for what is wrong with a request.
  std::string type = "parsing";
};

// terrarium's answer to a missing, null or blank "code", word for word.
inline constexpr const char* kNoCodeProvided = "no code provided";

std::expected<TerrariumInput, TerrariumRequestError> parse_terrarium_request(
    const std::string& body, std::size_t max_depth = kDefaultMaxJsonDepth);

// The id of a session that lives for one request without sessionId. It contains '/',
// which valid_session_id refuses, so it can never be a client's id.
std::string one_shot_session_id(std::uint64_t serial);

}  // namespace vivarium::server
