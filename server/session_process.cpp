#include "server/session_process.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "server/file_access.h"
#include "server/ipc.h"
#include "server/lockdown.h"
#include "server/session_protocol.h"

namespace vivarium::server {
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

}  // namespace

void session_main(int socket, engine::Interpreter& interpreter) {
  ::prctl(PR_SET_NAME, "vivarium-sess");
  close_inherited_descriptors(socket);
  interpreter.reseed_after_fork();
  // From now on this process cannot open files: wheels come from the server, which
  // reads only files the lock lists; the engine still checks their sha256.
  interpreter.set_package_fetcher(
      [socket](engine::WheelSource source, const std::string& file_name) -> std::optional<std::string> {
        nlohmann::json request = {{"read_package", file_name}};
        if (source == engine::WheelSource::wheel_folder) request["from"] = kFromWheelFolder;
        if (!ipc::send(socket, request)) return std::nullopt;
        auto reply = ipc::receive(socket);
        if (!reply || !reply->message.contains("package") || !reply->message["package"].is_binary())
          return std::nullopt;
        const auto& bytes = reply->message["package"].get_binary();
        return std::string(bytes.begin(), bytes.end());
      });
  // Landlock with no folder at all: no path on the host can be opened, created or
  // removed, whatever syscall is used (a second wall behind the seccomp filter; a
  // kernel without Landlock leaves the filter alone).
  if (auto restricted = restrict_file_access({}); !restricted) {
    std::fprintf(stderr, "vivarium session: %s\n", restricted.error().c_str());
    ::_exit(70);
  }
  if (auto locked = install_session_seccomp_filter(); !locked) {
    std::fprintf(stderr, "vivarium session: %s\n", locked.error().c_str());
    ::_exit(70);  // never run untrusted code without the filter
  }
  start_server_watch(socket);
  for (;;) {
    auto received = ipc::receive(socket);
    if (!received) ::_exit(0);  // the server closed the session (or went away)
    auto decoded = decode_request(received->message);
    auto result = interpreter.execute(decoded.request);
    apply_output_files_limit(result, decoded.max_output_files_bytes);
    if (!ipc::send(socket, encode_result(result))) ::_exit(0);
    if (result.interpreter_lost) ::_exit(0);  // the server forks a fresh one
  }
}

}  // namespace vivarium::server
