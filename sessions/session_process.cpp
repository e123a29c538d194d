#include "sessions/session_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "sandbox/confine.h"
#include "sandbox/descriptors.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/result_limits.h"
#include "sessions/wire_messages.h"

namespace vivarium::sessions {
namespace {

// A session that executes (`while True: pass`, a long sleep) reads nothing from its
// socket, so it would not notice a server killed by SIGKILL and would run on as an
// orphan. Its parent is the zygote, which outlives a server only until it reads EOF, so
// PR_SET_PDEATHSIG cannot tie it to the server. This thread only waits for the server's
// end of the socket to close (it never reads: the main thread owns the data) and ends
// the process. Started after the lock-down, it runs under the same seccomp filter and
// Landlock domain as the main thread.
void* exit_when_the_server_goes(void* socket_ptr) {
  pollfd watched{*static_cast<int*>(socket_ptr), POLLRDHUP, 0};
  for (;;) {
    const int ready = ::poll(&watched, 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (watched.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) ::_exit(0);
  }
}

void start_server_watch(int socket) {
  static int watched_socket = socket;
  // Signals meant for the session (the interrupt) must reach the interpreter's thread:
  // the watcher blocks them all, inheriting the mask it is created with.
  sigset_t all, previous;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_attr_t attributes;
  ::pthread_attr_init(&attributes);
  ::pthread_attr_setstacksize(&attributes, 64 * 1024);  // it only polls
  pthread_t thread;
  const int created = ::pthread_create(&thread, &attributes, exit_when_the_server_goes, &watched_socket);
  ::pthread_attr_destroy(&attributes);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (created != 0) {
    std::fprintf(stderr, "vivarium session: cannot start the thread that watches the server\n");
    ::_exit(70);  // an orphan that may loop for ever is worse than no session
  }
  ::pthread_detach(thread);
}

// The next message from the server; the session trusts the server, but a message it
// cannot decode still ends the session rather than being guessed at.
std::optional<sessions::ToSession> receive_from_server(int socket) {
  auto frame = sessions::receive_frame(socket, sessions::kSessionInboundFrameLimit);
  if (!frame) return std::nullopt;
  if (frame->passed_fd >= 0) ::close(frame->passed_fd);
  auto message = sessions::decode_to_session(frame->body);
  if (!message) {
    std::fprintf(stderr, "vivarium session: %s\n", message.error().message.c_str());
    return std::nullopt;
  }
  return std::move(*message);
}

}  // namespace

void session_main(int socket, engine::Interpreter& interpreter, const sessions::ForkRequest& sandbox,
                  const std::string& pid_namespace_missing) {
  ::prctl(PR_SET_NAME, "vivarium-sess");
  sandbox::close_inherited_descriptors(socket);
  interpreter.reseed_after_fork();
  // From now on this process cannot open files: wheels come from the server, which
  // reads only files the lock lists; the engine still checks their sha256.
  interpreter.set_package_fetcher(
      [socket](engine::WheelSource source, const std::string& file_name) -> std::optional<std::string> {
        if (!sessions::send_frame(socket, sessions::encode(sessions::PackageRequest{source, file_name})))
          return std::nullopt;
        // An interrupt that arrives first belongs to the execution; it is not a reply.
        for (;;) {
          auto reply = receive_from_server(socket);
          if (!reply) return std::nullopt;
          if (auto* package = std::get_if<sessions::PackageReply>(&*reply)) return std::move(package->wheel);
          if (!std::holds_alternative<sessions::InterruptRequest>(*reply)) return std::nullopt;
        }
      });
  // glibc reads the time zone once; after the wall it could only probe and fail.
  ::tzset();
  // The wall (docs/security.md): its own uid (as root), user, network, IPC, UTS and pid
  // namespaces, no capabilities, Landlock with no folder at all (no host path can be
  // opened, created or removed), and the session's seccomp allow-list.
  sandbox::ConfineOptions wall{.role = sandbox::Role::session,
                               .require_all = sandbox.require_full_sandbox,
                               .pid_namespace_missing = pid_namespace_missing};
  if (sandbox.uid != 0) wall.identity = sandbox::Identity{sandbox.uid, sandbox.gid};
  // No host descriptor inside: fds 1 and 2 were the server's (often the terminal of
  // whoever started it, or its log). They become /dev/null; the real stderr is kept
  // aside only to say why confining failed, and closed once it has not.
  const int report = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC); null_fd >= 0) {
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    ::close(null_fd);
  }
  if (auto confined = sandbox::confine(wall); !confined) {
    const std::string line = "vivarium session: " + confined.error().message + "\n";
    if (report >= 0) (void)!::write(report, line.data(), line.size());
    ::_exit(70);  // never run untrusted code behind a wall with a hole in it
  }
  if (report >= 0) ::close(report);
  start_server_watch(socket);
  for (;;) {
    auto received = receive_from_server(socket);
    if (!received) ::_exit(0);  // the server closed the session (or went away)
    auto* exec = std::get_if<sessions::ExecRequest>(&*received);
    if (!exec) continue;  // an interrupt or reply after its execution ended: nothing to do
    engine::ExecutionRequest request;
    request.code = std::move(exec->code);
    request.files = std::move(exec->files);
    request.timeout = exec->timeout;
    request.max_output_bytes = exec->max_output_bytes;
    auto result = interpreter.execute(request);
    const bool lost = result.interpreter_lost;
    // Cut here so that the result fits the server's frame limit; the server cuts again.
    apply_result_limits(result, {exec->max_output_bytes, exec->max_output_files_bytes, exec->max_output_files});
    if (!sessions::send_frame(socket, sessions::encode(sessions::ExecResult{std::move(result)}))) ::_exit(0);
    if (lost) ::_exit(0);  // the server forks a fresh one
  }
}

}  // namespace vivarium::sessions
