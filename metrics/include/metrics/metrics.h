// Every metric vivarium exports (docs/metrics.md lists them), counted by the session layer
// and the server, and rendered in Prometheus's text format 0.0.4 for GET /metrics.
// Thread-safe: each call is a few atomic operations (a label lookup under prometheus-cpp's
// family mutex for the labelled ones).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vivarium::metrics {

// GET /metrics's Content-Type.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// What became of one execution (the `outcome` label of vivarium_executions_total).
enum class ExecutionOutcome {
  ok,       // ran and raised nothing
  error,    // Python raised (SyntaxError, an exception, sys.exit with a status)
  timeout,  // stopped at the time limit, the session kept
  reset,    // the session's process was replaced (vivarium_session_resets_total says why)
  refused,  // it did not run (session cap, memory budget, deleted session, client gone)
};

// Where a new session's process came from (the `from` label of vivarium_session_starts_total).
enum class SessionStart {
  spare,  // a spare forked and warmed ahead of time (--spare-sessions)
  fork,   // forked for it, on the request's path
};

// Resident memory at scrape time, by process.
struct ResidentMemory {
  std::uint64_t server = 0;
  std::uint64_t zygote = 0;
  std::uint64_t sessions = 0;  // every live session process together
  std::uint64_t spares = 0;    // every spare session process together
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Sessions (sessions/executor.cpp, session_service.cpp, zygote.cpp).
  void session_created();
  void session_expired();
  // reason: memory_limit, timeout, crashed, bad_message, interpreter_lost.
  void session_reset(std::string_view reason);
  void execution(ExecutionOutcome outcome, std::chrono::duration<double> time);
  // From asking the zygote for a process until the process is handed to its first execution.
  void new_session(std::chrono::duration<double> latency);
  void zygote_restarted();
  void session_started(SessionStart from);

  // HTTP (server/serve.cpp's request log): `route` is a pattern from a fixed set, never a
  // raw path. 401, 429 and 413 also count as rejections (auth, rate, size).
  void http_request(std::string_view route, int status);

  // Set at scrape time, just before render().
  void set_sessions_active(std::size_t count);
  void set_resident_memory(const ResidentMemory& memory);
  void set_spare_sessions(std::size_t count);

  // The text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Families;
  std::unique_ptr<Families> families_;
};

// Resident bytes of a process (/proc/PID/statm); 0 when it is gone.
std::uint64_t resident_bytes(pid_t pid);

}  // namespace vivarium::metrics
