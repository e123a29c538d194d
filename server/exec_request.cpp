#include "server/exec_request.h"

#include <nlohmann/json.hpp>

#include "engine/base64.h"
#include "engine/sandbox_path.h"

namespace vivarium::server {

bool valid_session_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) return false;
  return true;
}

void BodyField::set(State s, std::string* value) {
  state = s;
  text.clear();
  text.shrink_to_fit();
  if (value != nullptr) text = std::move(*value);
}

namespace {

using json = nlohmann::json;

std::unexpected<RequestError> validation(std::string message) {
  return std::unexpected(RequestError{"validation", std::move(message)});
}

using Field = BodyField;
using FileEntry = ExecBody::File;

// Collects the fields of a body as nlohmann's parser reports them. Duplicate keys: the
// last one wins, as with nlohmann's DOM. Everything else is skipped.
class ExecBodySax {
 public:
  explicit ExecBodySax(std::size_t max_depth) : max_depth_(max_depth) {}

  bool top_is_object = false;
  ExecBody body;
  bool too_deep = false;

  bool null() { return value(Field::State::null); }
  bool boolean(bool) { return value(Field::State::other); }
  bool number_integer(json::number_integer_t) { return value(Field::State::other); }
  bool number_unsigned(json::number_unsigned_t) { return value(Field::State::other); }
  bool number_float(json::number_float_t, const std::string&) { return value(Field::State::other); }
  bool string(std::string& text) { return value(Field::State::string, &text); }
  bool binary(json::binary_t&) { return value(Field::State::other); }

  bool key(std::string& name) {
    if (name == "code")
      key_ = Key::code;
    else if (name == "sessionId")
      key_ = Key::session_id;
    else if (name == "files")
      key_ = Key::files;
    else if (name == "filename")
      key_ = Key::filename;
    else if (name == "b64_data")
      key_ = Key::b64_data;
    else
      key_ = Key::other;
    return true;
  }

  bool start_object(std::size_t) {
    if (!enter()) return false;
    switch (context()) {
      case Context::root:
        top_is_object = true;
        return push(Context::top_object);
      case Context::files_array:
        body.entries.push_back({.is_object = true});
        return push(Context::file_object);
      default:
        value(Field::State::other);
        return push(Context::skip);
    }
  }

  bool start_array(std::size_t) {
    if (!enter()) return false;
    if (context() == Context::top_object && key_ == Key::files) {
      body.files = ExecBody::Files::array;
      body.entries.clear();
      return push(Context::files_array);
    }
    if (context() != Context::root) value(Field::State::other);
    return push(Context::skip);
  }

  bool end_object() { return leave(); }
  bool end_array() { return leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  enum class Context : unsigned char { root, top_object, files_array, file_object, skip };
  enum class Key : unsigned char { code, session_id, files, filename, b64_data, other };

  Context context() const { return stack_.empty() ? Context::root : stack_.back(); }
  bool enter() {
    if (stack_.size() >= max_depth_) {
      too_deep = true;
      return false;  // stops the parser at once
    }
    return true;
  }
  bool push(Context c) {
    stack_.push_back(c);
    return true;
  }
  bool leave() {
    stack_.pop_back();
    return true;
  }

  // A value (or the start of a container) at the current position.
  bool value(Field::State state, std::string* text = nullptr) {
    switch (context()) {
      case Context::top_object:
        if (key_ == Key::code) body.code.set(state, text);
        if (key_ == Key::session_id) body.session_id.set(state, text);
        if (key_ == Key::files) {
          body.files = state == Field::State::null ? ExecBody::Files::null : ExecBody::Files::other;
          body.entries.clear();
        }
        break;
      case Context::files_array:
        body.entries.push_back({});
        break;
      case Context::file_object:
        if (key_ == Key::filename) body.entries.back().filename.set(state, text);
        if (key_ == Key::b64_data) body.entries.back().b64_data.set(state, text);
        break;
      default:
        break;
    }
    return true;
  }

  std::size_t max_depth_;
  std::vector<Context> stack_;  // at most max_depth_ entries
  Key key_ = Key::other;
};

}  // namespace

std::expected<ExecBody, RequestError> parse_exec_body(const std::string& body, std::size_t max_depth) {
  ExecBodySax sax(max_depth);
  const bool parsed = json::sax_parse(body, &sax, json::input_format_t::json, /*strict=*/true);
  if (sax.too_deep)
    return validation("request body nests deeper than the limit of " + std::to_string(max_depth) +
                      " levels; send a flatter body or raise --max-json-depth");
  if (!parsed) return std::unexpected(RequestError{"parsing", "request body is not valid JSON"});
  sax.body.is_object = sax.top_is_object;
  return std::move(sax.body);
}

std::expected<std::vector<engine::SandboxFile>, RequestError> decode_files(ExecBody& body) {
  if (body.files == ExecBody::Files::other) return validation("files must be an array");
  std::vector<engine::SandboxFile> files;
  std::size_t index = 0;
  for (auto& file : body.entries) {
    const std::string where = "files[" + std::to_string(index++) + "]";
    if (!file.is_object) return validation(where + " must be an object with filename and b64_data");
    if (file.filename.state != Field::State::string) return validation(where + ".filename must be a string");
    if (file.b64_data.state != Field::State::string) return validation(where + ".b64_data must be a string");
    auto name = engine::validate_sandbox_path(file.filename.text);
    if (!name) return validation(where + ".filename: " + name.error());
    auto data = engine::base64_decode(file.b64_data.text);
    if (!data) return std::unexpected(RequestError{"parsing", where + ".b64_data: " + data.error()});
    file.b64_data.set(Field::State::missing);  // frees the text before the next file is decoded
    files.push_back({*name, std::move(*data)});
  }
  body.entries.clear();
  return files;
}

std::expected<ExecInput, RequestError> parse_exec_request(const std::string& session_id, const std::string& body,
                                                          std::size_t max_depth) {
  if (session_id.empty()) return validation("sessionId query parameter is required");
  if (!valid_session_id(session_id)) return validation("sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : -");
  auto parsed = parse_exec_body(body, max_depth);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  if (!parsed->is_object) return validation("request body must be a JSON object");
  ExecInput input;
  input.session_id = session_id;
  if (parsed->code.state == Field::State::missing) return validation("code is required");
  if (parsed->code.state != Field::State::string) return validation("code must be a string");
  input.code = std::move(parsed->code.text);
  if (input.code.empty()) return validation("code must not be empty");
  auto files = decode_files(*parsed);
  if (!files) return std::unexpected(std::move(files.error()));
  input.files = std::move(*files);
  return input;
}

}  // namespace vivarium::server
