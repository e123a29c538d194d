#include "server/executor.h"

#include <unistd.h>

#include <fstream>

#include "server/logger.h"
#include "server/result_json.h"
#include "server/result_limits.h"
#include "sessions/frame_io.h"
#include "sessions/wire_messages.h"

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

Executor::Executor(SessionRegistry& registry, Zygote& zygote, const SessionCgroups& cgroups, const ServerConfig& config,
                   PackageReader packages)
    : registry_(registry),
      zygote_(zygote),
      cgroups_(cgroups),
      config_(config),
      packages_(std::move(packages)),
      frames_(session_frame_limits(config_, packages_)) {}

std::uint64_t PackageReader::largest_wheel() const {
  std::uint64_t largest = 0;
  for (const auto* folder : {&packages, &wheels}) {
    if (!*folder) continue;
    for (const auto& [file_name, sha256] : (*folder)->sha256_by_file) {
      std::error_code error;
      const auto size = std::filesystem::file_size((*folder)->dir / file_name, error);
      if (!error) largest = std::max<std::uint64_t>(largest, size);
    }
  }
  return largest;
}

sessions::FrameLimits session_frame_limits(const ServerConfig& config, const PackageReader& packages) {
  return sessions::frame_limits({config.max_body_size, packages.largest_wheel(), config.max_output_size,
                                 config.max_output_files_size, config.max_output_files});
}

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
      // Admitted on what the sessions use now, not on what they might (docs/memory-cgroups.md).
      if (auto refusal = cgroups_.refusal()) return {503, error_body("resource_limit", *refusal)};
      auto forked = zygote_.fork_session();
      if (!forked) return {500, error_body("execution", "cannot start a session: " + forked.error())};
      session->process = *forked;
      session->killed_for_memory = false;
    }
    process = *session->process;
  }

  const auto started = Clock::now();
  // One deadline for the whole exchange, sends included: a session that stops reading
  // or drips its result cannot hold this thread past it.
  const auto deadline = started + config_.execution_timeout + kServerGrace;
  const ResultLimits limits{config_.max_output_size, config_.max_output_files_size, config_.max_output_files};
  auto exchange = [&]() -> std::expected<engine::ExecutionResult, sessions::WireError> {
    const sessions::ExecRequest request{input.code,
                                        input.files,
                                        config_.execution_timeout,
                                        limits.max_output_bytes,
                                        limits.max_output_files_bytes,
                                        limits.max_output_files};
    if (auto sent = sessions::send_frame(process.socket, sessions::encode(request), deadline); !sent)
      return std::unexpected(sent.error());
    for (;;) {
      auto frame = sessions::receive_frame(process.socket, frames_.from_session, deadline);
      if (!frame) return std::unexpected(frame.error());
      if (frame->passed_fd >= 0) ::close(frame->passed_fd);  // sessions pass none
      auto message = sessions::decode_from_session(frame->body);
      if (!message) return std::unexpected(message.error());
      if (auto* done = std::get_if<sessions::ExecResult>(&*message)) return std::move(done->result);
      if (std::holds_alternative<sessions::OutputChunk>(*message)) continue;  // streaming comes in a later issue
      // A session asks for wheels of the package folders while it runs (it cannot open
      // files itself).
      const auto& asked = std::get<sessions::PackageRequest>(*message);
      const sessions::PackageReply reply{packages_.read(asked.source, asked.file_name)};
      if (auto answered = sessions::send_frame(process.socket, sessions::encode(reply), deadline); !answered)
        return std::unexpected(answered.error());
    }
  };
  auto received = exchange();
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
    // The session applied these limits already, unless it left the engine's path.
    apply_result_limits(*received, limits);
    if (received->interpreter_lost) reset();
    return {200, execution_to_json(*received, {.max_bytes = config_.max_output_size})};
  }
  bool killed_for_memory, ended;
  {
    std::lock_guard lock(session->mutex);
    killed_for_memory = session->killed_for_memory;
    ended = session->ended;
  }
  // The kernel's OOM killer, at the session's cap or the budget: counted in its cgroup,
  // which reset() removes.
  if (!killed_for_memory && process.cgroup)
    if (auto oom = process.cgroup->oom_killed(); oom && *oom) killed_for_memory = true;
  reset();
  if (ended) return {409, error_body("validation", "the session was deleted during this execution")};
  if (killed_for_memory)
    return reset_reply("resource_limit", "the session went over its memory limit and was reset", runtime_ms);
  using sessions::WireErrorKind;
  const auto& failure = received.error();
  if (failure.kind == WireErrorKind::timeout)
    return reset_reply("timeout", "the execution did not stop after the time limit; the session was reset", runtime_ms);
  if (failure.kind == WireErrorKind::closed || failure.kind == WireErrorKind::io)
    return reset_reply("execution", "the session process crashed and was reset (" + failure.message + ")", runtime_ms);
  // Only a session that left the engine's own path can send such a frame.
  log::warn("session process " + std::to_string(process.pid) + " sent a bad frame (" +
            sessions::wire_error_kind_name(failure.kind) + ": " + failure.message + "); it was killed and reset");
  return reset_reply("execution", "the session process sent a message that cannot be decoded and was reset",
                     runtime_ms);
}

}  // namespace vivarium::server
