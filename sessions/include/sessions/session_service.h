// Everything that keeps sessions alive, for any front end (`serve`'s HTTP API, the MCP
// server on stdio): the registry, the memory cgroups, the zygote, the executor, and a
// background thread that expires idle sessions and kills any over its memory cap. The
// front end owns the transport, its signals and its shutdown grace; this owns processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <mutex>
#include <string>
#include <thread>

#include "packages/package_reader.h"
#include "sandbox/privileges.h"
#include "sessions/executor.h"
#include "sessions/frame_limits.h"
#include "sessions/session_cgroups.h"
#include "sessions/session_registry.h"
#include "sessions/zygote.h"

namespace vivarium::sessions {

struct SessionServiceOptions {
  ZygoteOptions zygote;
  ExecutorLimits limits;
  packages::PackageReader packages;
  FrameLimits frames;
  std::chrono::milliseconds session_timeout{3600000};  // idle sessions end after this
  std::uint64_t process_memory_limit = std::uint64_t{1} << 30;
  std::uint64_t total_memory_limit = 0;  // 0: no budget across sessions
  metrics::Metrics* metrics = nullptr;   // where sessions are counted; null: nowhere
};

class SessionService {
 public:
  explicit SessionService(SessionServiceOptions options);
  ~SessionService();  // stops the background thread and every process, if still running
  SessionService(const SessionService&) = delete;
  SessionService& operator=(const SessionService&) = delete;

  // Probes the process wall, opens the cgroups and boots the zygote (seconds the first
  // time); logs what is missing. The error is one sentence for the log.
  std::expected<void, std::string> start();
  // Ends every session now (their processes die), as a shutdown's grace runs out.
  void end_all_sessions() { registry_.end_all(); }
  // Ends every session, the zygote and the cgroups. Idempotent.
  void stop();

  Executor& executor() { return executor_; }
  SessionRegistry& registry() { return registry_; }
  std::optional<pid_t> zygote_pid() const { return zygote_.pid(); }
  // Sets the scrape-time gauges of options.metrics: live sessions, resident memory of
  // this process, the zygote and the session processes (read from /proc now).
  void update_gauges();
  // Preload packages the zygote could not find, as it reported when it booted.
  std::vector<std::string> missing_preloads() const { return zygote_.missing_preloads(); }

 private:
  void background_loop();

  const SessionServiceOptions options_;
  SessionRegistry registry_;
  SessionCgroups cgroups_;  // before the zygote and the executor, which use it
  Zygote zygote_;
  Executor executor_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread background_;
};

}  // namespace vivarium::sessions
