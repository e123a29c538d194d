#include "server/result_json.h"

#include "engine/base64.h"

namespace vivarium::server {

const char* error_type_name(engine::ErrorKind kind) {
  switch (kind) {
    case engine::ErrorKind::execution:
      return "execution";
    case engine::ErrorKind::timeout:
      return "timeout";
    case engine::ErrorKind::memory:
      return "resource_limit";
    case engine::ErrorKind::engine:
      return "execution";
  }
  return "execution";
}

std::string to_json_text(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json execution_to_json(const engine::ExecutionResult& result, const FinalExpressionLimits& limits) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& file : result.output_files)
    files.push_back({{"filename", file.path}, {"b64_data", engine::base64_encode(file.data)}});
  nlohmann::json body = {
      // Checked text is one JSON value of bounded depth, so parsing it and writing it
      // back out cannot recurse deeply.
      {"final_expression",
       nlohmann::json::parse(checked_final_expression(result.final_expression_json, limits), nullptr, false)},
      {"output_files", std::move(files)},
      {"std_out", result.std_out},
      {"std_err", result.std_err},
      {"code_runtime", result.code_runtime_ms},
  };
  if (body["final_expression"].is_discarded()) body["final_expression"] = nullptr;
  if (!result.error) return {{"success", true}, {"result", std::move(body)}};

  const auto& error = *result.error;
  nlohmann::json error_json = {{"type", error_type_name(error.kind)}, {"message", error.message}};
  if (!error.exception.empty()) error_json["exception"] = error.exception;
  if (!error.traceback.empty()) error_json["traceback"] = error.traceback;
  if (error.line) error_json["line"] = *error.line;
  // Always said for a timeout; for other errors only when the state is gone (an ignored
  // interrupt, a crash of the interpreter).
  if (error.kind == engine::ErrorKind::timeout || result.interpreter_lost)
    error_json["session_reset"] = result.interpreter_lost;
  // Nothing that happened is lost: the partial result goes along with the error.
  body["final_expression"] = nullptr;
  return {{"success", false}, {"error", std::move(error_json)}, {"result", std::move(body)}};
}

}  // namespace vivarium::server
