// POST /exec?sessionId=...: the body as a client sends it (server/exec_request.h
// parse_exec_request), the same body as POST / reads it (server/terrarium_request.h),
// and the two checks inside them on their own: upload file names
// (engine/sandbox_path.h) and base64 (engine/base64.h).
// Input: the session id, a newline, the body. The same bytes also go whole to the file
// name and base64 checks.
// Invariants:
// - a rejected request is a "validation" or "parsing" error (both HTTP 400) with a
//   message;
// - an accepted request has a valid session id, non-empty code, and exactly one file
//   per entry of "files", each under a name that is relative, has no "..", no control
//   character, and that validate_sandbox_path accepts unchanged (already normal), with
//   contents that are the base64 decoding of its b64_data;
// - an accepted file name stays inside the sandbox home however it is spelled, and
//   normalising is idempotent;
// - decoded base64 has the size its padding says, and re-encodes and decodes to itself;
// - POST / refuses with type "parsing" and status 200 or 400 (400 only for a body that
//   is not JSON or too deep), and accepts only non-blank code, a valid session id if
//   any, and one file per entry of "files", as /exec does.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/base64.h"
#include "engine/sandbox_path.h"
#include "fuzz_check.h"
#include "server/exec_request.h"
#include "server/terrarium_request.h"

namespace {

using vivarium::fuzz::check;
using namespace vivarium::server;
using vivarium::engine::validate_sandbox_path;

void check_accepted_name(std::string_view name) {
  check(!name.empty() && name.front() != '/' && name.back() != '/', "a file name is relative and names a file");
  for (unsigned char c : name) check(c >= 0x20 && c != 0x7f, "a file name has no control character");
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const auto part = name.substr(start, end - start);
    check(!part.empty() && part != "." && part != "..", "a normalised name has no empty, '.' or '..' part");
    check(part.size() <= 255, "a name part is at most 255 bytes");
    start = end + 1;
  }
  const auto again = validate_sandbox_path(name);
  check(again.has_value() && *again == name, "a normalised file name is accepted unchanged");
}

void check_file_name(std::string_view raw) {
  const auto name = validate_sandbox_path(raw);
  if (!name) {
    check(!name.error().empty(), "a rejected file name has a message");
    return;
  }
  check_accepted_name(*name);
}

void check_base64(std::string_view raw) {
  const auto decoded = vivarium::engine::base64_decode(raw);
  if (!decoded) {
    check(!decoded.error().empty(), "rejected base64 has a message");
    return;
  }
  const std::size_t padding = raw.ends_with("==") ? 2 : raw.ends_with("=") ? 1 : 0;
  check(raw.size() % 4 == 0 && decoded->size() == raw.size() / 4 * 3 - padding, "decoded size follows the padding");
  const auto encoded = vivarium::engine::base64_encode(*decoded);
  check(encoded.size() == raw.size(), "re-encoding gives the same length");
  const auto again = vivarium::engine::base64_decode(encoded);
  check(again.has_value() && *again == *decoded, "decode(encode(bytes)) == bytes");
}

// The files of an accepted body are the body's entries, normalised and decoded.
void check_files(const nlohmann::json& json, const std::vector<vivarium::engine::SandboxFile>& accepted) {
  const auto files = json.contains("files") && json["files"].is_array() ? json["files"] : nlohmann::json::array();
  check(files.size() == accepted.size(), "one file per entry of files");
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    const auto& file = accepted[i];
    check_accepted_name(file.path);
    const auto wanted = validate_sandbox_path(files[i]["filename"].get<std::string>());
    check(wanted.has_value() && *wanted == file.path, "a file keeps the name the client gave, normalised");
    const auto data = vivarium::engine::base64_decode(files[i]["b64_data"].get<std::string>());
    check(data.has_value() && *data == file.data, "a file's contents are its b64_data decoded");
  }
}

void check_terrarium_request(const std::string& body) {
  const auto input = parse_terrarium_request(body);
  if (!input) {
    check(input.error().type == "parsing", "a rejected POST / request is a parsing error");
    check(input.error().status == 200 || input.error().status == 400, "POST / refuses with 200 or 400");
    check(!input.error().message.empty(), "a rejected POST / request has a message");
    if (input.error().status == 200)
      check(!nlohmann::json::parse(body, nullptr, false).is_discarded(), "a 200 refusal is of a JSON body");
    return;
  }
  check(input->code.find_first_not_of(" \t\n\r\f\v") != std::string::npos, "POST / code is not blank");
  if (input->session_id) check(valid_session_id(*input->session_id), "a POST / session id is valid");
  const auto json = nlohmann::json::parse(body, nullptr, false);
  check(json.is_object() && json["code"] == input->code, "POST / code is the body's code");
  check_files(json, input->files);
}

void check_request(const std::string& session_id, const std::string& body) {
  const auto input = parse_exec_request(session_id, body);
  if (!input) {
    check(input.error().type == "validation" || input.error().type == "parsing",
          "a rejected request is a validation or parsing error");
    check(!input.error().message.empty(), "a rejected request has a message");
    return;
  }
  check(input->session_id == session_id && valid_session_id(session_id), "the session id is valid");
  check(!input->code.empty(), "code is not empty");
  // The request was valid JSON: look at what the client sent.
  const auto json = nlohmann::json::parse(body, nullptr, false);
  check(json.is_object() && json["code"] == input->code, "code is the body's code");
  check_files(json, input->files);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_file_name(text);
  check_base64(text);
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string body(text.substr(newline + 1));
  check_request(std::string(text.substr(0, newline)), body);
  check_terrarium_request(body);
  return 0;
}
