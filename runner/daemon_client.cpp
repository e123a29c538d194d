#include "runner/daemon_client.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "runner/daemon_folder.h"
#include "runner/run_host.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "units/units.h"

namespace vivarium::runner {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kBootLimit = std::chrono::minutes(3);  // a first boot compiles wasm (~10 s)

DaemonFailure unavailable(std::string message) { return {false, 125, std::move(message)}; }

std::expected<sockaddr_un, std::string> address_of(const fs::path& socket) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket.native().size() >= sizeof address.sun_path)
    return std::unexpected("the socket path " + socket.string() + " is longer than the 107 bytes a Unix socket allows");
  std::memcpy(address.sun_path, socket.c_str(), socket.native().size() + 1);
  return address;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The zygote's process: a grandchild in a session of its own, with /dev/null for stdio
// and only the boot socket (3) and the listening socket (4), so that nothing waiting on
// the client's pipes (a shell's $(...), ctest) waits for the zygote too.
std::expected<void, std::string> spawn_host(int boot_socket, int listen_socket) {
  const pid_t child = ::fork();
  if (child < 0) return std::unexpected(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    const int null_fd = ::open("/dev/null", O_RDWR);
    const int boot = ::fcntl(boot_socket, F_DUPFD, 10);
    const int listen = ::fcntl(listen_socket, F_DUPFD, 10);
    if (null_fd < 0 || boot < 0 || listen < 0) ::_exit(125);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(null_fd, fd);
    ::dup2(boot, kRunHostBootFd);
    ::dup2(listen, kRunHostListenFd);
    ::syscall(SYS_close_range, static_cast<unsigned>(kRunHostListenFd + 1), ~0u, 0u);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGTTIN}) ::signal(signal_number, SIG_DFL);
    const char* argv[] = {"vivarium", "__run-host", nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return {};
}

std::expected<int, DaemonFailure> start_daemon(const DaemonStart& start, const fs::path& socket) {
  auto address = address_of(socket);
  if (!address) return std::unexpected(unavailable(address.error()));
  Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) return std::unexpected(unavailable(std::string("socket: ") + std::strerror(errno)));
  ::unlink(socket.c_str());  // stale: nothing listened there (we hold the lock)
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0 ||
      ::listen(listener.get(), 128) != 0)
    return std::unexpected(
        unavailable("cannot create the warm zygote's socket " + socket.string() + ": " + std::strerror(errno)));
  int boot[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, boot) != 0) {
    ::unlink(socket.c_str());
    return std::unexpected(unavailable(std::string("socketpair: ") + std::strerror(errno)));
  }
  Fd ours(boot[0]), theirs(boot[1]);
  if (auto spawned = spawn_host(theirs.get(), listener.get()); !spawned) {
    ::unlink(socket.c_str());
    return std::unexpected(unavailable("cannot start a warm zygote: " + spawned.error()));
  }
  ::close(theirs.release());
  sessions::RunHostBoot host{start.boot, socket.string(), start.idle.count(), start.key, describe(start.settings)};
  (void)sessions::send_frame(ours.get(), sessions::encode(host), Clock::now() + std::chrono::seconds(10));
  // Notices first (say them as they come: a first boot compiles for ~10 s), then the report.
  const auto deadline = Clock::now() + kBootLimit;
  std::expected<sessions::RunHostReport, sessions::WireError> report;
  for (;;) {
    auto frame = sessions::receive_frame(ours.get(), sessions::kZygoteFrameLimit, deadline);
    report = frame ? sessions::decode_run_host_report(frame->body)
                   : std::expected<sessions::RunHostReport, sessions::WireError>(std::unexpected(frame.error()));
    if (frame && frame->passed_fd >= 0) ::close(frame->passed_fd);
    auto* notice = report ? std::get_if<sessions::RunHostNotice>(&*report) : nullptr;
    if (!notice) break;
    start.on_notice(notice->text);
  }
  if (!report) {
    ::unlink(socket.c_str());
    return std::unexpected(unavailable("the warm zygote ended before it booted (" + report.error().message + ")"));
  }
  if (auto* failed = std::get_if<sessions::RunHostFailed>(&*report)) {
    ::unlink(socket.c_str());
    return std::unexpected(DaemonFailure{true, failed->status, failed->error});
  }
  auto connected = connect_to_daemon(socket);
  if (!connected) return std::unexpected(unavailable(connected.error()));
  return *connected;
}

}  // namespace

std::expected<int, std::string> connect_to_daemon(const fs::path& socket) {
  auto address = address_of(socket);
  if (!address) return std::unexpected(address.error());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return std::unexpected(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0)
    return std::unexpected(errno == ECONNREFUSED || errno == ENOENT ? std::string("stale")
                                                                    : socket.string() + ": " + std::strerror(errno));
  // The folder is private; the listener's uid is checked all the same.
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.uid != ::geteuid())
    return std::unexpected(socket.string() + " is served by uid " + std::to_string(peer.uid) + ", not by you");
  return fd.release();
}

std::expected<int, DaemonFailure> connect_or_start_daemon(const DaemonStart& start) {
  auto folder = daemon_folder();
  if (!folder) return std::unexpected(unavailable(folder.error()));
  const fs::path socket = daemon_socket_path(*folder, start.key);
  if (auto connected = connect_to_daemon(socket)) return *connected;
  // None listens: start one, unless another client is doing so right now (then wait for
  // it under the lock and use its zygote).
  const fs::path lock_path = daemon_lock_path(*folder, start.key);
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (lock.get() < 0)
    return std::unexpected(unavailable("cannot create " + lock_path.string() + ": " + std::strerror(errno)));
  while (::flock(lock.get(), LOCK_EX) != 0 && errno == EINTR) {
  }
  if (auto connected = connect_to_daemon(socket)) return *connected;
  return start_daemon(start, socket);
}

std::expected<std::chrono::milliseconds, std::string> daemon_idle_time() {
  const char* text = std::getenv("VIVARIUM_DAEMON_IDLE");
  if (!text || !*text) return std::chrono::minutes(10);
  auto parsed = units::parse_seconds(text);
  if (!parsed) return std::unexpected("VIVARIUM_DAEMON_IDLE: " + parsed.error());
  return *parsed;
}

}  // namespace vivarium::runner
