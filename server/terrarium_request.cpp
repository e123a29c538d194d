#include "server/terrarium_request.h"

#include <string_view>

namespace vivarium::server {
namespace {

// JavaScript's String.prototype.trim, which terrarium applies, for the ASCII spaces.
bool blank(std::string_view code) { return code.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos; }

std::unexpected<TerrariumRequestError> refuse(std::string message, int status = 200) {
  return std::unexpected(TerrariumRequestError{status, std::move(message)});
}

}  // namespace

std::expected<TerrariumInput, TerrariumRequestError> parse_terrarium_request(const std::string& body,
                                                                             std::size_t max_depth) {
  auto parsed = parse_exec_body(body, max_depth);
  // terrarium's JSON parser (express) refuses a body that is not JSON with 400; one too
  // deep for ours is refused the same way.
  if (!parsed) return refuse(parsed.error().message, 400);
  if (!parsed->is_object) return refuse("request body must be a JSON object with a code string");
  using State = BodyField::State;
  TerrariumInput input;
  // terrarium checks code first, before the files: `code == undefined || code.trim() == ""`.
  const auto& code = parsed->code;
  if (code.state == State::missing || code.state == State::null || (code.state == State::string && blank(code.text)))
    return refuse(kNoCodeProvided);
  if (code.state != State::string) return refuse("code must be a string");
  input.code = std::move(parsed->code.text);

  const auto& id = parsed->session_id;
  if (id.state == State::string) {
    if (!valid_session_id(id.text)) return refuse("sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : -");
    input.session_id = id.text;
  } else if (id.state == State::other) {
    return refuse("sessionId must be a string");
  }

  auto files = decode_files(*parsed);
  if (!files) return refuse(files.error().message);
  input.files = std::move(*files);
  return input;
}

std::string one_shot_session_id(std::uint64_t serial) { return "terrarium/" + std::to_string(serial); }

}  // namespace vivarium::server
