#include "server/session_process.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>

#include "server/file_access.h"
#include "server/ipc.h"
#include "server/lockdown.h"
#include "server/session_protocol.h"

namespace vivarium::server {

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
