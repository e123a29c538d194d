// The zygote: a process that boots V8 + Pyodide once and forks a ready session process
// per request, in milliseconds. The server talks to it over a socket and never runs V8:
// this is the server's side; the zygote's own is zygote_main.h.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
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
};

class Zygote : public SessionLauncher {
 public:
  explicit Zygote(ZygoteOptions options);
  ~Zygote();
  // Starts the zygote and waits until it has booted Python (seconds the first time).
  std::expected<void, std::string> start();
  // A new session process; re-creates the zygote first if it has died.
  std::expected<SessionProcess, std::string> fork_session() override;
  void stop();
  std::optional<pid_t> pid() const;
  // Preload packages the zygote could not find, as it reported when it booted.
  std::vector<std::string> missing_preloads() const;
  // From now on every session is forked into a cgroup of its own from `cgroups`.
  void use_cgroups(SessionCgroups* cgroups) { cgroups_ = cgroups; }
  // Counts restarts there from now on.
  void use_metrics(metrics::Metrics* metrics) { metrics_ = metrics; }

 private:
  std::expected<SessionProcess, std::string> request_fork();
  ZygoteOptions options_;
  SandboxIds sandbox_ids_;
  mutable std::mutex mutex_;
  std::mutex restart_mutex_;      // one restart at a time, taken before mutex_
  std::uint64_t generation_ = 0;  // zygotes started so far
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int control_ = -1;
  std::vector<std::string> missing_preloads_;
  SessionCgroups* cgroups_ = nullptr;
  metrics::Metrics* metrics_ = nullptr;
};

}  // namespace vivarium::sessions
