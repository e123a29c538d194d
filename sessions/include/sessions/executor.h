// Runs one execution in its session's process and says what happened, including the
// resets: timeout past the grace period, memory cap, crash, a message that cannot be
// decoded. What an outcome means in HTTP is the server's business (server/exec_reply.h).
// Session processes come through SessionLauncher, so that tests can give the executor a
// fake session (tests/unit/executor_test.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/execution.h"
#include "metrics/metrics.h"
#include "packages/package_reader.h"
#include "sessions/frame_limits.h"
#include "sessions/session_admission.h"
#include "sessions/session_registry.h"

namespace vivarium::sessions {

struct ExecutorLimits {
  std::chrono::milliseconds execution_timeout{30000};
  std::uint64_t max_output_bytes = 1 << 20;  // per stream, and for the final expression
  std::uint64_t max_output_files_bytes = 50 << 20;
  std::uint64_t max_output_files = 1000;
  int max_sessions = 100;  // for the message when the registry is full
  // The session's own watchdog interrupts at the timeout and stops hard after two grace
  // periods of 2 s; the executor waits a little longer before it kills the process.
  std::chrono::milliseconds grace{6000};
};

// The execution ran and gave a result (which may be a Python error).
struct ExecCompleted {
  engine::ExecutionResult result;
  // It ran in a fresh interpreter: the session's first execution, or the first after a
  // reset (a client behind a load balancer learns that its state is gone).
  bool session_created = false;
};

// It did not run.
enum class Refusal {
  too_many_sessions,  // the registry is full
  cancelled,          // its caller gave up before it began (ExecInput::cancelled)
  no_memory,          // the sessions' memory budget has no room for a new process
  cannot_start,       // the zygote could not fork one
  session_ended,      // the session was deleted (or expired) while this waited or ran
  stopping,           // the server is shutting down (Executor::refuse_new)
};
struct ExecRefused {
  Refusal reason;
  std::string message;  // one sentence, for the client
};

// It ran, went wrong outside Python, and the session's process was replaced: the next
// execution starts a fresh one (its state is gone).
enum class ResetReason {
  memory_limit,  // killed at its memory cap (the watch or the kernel's OOM killer)
  timeout,       // still running past the timeout and the grace period
  crashed,       // the process died or its socket broke
  bad_message,   // it sent a frame that cannot be decoded (only a session off the engine's path can)
};
struct ExecReset {
  ResetReason reason;
  std::string message;
  std::int64_t runtime_ms = 0;
  bool session_created = false;  // as in ExecCompleted
};

using ExecOutcome = std::variant<ExecCompleted, ExecRefused, ExecReset>;

// One execution as a caller asks for it.
struct ExecInput {
  std::string code;
  std::vector<engine::SandboxFile> files;
  // A JSON object whose names are bound as globals before the code runs (MCP's
  // global_variables); empty: none.
  std::string globals_json;
  // When set, called with stdout and stderr as Python writes them, in order, from the
  // executing thread. It must not block: a slow consumer buffers or drops on its own
  // side (the session's output would otherwise stall on the socket). Text comes in whole
  // UTF-8 sequences from a session on the engine's path; treat it as untrusted bytes.
  engine::OutputSink on_output;
  // Set by the caller to give up on this execution (a streaming client went away), then
  // Executor::interrupt(id, cancelled.get()): one that has not begun does not run, one
  // that runs is interrupted. Null: the caller never cancels.
  std::shared_ptr<std::atomic<bool>> cancelled;
};

// What POST /sessions/ID/interrupt found.
enum class InterruptOutcome {
  no_session,   // no session with that id
  not_running,  // it exists, and nothing runs in it
  interrupted,  // its execution was asked to stop (KeyboardInterrupt, then the timeout's escalation)
};

class Executor {
 public:
  // `admission` may be null (no memory cgroups). All references must outlive the executor.
  Executor(SessionRegistry& registry, SessionLauncher& launcher, const SessionAdmission* admission,
           ExecutorLimits limits, packages::PackageReader packages, FrameLimits frames);
  ExecOutcome execute(const std::string& session_id, const ExecInput& input);
  // Counts executions, new sessions and resets there from now on (null: nowhere).
  void use_metrics(metrics::Metrics* metrics) { metrics_ = metrics; }
  // From now on every new execution is refused (Refusal::stopping): a shutdown lets the
  // ones under way finish, and no others begin.
  void refuse_new() { refusing_ = true; }
  // Executions under way, waiting for their turn included.
  int running() const { return running_.load(); }
  // Thread-safe: asks the execution running in that session to stop, or only the one
  // whose ExecInput::cancelled is `only` (then set that flag first).
  InterruptOutcome interrupt(const std::string& session_id, const std::atomic<bool>* only = nullptr);

 private:
  SessionRegistry& registry_;
  SessionLauncher& launcher_;
  const SessionAdmission* admission_;
  ExecutorLimits limits_;
  packages::PackageReader packages_;
  FrameLimits frames_;
  metrics::Metrics* metrics_ = nullptr;
  std::atomic<bool> refusing_{false};
  std::atomic<int> running_{0};

  ExecOutcome run(const std::string& session_id, const ExecInput& input);
};

}  // namespace vivarium::sessions
