// Checking a request body of POST /exec (docs/api.md) and POST / (terrarium's,
// terrarium_request.h) before anything runs.
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
  std::string type;  // "validation" or "parsing" (both HTTP 400 on /exec)
  std::string message;
};

// The default of --max-json-depth. A valid request nests 3 deep ({"files": [{...}]}).
inline constexpr std::size_t kDefaultMaxJsonDepth = 64;

bool valid_session_id(const std::string& id);

// One field of a body as sent: absent, null, a string (kept), or another JSON type.
struct BodyField {
  enum class State { missing, null, string, other } state = State::missing;
  std::string text;  // when a string

  void set(State s, std::string* value = nullptr);
};

// A body checked as JSON and nothing more: what each route requires of it is the
// route's own (their rules and messages differ). Files are still base64 here.
struct ExecBody {
  struct File {
    bool is_object = false;
    BodyField filename;
    BodyField b64_data;
  };
  bool is_object = false;  // the body is a JSON object (else every field is missing)
  BodyField code;
  BodyField session_id;  // "sessionId": POST / reads it from the body, /exec from the query
  enum class Files { missing, null, array, other } files = Files::missing;
  std::vector<File> entries;
};

// The raw body, read as a stream of events (nlohmann's SAX parser, which keeps one bit
// per open level and does not recurse), keeping only code, sessionId, files[].filename
// and files[].b64_data: no DOM of the body is built, unknown fields cost nothing, and
// nesting past `max_depth` is a `validation` error. Not JSON is a `parsing` error.
std::expected<ExecBody, RequestError> parse_exec_body(const std::string& body, std::size_t max_depth);

// files[]: their shape and names (`validation`) and base64 (`parsing`), decoded. Each
// base64 text is freed once decoded, so memory beyond the body itself is at most ~1.75x
// its size (the kept strings, then the decoded files).
std::expected<std::vector<engine::SandboxFile>, RequestError> decode_files(ExecBody& body);

// POST /exec: sessionId from the query (empty when absent) and the raw body.
std::expected<ExecInput, RequestError> parse_exec_request(const std::string& session_id, const std::string& body,
                                                          std::size_t max_depth = kDefaultMaxJsonDepth);

}  // namespace vivarium::server
