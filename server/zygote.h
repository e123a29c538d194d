// The zygote: a process that boots V8 + Pyodide once and forks a ready session process
// per request, in milliseconds. The server talks to it over a socket and never runs V8.
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

#include "sandbox/memory_cgroup.h"
#include "sandbox/privileges.h"
#include "server/sandbox_ids.h"

namespace vivarium::server {

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

// A forked session process as the server sees it.
struct SessionProcess {
  pid_t pid = -1;
  int pidfd = -1;                                // signals reach exactly this process, even after pid reuse
  int socket = -1;                               // requests and results
  SandboxIds::Lease sandbox_id;                  // its uid and gid while it lives (empty when not root)
  std::optional<sandbox::SessionCgroup> cgroup;  // the one it entered right after fork, if any
};
// SIGKILL through the pidfd. Descriptors stay open: another thread may be waiting on the
// socket; whoever owns the process closes them with release_session_process, which also
// removes its cgroup (killing whatever else runs in it).
void kill_session_process(const SessionProcess& process);
void release_session_process(SessionProcess& process);

class Zygote {
 public:
  explicit Zygote(ZygoteOptions options);
  ~Zygote();
  // Starts the zygote and waits until it has booted Python (seconds the first time).
  std::expected<void, std::string> start();
  // A new session process; re-creates the zygote first if it has died.
  std::expected<SessionProcess, std::string> fork_session();
  void stop();
  std::optional<pid_t> pid() const;
  // Preload packages the zygote could not find, as it reported when it booted.
  std::vector<std::string> missing_preloads() const;
  // From now on every session is forked into a cgroup of its own from `cgroups`.
  void use_cgroups(SessionCgroups* cgroups) { cgroups_ = cgroups; }

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
};

// Entry point of `vivarium __zygote`: boots, reports readiness on control_fd, then forks
// sessions on request until the server goes away.
int zygote_main(int control_fd, const ZygoteOptions& options);

}  // namespace vivarium::server
