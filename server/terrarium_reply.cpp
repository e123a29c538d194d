#include "server/terrarium_reply.h"

#include <sstream>

#include "server/result_json.h"

namespace vivarium::server {
namespace {

using json = nlohmann::json;

std::string string_field(const json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string timeout_message(std::chrono::milliseconds limit, const std::string& traceback) {
  std::ostringstream out;
  out << "execution stopped after the time limit of " << static_cast<double>(limit.count()) / 1000
      << " s; make the code finish sooner";
  if (!traceback.empty()) out << ". It was stopped here:\n" << traceback;
  return out.str();
}

}  // namespace

json terrarium_body(const json& exec_body, std::chrono::milliseconds execution_timeout) {
  json body = {{"success", exec_body.value("success", false)}};
  if (const auto result = exec_body.find("result"); result != exec_body.end() && result->is_object())
    for (const char* name : {"final_expression", "output_files", "std_out", "std_err", "code_runtime"})
      if (const auto field = result->find(name); field != result->end()) body[name] = *field;
  const auto error = exec_body.find("error");
  if (error == exec_body.end() || !error->is_object()) return body;

  std::string type = string_field(*error, "type");
  std::string message = string_field(*error, "message");
  if (type == "execution") {
    if (auto exception = string_field(*error, "exception"); !exception.empty()) type = std::move(exception);
    if (auto traceback = string_field(*error, "traceback"); !traceback.empty()) message = std::move(traceback);
  } else if (type == "timeout" && string_field(*error, "exception") == "KeyboardInterrupt") {
    message = timeout_message(execution_timeout, string_field(*error, "traceback"));
  }
  body["error"] = {{"type", std::move(type)}, {"message", std::move(message)}};
  if (const auto reset = error->find("session_reset"); reset != error->end()) body["error"]["session_reset"] = *reset;
  return body;
}

std::string terrarium_text(const json& body) { return to_json_text(body) + "\n"; }

}  // namespace vivarium::server
