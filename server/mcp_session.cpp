#include "server/mcp_session.h"

#include "server/mcp_tool.h"
#include "server/mcp_versions.h"

namespace vivarium::server::mcp {
namespace {

using json = nlohmann::json;

constexpr const char* kInstructions =
    "Call the \"run_python_code\" tool with the Python code to run. Each MCP session is one Python session: "
    "variables, imports and files in /home/earth persist between calls.";

std::string id_key(const json& id) { return id.dump(); }

}  // namespace

Session::Session(SessionOptions options, SessionBackend backend)
    : options_(std::move(options)), backend_(std::move(backend)) {}

bool Session::initialized() const {
  std::lock_guard lock(mutex_);
  return initialized_;
}

std::string Session::protocol_version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::optional<json> Session::handle(const Message& message, const Notify& notify) {
  if (message.kind == Message::Kind::response) return std::nullopt;  // vivarium sends no requests
  if (message.kind == Message::Kind::notification) {
    // Unknown notifications are ignored, as JSON-RPC asks: they get no reply.
    if (message.method == "notifications/cancelled") cancel(message.params);
    return std::nullopt;
  }
  const auto& id = message.id;
  const auto& method = message.method;
  if (method == "initialize") return initialize(message);
  if (method == "ping") return result_response(id, json::object());
  if (!initialized())
    return error_response(id, error_code::invalid_request,
                          "Invalid Request: the session is not initialized; send initialize first");
  if (method == "tools/list") return result_response(id, {{"tools", json::array({run_python_code_tool()})}});
  if (method == "tools/call") return call_tool(message, notify);
  if (method == "logging/setLevel") {
    const auto level = message.params.find("level");
    const auto parsed =
        level != message.params.end() && level->is_string() ? parse_log_level(level->get<std::string>()) : std::nullopt;
    if (!parsed)
      return error_response(id, error_code::invalid_params,
                            "Invalid params: level must be one of debug, info, notice, warning, error, critical, "
                            "alert, emergency");
    std::lock_guard lock(mutex_);
    log_threshold_ = *parsed;
    return result_response(id, json::object());
  }
  return error_response(id, error_code::method_not_found,
                        "Method not found: " + method +
                            " (vivarium offers tools/list, tools/call, ping and "
                            "logging/setLevel)");
}

json Session::initialize(const Message& message) {
  const auto& params = message.params;
  const auto requested = params.find("protocolVersion");
  if (requested == params.end() || !requested->is_string())
    return error_response(message.id, error_code::invalid_params,
                          "Invalid params: initialize needs protocolVersion, a string such as \"2025-06-18\"");
  for (const char* field : {"capabilities", "clientInfo"})
    if (auto it = params.find(field); it != params.end() && !it->is_object())
      return error_response(message.id, error_code::invalid_params,
                            std::string("Invalid params: ") + field + " must be an object");
  std::string version;
  {
    std::lock_guard lock(mutex_);
    if (initialized_)
      return error_response(message.id, error_code::invalid_request,
                            "Invalid Request: the session is already initialized; start a new session to "
                            "initialize again");
    initialized_ = true;
    version_ = negotiate_version(requested->get<std::string>());
    version = version_;
  }
  return result_response(
      message.id, {{"protocolVersion", version},
                   {"capabilities", {{"tools", {{"listChanged", false}}}, {"logging", json::object()}}},
                   {"serverInfo",
                    {{"name", "vivarium"}, {"title", "vivarium Python sandbox"}, {"version", options_.server_version}}},
                   {"instructions", kInstructions}});
}

void Session::cancel(const json& params) {
  const auto request = params.find("requestId");
  if (request == params.end() || !(request->is_string() || request->is_number())) return;
  const auto key = id_key(*request);
  bool interrupt = false;
  {
    std::lock_guard lock(mutex_);
    if (!in_flight_.contains(key)) return;  // answered already, or never asked: nothing to do
    cancelled_.insert(key);
    interrupt = running_ == key;
  }
  if (interrupt && backend_.interrupt) backend_.interrupt();
}

std::optional<json> Session::call_tool(const Message& message, const Notify& notify) {
  const auto& id = message.id;
  const auto name = message.params.find("name");
  if (name == message.params.end() || !name->is_string())
    return error_response(id, error_code::invalid_params, "Invalid params: tools/call needs name, a string");
  if (*name != kToolName)
    return error_response(id, error_code::invalid_params,
                          "Unknown tool: " + name->get<std::string>() + " (vivarium has run_python_code)");
  const auto arguments_it = message.params.find("arguments");
  auto arguments = parse_tool_arguments(arguments_it == message.params.end() ? json(nullptr) : *arguments_it);
  if (!arguments) {
    if (argument_errors_are_tool_results(protocol_version()))
      return result_response(id, tool_error_result("Invalid arguments for run_python_code: " + arguments.error()));
    return error_response(id, error_code::invalid_params,
                          "Invalid params: invalid arguments for run_python_code: " + arguments.error());
  }

  const auto key = id_key(id);
  LogLevel threshold;
  std::uint64_t ticket;
  {
    std::unique_lock lock(mutex_);
    if (in_flight_.contains(key))
      return error_response(id, error_code::invalid_request,
                            "Invalid Request: a tools/call with this id is still running; give each request its "
                            "own id");
    in_flight_.insert(key);
    ticket = next_ticket_++;
    turn_changed_.wait(lock, [&] { return now_serving_ == ticket; });
    running_ = key;
    threshold = log_threshold_;
  }
  const bool skip = [&] {
    std::lock_guard lock(mutex_);
    return cancelled_.contains(key);
  }();

  std::optional<json> response;
  try {
    if (!skip) {
      OutputForwarder forwarder(threshold, notify ? notify : Notify([](const json&) {}));
      sessions::ExecInput input{
          arguments->python_code,
          {},
          arguments->globals_json,
          [&forwarder](engine::OutputStream stream, std::string_view text) { forwarder.write(stream, text); }};
      const auto outcome = backend_.execute(input);
      forwarder.flush();
      response = result_response(id, tool_result(outcome, options_.limits));
    }
  } catch (...) {
    finish_call(key);  // the next request's turn comes even when this one failed
    throw;
  }
  // The specification: a cancelled request gets no response.
  if (finish_call(key)) response.reset();
  return response;
}

bool Session::finish_call(const std::string& key) {
  bool cancelled;
  {
    std::lock_guard lock(mutex_);
    running_.reset();
    ++now_serving_;
    in_flight_.erase(key);
    cancelled = cancelled_.erase(key) > 0;
  }
  turn_changed_.notify_all();
  return cancelled;
}

}  // namespace vivarium::server::mcp
