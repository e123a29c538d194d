#include "runner/run_daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "runner/daemon_folder.h"
#include "runner/exit_status.h"
#include "sandbox/pid_namespace.h"
#include "sessions/frame_io.h"
#include "sessions/run_messages.h"
#include "sessions/session_handle.h"

namespace vivarium::runner {
namespace {

using Clock = std::chrono::steady_clock;

// A client that connects and then says nothing holds the loop this long at most.
constexpr auto kFirstFrameLimit = std::chrono::seconds(5);
// The client that started the zygote connects within a few ms of its ready frame; past
// this, the warm-up runs without waiting for it.
constexpr int kWarmUpWaitMs = 200;

// Resident bytes of this process (/proc/self/statm's second field, in pages).
std::uint64_t resident_bytes() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (!statm) return 0;
  unsigned long long size = 0, resident = 0;
  const int read = std::fscanf(statm, "%llu %llu", &size, &resident);
  std::fclose(statm);
  return read == 2 ? resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

struct DaemonState {
  const DaemonIdentity& identity;
  BootedPython& python;
  int listen_fd;
  int signal_fd;
  int self_pidfd;  // children poll it: readable once the daemon is gone
  struct stat socket_file {};
  Clock::time_point started = Clock::now();
  Clock::time_point idle_since = Clock::now();
  int programs = 0;
  std::int64_t served = 0;
};

// Leaves the socket path to the next zygote: removed, under the start-up lock, only if
// it is still this one's (a client that found this daemon gone may have bound a new one).
[[noreturn]] void exit_daemon(DaemonState& state) {
  const auto folder = std::filesystem::path(state.identity.socket_path).parent_path();
  const int lock = ::open(daemon_lock_path(folder, state.identity.key).c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  struct stat now {};
  if (::lstat(state.identity.socket_path.c_str(), &now) == 0 && now.st_ino == state.socket_file.st_ino &&
      now.st_dev == state.socket_file.st_dev)
    ::unlink(state.identity.socket_path.c_str());
  ::close(state.listen_fd);
  ::_exit(0);
}

void reap(DaemonState& state) {
  signalfd_siginfo info;
  while (::read(state.signal_fd, &info, sizeof info) == sizeof info) {
    if (info.ssi_signo != SIGCHLD) exit_daemon(state);  // SIGTERM, SIGINT, SIGHUP
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0)
    if (--state.programs == 0) state.idle_since = Clock::now();
}

sessions::DaemonStatus status_of(const DaemonState& state) {
  sessions::DaemonStatus status;
  status.pid = static_cast<std::int32_t>(::getpid());
  status.key = state.identity.key;
  status.settings = state.identity.settings;
  const auto now = Clock::now();
  status.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - state.started).count();
  const auto idle_left =
      state.identity.idle - std::chrono::duration_cast<std::chrono::milliseconds>(now - state.idle_since);
  status.idle_exit_ms = state.programs > 0 ? state.identity.idle.count() : std::max<std::int64_t>(0, idle_left.count());
  status.programs = state.programs;
  status.served = state.served;
  status.resident_bytes = resident_bytes();
  return status;
}

// In the forked child: the connection becomes fd 3 and the pipes 0, 1 and 2.
[[noreturn]] void become_program(DaemonState& state, int connection, const std::vector<int>& pipes,
                                 sessions::RunRequest request, const std::string& pid_namespace_missing) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  pollfd gone{state.self_pidfd, POLLIN, 0};
  if (state.self_pidfd >= 0 && ::poll(&gone, 1, 0) != 0) ::_exit(exit_status::internal);  // the daemon died already
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGCHLD, SIG_DFL);
  // Out of the way of 0 to 3 first, so that no dup2 overwrites another.
  int moved[4];
  const int sources[4] = {pipes[0], pipes[1], pipes[2], connection};
  for (int i = 0; i < 4; ++i) {
    moved[i] = ::fcntl(sources[i], F_DUPFD, 10);
    if (moved[i] < 0) ::_exit(exit_status::internal);
  }
  for (int i = 0; i < 4; ++i)
    if (::dup2(moved[i], i) < 0) ::_exit(exit_status::internal);
  program_main(state.python, std::move(request), true, pid_namespace_missing);
}

