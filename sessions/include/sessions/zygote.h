// The zygote: a process that boots V8 + Pyodide once and forks a ready session process
// per request, in milliseconds. The server talks to it over a socket and never runs V8:
// this is the server's side; the zygote's own is zygote_main.h.
//
// Spares: with spare_sessions K > 0 it keeps K session processes forked ahead of time,
// each already in its cgroup, holding its uid, locked down and warmed up by one no-op
// execution (session_process.cpp). A new session takes one and a thread of its own
// forks the next, off the request path: a first execution then costs a warm execution
// instead of a fork, a lock-down and the copy-on-write faults of a first run (~35 ms,
// bench/server.sh). The memory budget still decides whether a new session may start
// (its growth is what the budget guards against), and spares yield to sessions there.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "metrics/metrics.h"
#include "sandbox/privileges.h"
#include "sessions/sandbox_ids.h"
#include "sessions/session_handle.h"

namespace vivarium::sessions {

class SessionCgroups;

struct ZygoteOptions {
  std::filesystem::path executable;  // this binary, re-run as `vivarium __zygote`
  std::optional<std::filesystem::path> assets_dir;
  std::optional<std::filesystem::path> cache_dir;
  std::uint64_t memory_limit = std::uint64_t{512} << 20;
  std::optional<std::filesystem::path> packages_dir;  // default: beside the assets
  std::optional<std::filesystem::path> wheels_dir;    // default: beside the assets
  std::vector<std::string> preload;
  // Sessions of a zygote run as root switch to one id each of this range.
  sandbox::IdRange sandbox_ids;
  bool require_full_sandbox = false;  // --require-full-sandbox: no session without every layer
  int spare_sessions = 0;             // --spare-sessions: processes kept ready for new sessions
};

class Zygote : public SessionLauncher {
 public:
  explicit Zygote(ZygoteOptions options);
  ~Zygote();
  // Starts the zygote and waits until it has booted Python (seconds the first time).
  // Spares of an earlier zygote are killed, and new ones forked in the background.
  std::expected<void, std::string> start();
  // A new session process: a ready spare whose process is alive now (a dead one is
  // discarded, never handed out; another is forked behind it), else one forked now,
  // after re-creating the zygote if it has died.
  std::expected<SessionProcess, std::string> fork_session() override;
  // Ends the spares, their refill thread and the zygote.
  void stop();
  std::optional<pid_t> pid() const;
  // The spares' pids now (for resident memory), and how many there are.
  std::vector<pid_t> spare_pids() const;
  // Preload packages the zygote could not find, as it reported when it booted.
  std::vector<std::string> missing_preloads() const;
  // From now on every session is forked into a cgroup of its own from `cgroups`, and
  // spares are forked only while its budget admits a new session (start() first).
  void use_cgroups(SessionCgroups* cgroups) { cgroups_ = cgroups; }
  // Counts restarts there from now on.
  void use_metrics(metrics::Metrics* metrics) { metrics_ = metrics; }

 private:
  struct Forked {
    SessionProcess process;
    std::uint64_t generation = 0;  // of the zygote that forked it
  };
  std::expected<Forked, std::string> request_fork(bool spare);
  std::optional<SessionProcess> take_spare();
  std::expected<SessionProcess, std::string> fork_or_restart();
  std::expected<void, std::string> restart(std::uint64_t failed_generation);
  bool zygote_alive() const;
  std::expected<void, std::string> boot();  // spawns the zygote process and waits for its report
  void stop_zygote();
  void refill_loop();
  // Kills and releases them (with spares_mutex_ held: the list is emptied at once).
  static void discard(std::deque<Forked>& spares);

  ZygoteOptions options_;
  SandboxIds sandbox_ids_;
  mutable std::mutex mutex_;
  std::mutex restart_mutex_;                   // one restart at a time, taken before mutex_
  std::atomic<std::uint64_t> generation_ = 0;  // zygotes started so far
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int control_ = -1;
  std::vector<std::string> missing_preloads_;
  SessionCgroups* cgroups_ = nullptr;
  metrics::Metrics* metrics_ = nullptr;

  // The spares, oldest first; only the refill thread adds, under spares_mutex_ (taken
  // after mutex_ where both are held).
  mutable std::mutex spares_mutex_;
  std::condition_variable spares_wanted_;  // one was taken, or the zygote restarted, or stop
  std::deque<Forked> spares_;
  bool refill_stopping_ = false;
  std::thread refill_;
};

}  // namespace vivarium::sessions
