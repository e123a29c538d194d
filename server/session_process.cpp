#include "server/session_process.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>

#include "server/file_access.h"
#include "server/lockdown.h"
#include "server/result_limits.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/wire_messages.h"

namespace vivarium::server {
namespace {

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

void session_main(int socket, engine::Interpreter& interpreter) {
  ::prctl(PR_SET_NAME, "vivarium-sess");
  close_inherited_descriptors(socket);
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

}  // namespace vivarium::server
