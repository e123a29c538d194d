#include "sessions/zygote_main.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/interpreter.h"
#include "engine/runtime.h"
#include "log/logger.h"
#include "packages/boot_setup.h"
#include "sandbox/descriptors.h"
#include "sandbox/memory_cgroup.h"
#include "sandbox/pid_namespace.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/session_process.h"
#include "sessions/warm_up.h"
#include "sessions/wire_messages.h"

namespace vivarium::sessions {

namespace {
// The server sends the boot options right after it starts the zygote.
constexpr auto kBootFrameLimit = std::chrono::seconds(10);

constexpr const char* kWarmImports =
    "'calendar', 'csv', 'datetime', 'decimal', 'fractions', 'html', 'pprint', 'statistics', 'urllib.parse', "
    "'uuid', 'zoneinfo'";

// TEST-ONLY (docs/wire-protocol.md): names a program that stands between the server and
// a real session, to send the server frames no real session sends.
constexpr const char* kFakeSessionVariable = "VIVARIUM_TEST_FAKE_SESSION";

// In the forked child: a real session runs in a grandchild on an inner socket, and this
// process becomes the program, with the server's socket on fd 3 and the real session's
// on fd 4. It relays (or not) as it likes. The server sees only this process.
[[noreturn]] void run_fake_session(const char* program, int server_socket, engine::Interpreter& interpreter,
                                   const ForkRequest& sandbox, const std::string& pid_namespace_missing) {
  int inner[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inner) != 0) ::_exit(71);
  const pid_t real = ::fork();
  if (real < 0) ::_exit(71);
  if (real == 0) {
    ::close(server_socket);
    ::close(inner[0]);
    session_main(inner[1], interpreter, sandbox, pid_namespace_missing);
  }
  // Out of the way of 3 and 4 first, so that neither dup2 overwrites the other.
  const int to_server = ::fcntl(server_socket, F_DUPFD, 10);
  const int to_real = ::fcntl(inner[0], F_DUPFD, 10);
  if (to_server < 0 || to_real < 0 || ::dup2(to_server, 3) < 0 || ::dup2(to_real, 4) < 0) ::_exit(71);
  ::execl(program, program, static_cast<char*>(nullptr));
  log::plain(std::string("vivarium zygote: cannot run the test-only fake session ") + program + ": " +
             std::strerror(errno));
  ::_exit(127);
}

}  // namespace

int zygote_main(int control_fd, pid_t expected_parent) {
  // While it boots (seconds) it reads nothing, so it dies with the thread that spawned
  // it, which waits in Zygote::start() for the readiness report. A server that is
  // already gone leaves nothing to serve: if it died before the prctl, the zygote has
  // been re-parented already. Compared with the spawner's pid, not with 1: a server that
  // is PID 1 (a container with no --init) is a live parent whose pid is 1, and an orphan
  // may be adopted by a subreaper other than 1.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (expected_parent > 0 && ::getppid() != expected_parent) return 1;
  // A zygote restarted after a crash is spawned while the server listens and holds
  // client connections: it must hold none of them (they would keep a client's
  // connection, or the port after the server died).
  sandbox::close_inherited_descriptors(control_fd);
  ::prctl(PR_SET_NAME, "vivarium-zyg");
  log::set_format_from_environment();
  auto report_failure = [&](const std::string& why) {
    (void)send_frame(control_fd, encode(ZygoteFailed{why}));
    return 1;
  };
  auto boot_frame = receive_frame(control_fd, kZygoteFrameLimit, std::chrono::steady_clock::now() + kBootFrameLimit);
  if (!boot_frame) return 1;  // no server on the other end
  if (boot_frame->passed_fd >= 0) ::close(boot_frame->passed_fd);
  auto options = decode_zygote_boot(boot_frame->body);
  if (!options) return report_failure("its boot options cannot be decoded (" + options.error().message + ")");
  auto path_of = [](const std::optional<std::string>& text) -> std::optional<std::filesystem::path> {
    if (!text) return std::nullopt;
    return std::filesystem::path(*text);
  };
  engine::RuntimeOptions runtime;
  runtime.wasm_memory_limit = options->memory_limit;
  if (auto initialized = engine::Runtime::initialize(runtime); !initialized) return report_failure(initialized.error());
  auto setup = packages::prepare_boot({path_of(options->assets_dir), path_of(options->cache_dir),
                                       path_of(options->packages_dir), path_of(options->wheels_dir), options->preload});
  if (!setup) return report_failure(setup.error().message);
  engine::BootOptions& boot = setup->options;
  boot.on_notice = [](std::string_view notice) { log::plain("vivarium zygote: " + std::string(notice)); };
  auto interpreter = engine::Interpreter::boot(boot);
  if (!interpreter) return report_failure(interpreter.error());

  // Once here, for every session (shared copy-on-write pages).
  warm_up(**interpreter, kWarmImports);

  // Children are reaped automatically; the server watches them through pidfds.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ignore.sa_flags = SA_NOCLDWAIT;
  ::sigaction(SIGCHLD, &ignore, nullptr);
  // From here on the control socket's EOF ends the zygote (it reads it in the loop
  // below). The death signal would fire when the spawning THREAD ends, and a zygote
  // restarted from a short-lived request thread must outlive that request.
  ::prctl(PR_SET_PDEATHSIG, 0);
  const ZygoteReady ready{static_cast<std::int64_t>((*interpreter)->boot_timings().total_ms),
                          (*interpreter)->missing_preloads()};
  if (!send_frame(control_fd, encode(ready))) return 1;

  const char* fake_session = std::getenv(kFakeSessionVariable);
  for (;;) {
    auto request = receive_frame(control_fd, kZygoteFrameLimit);
    if (!request) return 0;  // the server went away
    const int session_socket = request->passed_fd;
    auto fork_request = decode_fork_request(request->body);
    if (session_socket < 0 || !fork_request) {
      if (session_socket >= 0) ::close(session_socket);
      if (!send_frame(control_fd, encode(ForkFailed{"not a fork request"}))) return 1;
      continue;
    }
    // Joined before fork: the child may only make async-signal-safe calls (V8 has threads).
    std::vector<std::string> procs_files;
    for (const auto& folder : fork_request->cgroups) procs_files.push_back(folder + "/cgroup.procs");
    // Each session is pid 1 of a pid namespace of its own, where the zygote may make one
    // (as root): it sees no other process, and signals none.
    const sandbox::PidNamespaceFork forked = sandbox::fork_in_own_pid_namespace();
    const pid_t child = forked.pid;
    if (child == 0) {
      // Named at once: a process list never shows a second vivarium-zyg.
      ::prctl(PR_SET_NAME, fork_request->spare ? "vivarium-spare" : "vivarium-sess");
      // Into its cgroups before anything else: on cgroup v1 pages stay charged where
      // they were first touched (docs/memory-cgroups.md). Outside them it must not run.
      for (const auto& file : procs_files)
        if (!sandbox::enter_cgroup(file.c_str())) ::_exit(73);
      ::close(control_fd);
      if (fake_session && *fake_session)
        run_fake_session(fake_session, session_socket, **interpreter, *fork_request, forked.missing);
      session_main(session_socket, **interpreter, *fork_request, forked.missing);
    }
    ::close(session_socket);
    if (child < 0) {
      const ForkFailed failed{std::string("fork failed: ") + std::strerror(forked.error)};
      if (!send_frame(control_fd, encode(failed))) return 1;
      continue;
    }
    if (!send_frame(control_fd, encode(ForkReply{child}))) return 0;
  }
}

}  // namespace vivarium::sessions
