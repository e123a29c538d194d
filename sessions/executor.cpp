#include "sessions/executor.h"

#include <unistd.h>

#include "log/logger.h"
#include "sessions/frame_io.h"
#include "sessions/result_limits.h"
#include "sessions/wire_messages.h"

namespace vivarium::sessions {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Executor::Executor(SessionRegistry& registry, SessionLauncher& launcher, const SessionAdmission* admission,
                   ExecutorLimits limits, packages::PackageReader packages, FrameLimits frames)
    : registry_(registry),
      launcher_(launcher),
      admission_(admission),
      limits_(limits),
      packages_(std::move(packages)),
      frames_(frames) {}

namespace {

const char* reset_reason_name(ResetReason reason) {
  switch (reason) {
    case ResetReason::memory_limit:
      return "memory_limit";
    case ResetReason::timeout:
      return "timeout";
    case ResetReason::crashed:
      return "crashed";
    case ResetReason::bad_message:
      return "bad_message";
  }
  return "crashed";
}

metrics::ExecutionOutcome outcome_of(const ExecOutcome& outcome) {
  if (const auto* completed = std::get_if<ExecCompleted>(&outcome)) {
    const auto& error = completed->result.error;
    if (!error) return metrics::ExecutionOutcome::ok;
    return error->kind == engine::ErrorKind::timeout ? metrics::ExecutionOutcome::timeout
                                                     : metrics::ExecutionOutcome::error;
  }
  return std::holds_alternative<ExecReset>(outcome) ? metrics::ExecutionOutcome::reset
                                                    : metrics::ExecutionOutcome::refused;
}

}  // namespace

ExecOutcome Executor::execute(const std::string& session_id, const ExecInput& input) {
  const auto started = Clock::now();
  running_.fetch_add(1);
  ExecOutcome outcome = refusing_.load() ? ExecOutcome(ExecRefused{Refusal::stopping,
                                                                   "the server is shutting down; retry on another "
                                                                   "instance or once it is back"})
                                         : run(session_id, input);
  running_.fetch_sub(1);
  if (metrics_) {
    metrics_->execution(outcome_of(outcome), Clock::now() - started);
    if (const auto* reset = std::get_if<ExecReset>(&outcome)) metrics_->session_reset(reset_reason_name(reset->reason));
    if (const auto* completed = std::get_if<ExecCompleted>(&outcome); completed && completed->result.interpreter_lost)
      metrics_->session_reset("interpreter_lost");
  }
  return outcome;
}

ExecOutcome Executor::run(const std::string& session_id, const ExecInput& input) {
  auto acquired = registry_.acquire(session_id);
  if (!acquired)
    return ExecRefused{Refusal::too_many_sessions, "the server already has its maximum of " +
                                                       std::to_string(limits_.max_sessions) +
                                                       " sessions; delete one or wait for idle ones to expire"};
  auto session = *acquired;
  SessionTurn turn(*session);

  SessionProcess process;
  bool fresh = false;
  {
    std::lock_guard lock(session->mutex);
    if (session->ended) return ExecRefused{Refusal::session_ended, "the session was deleted while this request waited"};
    if (!session->process) {
      // Admitted on what the sessions use now, not on what they might (docs/memory-cgroups.md).
      if (admission_)
        if (auto refusal = admission_->refusal()) return ExecRefused{Refusal::no_memory, *refusal};
      const auto asked = Clock::now();
      auto forked = launcher_.fork_session();
      if (!forked) return ExecRefused{Refusal::cannot_start, "cannot start a session: " + forked.error()};
      session->process = *forked;
      session->killed_for_memory = false;
      fresh = true;
      if (metrics_) {
        metrics_->new_session(Clock::now() - asked);
        if (!session->had_process) metrics_->session_created();
      }
      session->had_process = true;
    }
    process = *session->process;
  }

  const auto started = Clock::now();
  // One deadline for the whole exchange, sends included: a session that stops reading
  // or drips its result cannot hold this thread past it.
  const auto deadline = started + limits_.execution_timeout + limits_.grace;
  const ResultLimits limits{limits_.max_output_bytes, limits_.max_output_files_bytes, limits_.max_output_files};
  // Under the send lock, so that an interrupt for this execution is never sent before
  // it, and one for the previous execution never after.
  auto send_exec = [&]() -> std::expected<bool, WireError> {
    std::lock_guard send_lock(session->send_mutex);
    {
      std::lock_guard lock(session->mutex);
      if (input.cancelled && input.cancelled->load()) return false;
      session->executing = true;
      session->running_cancel = input.cancelled.get();
    }
    const ExecRequest request{input.code,
                              input.files,
                              limits_.execution_timeout,
                              limits.max_output_bytes,
                              limits.max_output_files_bytes,
                              limits.max_output_files,
                              input.globals_json,
                              static_cast<bool>(input.on_output)};
    if (auto sent = send_frame(process.socket, encode(request), deadline); !sent) return std::unexpected(sent.error());
    return true;
  };
  auto exchange = [&]() -> std::expected<engine::ExecutionResult, WireError> {
    for (;;) {
      auto frame = receive_frame(process.socket, frames_.from_session, deadline);
      if (!frame) return std::unexpected(frame.error());
      if (frame->passed_fd >= 0) ::close(frame->passed_fd);  // sessions pass none
      auto message = decode_from_session(frame->body);
      if (!message) return std::unexpected(message.error());
      if (auto* done = std::get_if<ExecResult>(&*message)) return std::move(done->result);
      if (auto* chunk = std::get_if<OutputChunk>(&*message)) {
        if (input.on_output) input.on_output(chunk->stream, chunk->text);
        continue;  // a session that streams unasked only costs itself time
      }
      // A session asks for wheels of the package folders while it runs (it cannot open
      // files itself).
      const auto& asked = std::get<PackageRequest>(*message);
      const PackageReply reply{packages_.read(asked.source, asked.file_name)};
      std::lock_guard send_lock(session->send_mutex);
      if (auto answered = send_frame(process.socket, encode(reply), deadline); !answered)
        return std::unexpected(answered.error());
    }
  };
  auto sent = send_exec();
  if (sent && !*sent) return ExecRefused{Refusal::cancelled, "the client went away before the execution began"};
  std::expected<engine::ExecutionResult, WireError> received = sent ? exchange() : std::unexpected(sent.error());
  {
    // With the send lock: an interrupt being sent finishes before the socket can close.
    std::lock_guard send_lock(session->send_mutex);
    std::lock_guard lock(session->mutex);
    session->executing = false;
    session->running_cancel = nullptr;
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
    // The session applied these limits already, unless it left the engine's path.
    apply_result_limits(*received, limits);
    if (received->interpreter_lost) reset();
    return ExecCompleted{std::move(*received), fresh};
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
  if (ended) return ExecRefused{Refusal::session_ended, "the session was deleted during this execution"};
  if (killed_for_memory)
    return ExecReset{ResetReason::memory_limit, "the session went over its memory limit and was reset", runtime_ms,
                     fresh};
  const auto& failure = received.error();
  if (failure.kind == WireErrorKind::timeout)
    return ExecReset{ResetReason::timeout, "the execution did not stop after the time limit; the session was reset",
                     runtime_ms, fresh};
  if (failure.kind == WireErrorKind::closed || failure.kind == WireErrorKind::io)
    return ExecReset{ResetReason::crashed, "the session process crashed and was reset (" + failure.message + ")",
                     runtime_ms, fresh};
  // Only a session that left the engine's own path can send such a frame.
  log::warn("session process " + std::to_string(process.pid) + " sent a bad frame (" +
            wire_error_kind_name(failure.kind) + ": " + failure.message + "); it was killed and reset");
  return ExecReset{ResetReason::bad_message, "the session process sent a message that cannot be decoded and was reset",
                   runtime_ms, fresh};
}

InterruptOutcome Executor::interrupt(const std::string& session_id, const std::atomic<bool>* only) {
  auto session = registry_.find(session_id);
  if (!session) return InterruptOutcome::no_session;
  std::lock_guard send_lock(session->send_mutex);
  int socket = -1;
  {
    std::lock_guard lock(session->mutex);
    if (!session->executing || !session->process || (only && session->running_cancel != only))
      return InterruptOutcome::not_running;
    socket = session->process->socket;
  }
  // A session that does not take this small frame within a second is stuck; the
  // timeout's escalation ends it anyway.
  (void)send_frame(socket, encode(InterruptRequest{}), Clock::now() + std::chrono::seconds(1));
  return InterruptOutcome::interrupted;
}

}  // namespace vivarium::sessions
