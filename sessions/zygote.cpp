#include "sessions/zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "log/logger.h"
#include "sessions/control_socket.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/session_cgroups.h"
#include "sessions/wire_messages.h"

extern char** environ;

namespace vivarium::sessions {
namespace {

constexpr auto kBootLimit = std::chrono::minutes(3);  // a first boot compiles wasm (~10 s)

// How often the refill thread looks for spares that died unasked (the OOM killer, a
// kill by hand), and waits after a fork that failed before it tries again.
constexpr auto kRefillPeriod = std::chrono::seconds(1);

std::optional<std::string> path_text(const std::optional<std::filesystem::path>& path) {
  if (!path) return std::nullopt;
  return path->string();
}

// A spare is ready while its process lives and its socket is quiet: it sends nothing
// before its first request, so anything to read there (EOF included) means it is gone.
bool still_ready(const SessionProcess& process) {
  pollfd fds[2] = {{process.pidfd, POLLIN, 0}, {process.socket, POLLIN, 0}};  // a -1 is ignored
  if (::poll(fds, 2, 0) < 0) return false;
  return fds[0].revents == 0 && fds[1].revents == 0;
}

}  // namespace

Zygote::Zygote(ZygoteOptions options) : options_(std::move(options)), sandbox_ids_(options_.sandbox_ids) {}
Zygote::~Zygote() { stop(); }

void Zygote::discard(std::deque<Forked>& spares) {
  for (auto& spare : spares) {
    kill_session_process(spare.process);
    release_session_process(spare.process);
  }
  spares.clear();
}

std::optional<pid_t> Zygote::pid() const {
  std::lock_guard lock(mutex_);
  if (pid_ < 0) return std::nullopt;
  return pid_;
}

void Zygote::stop() {
  std::thread refill;
  {
    std::lock_guard lock(spares_mutex_);
    refill_stopping_ = true;
    refill.swap(refill_);
  }
  spares_wanted_.notify_all();
  if (refill.joinable()) refill.join();
  std::deque<Forked> spares;
  {
    std::lock_guard lock(spares_mutex_);
    spares.swap(spares_);
  }
  discard(spares);
  stop_zygote();
}

std::vector<pid_t> Zygote::spare_pids() const {
  std::lock_guard lock(spares_mutex_);
  std::vector<pid_t> pids;
  for (const auto& spare : spares_) pids.push_back(spare.process.pid);
  return pids;
}

void Zygote::stop_zygote() {
  std::lock_guard lock(mutex_);
  if (pid_ > 0) {
    signal_process(pidfd_, pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (control_ >= 0) ::close(control_);
  pid_ = -1;
  pidfd_ = control_ = -1;
}

std::expected<void, std::string> Zygote::start() {
  stop_zygote();
  auto booted = boot();
  // Spares of the zygote before (dead, or killed just now) go: the next ones come from
  // this one. One forked from the old zygote and added after this is dropped by the
  // refill thread, which compares generations.
  std::deque<Forked> old_spares;
  {
    std::lock_guard lock(spares_mutex_);
    old_spares.swap(spares_);
    if (booted && options_.spare_sessions > 0 && !refill_.joinable()) {
      refill_stopping_ = false;
      refill_ = std::thread([this] { refill_loop(); });
    }
  }
  discard(old_spares);
  spares_wanted_.notify_all();
  return booted;
}

std::expected<void, std::string> Zygote::boot() {
  std::lock_guard lock(mutex_);
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
    return std::unexpected(std::string("socketpair: ") + std::strerror(errno));
  // What to boot travels in the first frame on the control socket (ZygoteBoot), not argv.
  // Its own pid, for the zygote's "is my parent still there" check (zygote_main.cpp).
  std::vector<std::string> args = {options_.executable.string(), "__zygote", "--parent", std::to_string(::getpid())};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sockets[1], kZygoteControlFd);  // dup2 clears CLOEXEC
  pid_t child = -1;
  const int rc = ::posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(sockets[1]);
  if (rc != 0) {
    ::close(sockets[0]);
    return std::unexpected(std::string("cannot start the zygote: ") + std::strerror(rc));
  }
  pid_ = child;
  pidfd_ = open_pidfd(child);
  control_ = sockets[0];
  const ZygoteBoot boot{options_.memory_limit,          path_text(options_.assets_dir),
                        path_text(options_.cache_dir),  path_text(options_.packages_dir),
                        path_text(options_.wheels_dir), options_.preload};
  // A zygote that died before reading it shows up as the failed report below.
  (void)send_frame(control_, encode(boot), std::chrono::steady_clock::now() + std::chrono::seconds(10));
  auto frame = receive_frame(control_, kZygoteFrameLimit, std::chrono::steady_clock::now() + kBootLimit);
  std::expected<ZygoteReport, WireError> report =
      frame ? decode_zygote_report(frame->body) : std::unexpected(frame.error());
  if (frame && frame->passed_fd >= 0) ::close(frame->passed_fd);
  if (!report || !std::holds_alternative<ZygoteReady>(*report)) {
    std::string why = !frame    ? "it exited before booting (" + frame.error().message + ")"
                      : !report ? "its readiness report cannot be decoded (" + report.error().message + ")"
                                : std::get<ZygoteFailed>(*report).error;
    signal_process(pidfd_, pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(control_);
    if (pidfd_ >= 0) ::close(pidfd_);
    pid_ = pidfd_ = control_ = -1;
    return std::unexpected("the zygote failed to boot Python: " + why);
  }
  missing_preloads_ = std::get<ZygoteReady>(*report).missing_preloads;
  ++generation_;
  return {};
}

std::vector<std::string> Zygote::missing_preloads() const {
  std::lock_guard lock(mutex_);
  return missing_preloads_;
}

std::expected<Zygote::Forked, std::string> Zygote::request_fork(bool spare) {
  std::lock_guard lock(mutex_);
  if (control_ < 0) return std::unexpected("the zygote is not running");
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
    return std::unexpected(std::string("socketpair: ") + std::strerror(errno));
  // As root, each session gets a uid and gid of its own (held until its process is
  // released); otherwise it stays the server's user, in a user namespace of its own.
  ForkRequest fork_request{.require_full_sandbox = options_.require_full_sandbox, .spare = spare};
  SandboxIds::Lease sandbox_id;
  if (::geteuid() == 0) {
    auto lease = sandbox_ids_.acquire();
    if (!lease) {
      ::close(sockets[0]);
      ::close(sockets[1]);
      return std::unexpected("every uid of --sandbox-uids is taken by a live session; give it a larger range");
    }
    sandbox_id = std::move(*lease);
    fork_request.uid = sandbox_id->uid;
    fork_request.gid = sandbox_id->gid;
  }
  std::optional<sandbox::SessionCgroup> cgroup;
  if (cgroups_) {
    auto created = cgroups_->create();
    if (!created) {
      ::close(sockets[0]);
      ::close(sockets[1]);
      return std::unexpected("cannot create the session's cgroup: " + created.error());
    }
    cgroup = std::move(*created);
  }
  // A cgroup whose process never came to be goes again.
  auto forget_cgroup = [&] {
    if (cgroup) (void)cgroup->remove();
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  if (cgroup) fork_request.cgroups = cgroup->folders();
  auto sent = send_frame(control_, encode(fork_request), deadline, sockets[1]);
  ::close(sockets[1]);
  if (!sent) {
    ::close(sockets[0]);
    forget_cgroup();
    return std::unexpected("the zygote is gone: " + sent.error().message);
  }
  auto frame = receive_frame(control_, kZygoteFrameLimit, deadline);
  std::expected<ForkOutcome, WireError> outcome =
      frame ? decode_fork_outcome(frame->body) : std::unexpected(frame.error());
  if (frame && frame->passed_fd >= 0) ::close(frame->passed_fd);
  if (!outcome || !std::holds_alternative<ForkReply>(*outcome)) {
    ::close(sockets[0]);
    forget_cgroup();
    return std::unexpected("the zygote did not fork: " +
                           (outcome ? std::get<ForkFailed>(*outcome).error : outcome.error().message));
  }
  // No send timeout on the socket: every exchange with the session has one deadline
  // (executor.cpp), which sends honour as well.
  SessionProcess process;
  process.pid = std::get<ForkReply>(*outcome).pid;
  process.pidfd = open_pidfd(process.pid);
  process.socket = sockets[0];
  process.sandbox_id = std::move(sandbox_id);
  process.cgroup = std::move(cgroup);
  return Forked{std::move(process), generation_};
}

std::optional<SessionProcess> Zygote::take_spare() {
  if (options_.spare_sessions <= 0) return std::nullopt;
  std::optional<SessionProcess> taken;
  std::deque<Forked> dead;
  {
    std::lock_guard lock(spares_mutex_);
    while (!spares_.empty() && !taken) {
      Forked spare = std::move(spares_.front());
      spares_.pop_front();
      if (still_ready(spare.process))
        taken = std::move(spare.process);
      else
        dead.push_back(std::move(spare));
    }
  }
  spares_wanted_.notify_all();
  if (!dead.empty())
    log::warn(std::to_string(dead.size()) + " spare session process(es) died before use and were discarded");
  discard(dead);
  if (taken && metrics_) metrics_->session_started(metrics::SessionStart::spare);
  return taken;
}

// Keeps options_.spare_sessions spares, one fork at a time, until stop(). A zygote that
// died is started again here, in the background (its spares go: whatever killed it may
// have been wrong in them too); one that does not boot is tried again after 1, 2, 4 ...
// up to 64 s, while requests still try on their own (fork_or_restart).
void Zygote::refill_loop() {
  const auto wanted = static_cast<std::size_t>(options_.spare_sessions);
  auto restart_pause = std::chrono::seconds(0);
  auto next_restart = std::chrono::steady_clock::now();
  std::unique_lock lock(spares_mutex_);
  while (!refill_stopping_) {
    if (std::chrono::steady_clock::now() >= next_restart) {
      const std::uint64_t generation = generation_.load();
      lock.unlock();
      if (!zygote_alive()) {
        log::warn("the zygote died; starting another, in the background");
        if (auto restarted = restart(generation); !restarted) {
          restart_pause = std::clamp(restart_pause * 2, std::chrono::seconds(1), std::chrono::seconds(64));
          next_restart = std::chrono::steady_clock::now() + restart_pause;
          log::warn(restarted.error() + "; trying again in " + std::to_string(restart_pause.count()) + " s");
        } else {
          restart_pause = std::chrono::seconds(0);
        }
      }
      lock.lock();
      if (refill_stopping_) break;
    }
    std::deque<Forked> gone;
    for (auto it = spares_.begin(); it != spares_.end();) {
      if (still_ready(it->process)) {
        ++it;
        continue;
      }
      gone.push_back(std::move(*it));
      it = spares_.erase(it);
    }
    const bool full = spares_.size() >= wanted;
    lock.unlock();
    if (!gone.empty())
      log::warn(std::to_string(gone.size()) + " spare session process(es) died before use; forking others");
    discard(gone);
    // Spares yield to sessions: none is forked, and those there go, while the memory
    // budget would refuse a new session (session_cgroups.h).
    const bool room = !cgroups_ || !cgroups_->refusal();
    std::optional<std::expected<Forked, std::string>> forked;
    if (room && !full) forked = request_fork(true);
    lock.lock();
    if (!room) gone.swap(spares_);
    bool again_now = false;  // the next one at once
    if (forked && *forked) {
      // One from the zygote before a restart is not wanted (start()).
      again_now = true;
      if ((*forked)->generation == generation_.load() && !refill_stopping_)
        spares_.push_back(std::move(**forked));
      else
        gone.push_back(std::move(**forked));
    }
    if (!gone.empty()) {
      lock.unlock();
      discard(gone);
      lock.lock();
    }
    if (again_now) continue;
    if (forked) log::debug("cannot fork a spare session process now: " + forked->error());
    spares_wanted_.wait_for(lock, kRefillPeriod);
  }
}

std::expected<SessionProcess, std::string> Zygote::fork_session() {
  if (auto spare = take_spare()) return std::move(*spare);
  auto forked = fork_or_restart();
  if (forked && metrics_) metrics_->session_started(metrics::SessionStart::fork);
  return forked;
}

std::expected<SessionProcess, std::string> Zygote::fork_or_restart() {
  const std::uint64_t failed_generation = generation_.load();
  if (auto forked = request_fork(false)) return std::move(forked->process);
  // The zygote died (or never started): start a fresh one and try once more.
  if (auto restarted = restart(failed_generation); !restarted) return std::unexpected(restarted.error());
  auto forked = request_fork(false);
  if (!forked) return std::unexpected(forked.error());
  return std::move(forked->process);
}

// In a burst every waiting request sees the same death: only the first restarts it, the
// others use the zygote it started (each restarting would kill the one before, one boot
// each).
std::expected<void, std::string> Zygote::restart(std::uint64_t failed_generation) {
  std::lock_guard restarting(restart_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (generation_ != failed_generation) return {};
    if (pid_ > 0) ::waitpid(pid_, nullptr, WNOHANG);
  }
  if (metrics_) metrics_->zygote_restarted();
  return start();
}

bool Zygote::zygote_alive() const {
  std::lock_guard lock(mutex_);
  if (pid_ < 0) return false;
  if (pidfd_ < 0) return true;  // no pidfd (before Linux 5.3): a fork will tell
  pollfd exited{pidfd_, POLLIN, 0};
  return ::poll(&exited, 1, 0) == 0;
}

}  // namespace vivarium::sessions
