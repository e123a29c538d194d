#include "server/executor.h"

#include <fstream>

#include "server/ipc.h"
#include "server/result_json.h"
#include "server/session_protocol.h"

namespace vivarium::server {
namespace {

using Clock = std::chrono::steady_clock;

// The session's own watchdog interrupts at the timeout and stops hard after two grace
// periods of 2 s; the server waits a little longer before it kills the process.
constexpr auto kServerGrace = std::chrono::seconds(6);

HttpReply reset_reply(const std::string& type, const std::string& message, std::int64_t runtime_ms) {
  engine::ExecutionResult result;
  result.code_runtime_ms = runtime_ms;
  auto body = execution_to_json(result);
  body["success"] = false;
  body["error"] = {{"type", type}, {"message", message}, {"session_reset", true}};
  return {200, body};
}

}  // namespace

nlohmann::json error_body(const std::string& type, const std::string& message) {
  return {{"success", false}, {"error", {{"type", type}, {"message", message}}}};
}

Executor::Executor(SessionRegistry& registry, Zygote& zygote, const ServerConfig& config, PackageReader packages)
    : registry_(registry), zygote_(zygote), config_(config), packages_(std::move(packages)) {}

std::optional<std::string> PackageReader::read(engine::WheelSource source, const std::string& file_name) const {
  const auto& folder = source == engine::WheelSource::package_folder ? packages : wheels;
  // Only a plain file name that is listed.
  if (!folder || file_name.find('/') != std::string::npos || !folder->sha256_by_file.contains(file_name))
    return std::nullopt;
  std::ifstream in(folder->dir / file_name, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

HttpReply Executor::execute(const ExecInput& input) {
  auto acquired = registry_.acquire(input.session_id);
  if (!acquired)
    return {503, error_body("resource_limit", "the server already has its maximum of " +
                                                  std::to_string(config_.max_sessions) +
                                                  " sessions; delete one or wait for idle ones to expire")};
  auto session = *acquired;
  SessionTurn turn(*session);

  SessionProcess process;
  {
    std::lock_guard lock(session->mutex);
    if (session->ended) return {409, error_body("validation", "the session was deleted while this request waited")};
    if (!session->process) {
      auto forked = zygote_.fork_session();
      if (!forked) return {500, error_body("execution", "cannot start a session: " + forked.error())};
      session->process = *forked;
      session->killed_for_memory = false;
    }
    process = *session->process;
  }

  const auto started = Clock::now();
  SessionLimits limits{config_.execution_timeout, config_.max_output_size, config_.max_output_files_size};
  auto sent = ipc::send(process.socket, encode_request(input.code, input.files, limits));
  std::expected<ipc::Received, std::string> received = std::unexpected(sent ? "" : sent.error());
  const auto deadline = started + config_.execution_timeout + kServerGrace;
  if (sent) received = ipc::receive(process.socket, deadline);
  // A session may ask for wheels of the package folder while it runs (it cannot open
  // files itself); answer until the result comes.
  while (received && received->message.is_object() && received->message.contains("read_package")) {
    const auto& request = received->message;
    const auto from = request.find("from");
    const bool from_wheels = from != request.end() && from->is_string() && *from == kFromWheelFolder;
    const auto source = from_wheels ? engine::WheelSource::wheel_folder : engine::WheelSource::package_folder;
    auto bytes = request["read_package"].is_string()
                     ? packages_.read(source, request["read_package"].get<std::string>())
                     : std::nullopt;
    nlohmann::json answer = nlohmann::json::object();
    if (bytes) answer["package"] = nlohmann::json::binary(std::vector<std::uint8_t>(bytes->begin(), bytes->end()));
    // A session that cannot be answered is out of step with the server: it is reset below.
    if (auto answered = ipc::send(process.socket, answer); !answered) {
      received = std::unexpected("cannot answer the session: " + answered.error());
      break;
    }
    received = ipc::receive(process.socket, deadline);
  }
  const auto runtime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();

  // Replaces the session's process with nothing: the next execution forks a fresh one.
  auto reset = [&] {
    std::lock_guard lock(session->mutex);
    if (session->process) {
      kill_session_process(*session->process);
      release_session_process(*session->process);
      session->process.reset();
    }
  };

  if (received) {
    auto result = decode_result(received->message);
    if (result.interpreter_lost) reset();
    return {200, execution_to_json(result, {.max_bytes = config_.max_output_size})};
  }
  bool killed_for_memory, ended;
  {
    std::lock_guard lock(session->mutex);
    killed_for_memory = session->killed_for_memory;
    ended = session->ended;
  }
  reset();
  if (ended) return {409, error_body("validation", "the session was deleted during this execution")};
  if (killed_for_memory)
    return reset_reply("resource_limit", "the session went over its memory limit and was reset", runtime_ms);
  if (received.error() == "timeout")
    return reset_reply("timeout", "the execution did not stop after the time limit; the session was reset", runtime_ms);
  return reset_reply("execution", "the session process crashed and was reset (" + received.error() + ")", runtime_ms);
}

}  // namespace vivarium::server
