#include "server/session_protocol.h"

#include "server/units.h"

namespace vivarium::server {
namespace {
using json = nlohmann::json;

json bytes(const std::string& data) { return json::binary(std::vector<std::uint8_t>(data.begin(), data.end())); }

std::string bytes_of(const json& value) {
  if (!value.is_binary()) return {};
  const auto& bin = value.get_binary();
  return std::string(bin.begin(), bin.end());
}

const char* kind_name(engine::ErrorKind kind) {
  switch (kind) {
    case engine::ErrorKind::execution: return "execution";
    case engine::ErrorKind::timeout: return "timeout";
    case engine::ErrorKind::memory: return "memory";
    case engine::ErrorKind::engine: return "engine";
  }
  return "engine";
}

engine::ErrorKind kind_of(const std::string& name) {
  if (name == "execution") return engine::ErrorKind::execution;
  if (name == "timeout") return engine::ErrorKind::timeout;
  if (name == "memory") return engine::ErrorKind::memory;
  return engine::ErrorKind::engine;
}
}  // namespace

json encode_request(const std::string& code, const std::vector<engine::SandboxFile>& files,
                    const SessionLimits& limits) {
  json file_list = json::array();
  for (const auto& file : files) file_list.push_back({{"path", file.path}, {"data", bytes(file.data)}});
  return {{"code", code},
          {"files", std::move(file_list)},
          {"timeout_ms", limits.timeout.count()},
          {"max_output", limits.max_output_bytes},
          {"max_output_files", limits.max_output_files_bytes}};
}

DecodedRequest decode_request(const json& message) {
  DecodedRequest decoded;
  decoded.request.code = message.value("code", "");
  for (const auto& file : message.value("files", json::array()))
    decoded.request.files.push_back({file.value("path", ""), bytes_of(file["data"])});
  decoded.request.timeout = std::chrono::milliseconds(message.value("timeout_ms", 30000));
  decoded.request.max_output_bytes = message.value("max_output", std::size_t{1} << 20);
  decoded.max_output_files_bytes = message.value("max_output_files", std::size_t{50} << 20);
  return decoded;
}

json encode_result(const engine::ExecutionResult& result) {
  json files = json::array();
  for (const auto& file : result.output_files) files.push_back({{"path", file.path}, {"data", bytes(file.data)}});
  json message = {{"std_out", result.std_out},
                  {"std_err", result.std_err},
                  {"final", result.final_expression_json},
                  {"files", std::move(files)},
                  {"runtime_ms", result.code_runtime_ms},
                  {"lost", result.interpreter_lost}};
  if (result.exit_code) message["exit_code"] = *result.exit_code;
  if (result.error) {
    const auto& e = *result.error;
    message["error"] = {{"kind", kind_name(e.kind)},
                        {"exception", e.exception},
                        {"message", e.message},
                        {"traceback", e.traceback}};
    if (e.line) message["error"]["line"] = *e.line;
  }
  return message;
}

engine::ExecutionResult decode_result(const json& message) {
  engine::ExecutionResult result;
  result.std_out = message.value("std_out", "");
  result.std_err = message.value("std_err", "");
  result.final_expression_json = message.value("final", "null");
  for (const auto& file : message.value("files", json::array()))
    result.output_files.push_back({file.value("path", ""), bytes_of(file["data"])});
  result.code_runtime_ms = message.value("runtime_ms", std::int64_t{0});
  result.interpreter_lost = message.value("lost", false);
  if (message.contains("exit_code")) result.exit_code = message["exit_code"].get<int>();
  if (message.contains("error")) {
    const auto& e = message["error"];
    engine::ExecutionError error;
    error.kind = kind_of(e.value("kind", "engine"));
    error.exception = e.value("exception", "");
    error.message = e.value("message", "");
    error.traceback = e.value("traceback", "");
    if (e.contains("line")) error.line = e["line"].get<int>();
    result.error = std::move(error);
  }
  return result;
}

void apply_output_files_limit(engine::ExecutionResult& result, std::size_t limit) {
  std::size_t total = 0;
  std::vector<engine::SandboxFile> kept;
  for (auto& file : result.output_files) {
    if (total + file.data.size() <= limit) {
      total += file.data.size();
      kept.push_back(std::move(file));
    } else {
      result.std_err += "[vivarium: output file '" + file.path + "' (" + format_size(file.data.size()) +
                        ") left out: the output files limit is " + format_size(limit) + "]\n";
    }
  }
  result.output_files = std::move(kept);
}

}  // namespace vivarium::server