void start_program(DaemonState& state, int connection, std::vector<int>& pipes, sessions::RunRequest request) {
  // As root, the program is pid 1 of a pid namespace of its own, as a serve session is.
  const sandbox::PidNamespaceFork forked = sandbox::fork_in_own_pid_namespace();
  if (forked.pid == 0) become_program(state, connection, pipes, std::move(request), forked.missing);
  if (forked.pid < 0) {
    (void)sessions::send_frame(connection,
                               sessions::encode(sessions::RunFailed{std::string("the warm zygote cannot fork: ") +
                                                                    std::strerror(forked.error)}),
                               Clock::now() + kFirstFrameLimit);
    return;
  }
  ++state.programs;
  ++state.served;
}

void serve_connection(DaemonState& state, int connection) {
  // Only this user: the folder is private, and the peer's uid is checked all the same.
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.uid != ::geteuid()) {
    (void)sessions::send_frame(connection,
                               sessions::encode(sessions::RunFailed{"refused: uid " + std::to_string(peer.uid) +
                                                                    " is not the user of this warm zygote (uid " +
                                                                    std::to_string(::geteuid()) + ")"}),
                               Clock::now() + kFirstFrameLimit);
    return;
  }
  auto frame =
      sessions::receive_frame_fds(connection, sessions::kRunRequestFrameLimit, Clock::now() + kFirstFrameLimit, 3);
  if (!frame) return;
  auto close_pipes = [&] {
    for (const int fd : frame->fds) ::close(fd);
  };
  auto message = sessions::decode_to_daemon(frame->body);
  const Clock::time_point deadline = Clock::now() + kFirstFrameLimit;
  if (!message) {
    (void)sessions::send_frame(connection, sessions::encode(sessions::RunFailed{message.error().message}), deadline);
  } else if (auto* request = std::get_if<sessions::RunRequest>(&*message)) {
    if (frame->fds.size() == 3)
      start_program(state, connection, frame->fds, std::move(*request));
    else
      (void)sessions::send_frame(
          connection, sessions::encode(sessions::RunFailed{"a run request must carry the program's three pipes"}),
          deadline);
  } else if (std::holds_alternative<sessions::DaemonStatusRequest>(*message)) {
    (void)sessions::send_frame(connection, sessions::encode(status_of(state)), deadline);
  } else {
    (void)sessions::send_frame(
        connection, sessions::encode(sessions::DaemonStopped{static_cast<std::int32_t>(::getpid())}), deadline);
    close_pipes();
    ::close(connection);
    exit_daemon(state);
  }
  close_pipes();
}

}  // namespace

void run_daemon(BootedPython& python, int listen_fd, const DaemonIdentity& identity,
                const std::function<void()>& warm_up) {
  // Fully detached (the client made it a session leader with /dev/null for stdio): no
  // terminal's signals reach it; SIGTERM ends it cleanly.
  sigset_t handled;
  ::sigemptyset(&handled);
  for (const int signal_number : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) ::sigaddset(&handled, signal_number);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  DaemonState state{identity, python, listen_fd, ::signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC),
                    sessions::open_pidfd(::getpid())};
  ::lstat(identity.socket_path.c_str(), &state.socket_file);
  ::fcntl(listen_fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(listen_fd, F_SETFL, O_NONBLOCK);
  bool warmed = false;
  auto warm_once = [&] {
    if (warmed) return;
    warmed = true;
    warm_up();
  };
  for (;;) {
    int wait_ms = -1;
    if (state.programs == 0) {
      const auto left =
          identity.idle - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - state.idle_since);
      if (left.count() <= 0) exit_daemon(state);
      wait_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30));
    }
    if (!warmed) wait_ms = wait_ms < 0 ? kWarmUpWaitMs : std::min(wait_ms, kWarmUpWaitMs);
    pollfd ready[2] = {{listen_fd, POLLIN, 0}, {state.signal_fd, POLLIN, 0}};
    const int events = ::poll(ready, 2, wait_ms);
    if (events < 0 && errno != EINTR) exit_daemon(state);
    if (events == 0) warm_once();
    if (ready[1].revents) reap(state);
    if (!(ready[0].revents & POLLIN)) continue;
    const int connection = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    state.idle_since = Clock::now();
    serve_connection(state, connection);
    ::close(connection);
    warm_once();
  }
}

}  // namespace vivarium::runner
