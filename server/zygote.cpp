#include "server/zygote.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/interpreter.h"
#include "engine/runtime.h"
#include "sandbox/descriptors.h"
#include "sandbox/pid_namespace.h"
#include "sandbox/seccomp_policy.h"
#include "server/boot_setup.h"
#include "server/logger.h"
#include "server/session_cgroups.h"
#include "server/session_process.h"
#include "sessions/control_socket.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/wire_messages.h"

extern char** environ;

namespace vivarium::server {
namespace {

constexpr auto kBootLimit = std::chrono::minutes(3);  // a first boot compiles wasm (~10 s)

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

void send_signal(int pidfd, pid_t pid, int signal) {
  if (pidfd >= 0)
    ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0);
  else if (pid > 0)
    ::kill(pid, signal);
}

}  // namespace

void kill_session_process(const SessionProcess& process) { send_signal(process.pidfd, process.pid, SIGKILL); }

void release_session_process(SessionProcess& process) {
  if (process.pidfd >= 0) ::close(process.pidfd);
  if (process.socket >= 0) ::close(process.socket);
  if (process.cgroup)
    if (auto removed = process.cgroup->remove(); !removed) log::warn(removed.error().message);
  process = SessionProcess{};
}

Zygote::Zygote(ZygoteOptions options) : options_(std::move(options)), sandbox_ids_(options_.sandbox_ids) {}
Zygote::~Zygote() { stop(); }

std::optional<pid_t> Zygote::pid() const {
  std::lock_guard lock(mutex_);
  if (pid_ < 0) return std::nullopt;
  return pid_;
}

void Zygote::stop() {
  std::lock_guard lock(mutex_);
  if (pid_ > 0) {
    send_signal(pidfd_, pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (control_ >= 0) ::close(control_);
  pid_ = -1;
  pidfd_ = control_ = -1;
}

std::expected<void, std::string> Zygote::start() {
  stop();
  std::lock_guard lock(mutex_);
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
    return std::unexpected(std::string("socketpair: ") + std::strerror(errno));
  std::vector<std::string> args = {options_.executable.string(), "__zygote", "--memory-limit",
                                   std::to_string(options_.memory_limit)};
  if (options_.assets_dir) args.insert(args.end(), {"--assets", options_.assets_dir->string()});
  if (options_.cache_dir) args.insert(args.end(), {"--cache-dir", options_.cache_dir->string()});
  if (options_.packages_dir) args.insert(args.end(), {"--packages-dir", options_.packages_dir->string()});
  if (options_.wheels_dir) args.insert(args.end(), {"--wheels-dir", options_.wheels_dir->string()});
  std::string preload;
  for (const auto& name : options_.preload) preload += (preload.empty() ? "" : ",") + name;
  args.insert(args.end(), {"--preload", preload.empty() ? "none" : preload});
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sockets[1], sessions::kZygoteControlFd);  // dup2 clears CLOEXEC
  pid_t child = -1;
  const int rc = ::posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(sockets[1]);
  if (rc != 0) {
    ::close(sockets[0]);
    return std::unexpected(std::string("cannot start the zygote: ") + std::strerror(rc));
  }
  pid_ = child;
  pidfd_ = pidfd_open(child);
  control_ = sockets[0];
  auto frame =
      sessions::receive_frame(control_, sessions::kZygoteFrameLimit, std::chrono::steady_clock::now() + kBootLimit);
  std::expected<sessions::ZygoteReport, sessions::WireError> report =
      frame ? sessions::decode_zygote_report(frame->body) : std::unexpected(frame.error());
  if (frame && frame->passed_fd >= 0) ::close(frame->passed_fd);
  if (!report || !std::holds_alternative<sessions::ZygoteReady>(*report)) {
    std::string why = !frame    ? "it exited before booting (" + frame.error().message + ")"
                      : !report ? "its readiness report cannot be decoded (" + report.error().message + ")"
                                : std::get<sessions::ZygoteFailed>(*report).error;
    send_signal(pidfd_, pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(control_);
    if (pidfd_ >= 0) ::close(pidfd_);
    pid_ = pidfd_ = control_ = -1;
    return std::unexpected("the zygote failed to boot Python: " + why);
  }
  missing_preloads_ = std::get<sessions::ZygoteReady>(*report).missing_preloads;
  ++generation_;
  return {};
}

std::vector<std::string> Zygote::missing_preloads() const {
  std::lock_guard lock(mutex_);
  return missing_preloads_;
}

std::expected<SessionProcess, std::string> Zygote::request_fork() {
  std::lock_guard lock(mutex_);
  if (control_ < 0) return std::unexpected("the zygote is not running");
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
    return std::unexpected(std::string("socketpair: ") + std::strerror(errno));
  // As root, each session gets a uid and gid of its own (held until its process is
  // released); otherwise it stays the server's user, in a user namespace of its own.
  sessions::ForkRequest fork_request{.require_full_sandbox = options_.require_full_sandbox};
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
  auto sent = sessions::send_frame(control_, sessions::encode(fork_request), deadline, sockets[1]);
  ::close(sockets[1]);
  if (!sent) {
    ::close(sockets[0]);
    forget_cgroup();
    return std::unexpected("the zygote is gone: " + sent.error().message);
  }
  auto frame = sessions::receive_frame(control_, sessions::kZygoteFrameLimit, deadline);
  std::expected<sessions::ForkOutcome, sessions::WireError> outcome =
      frame ? sessions::decode_fork_outcome(frame->body) : std::unexpected(frame.error());
  if (frame && frame->passed_fd >= 0) ::close(frame->passed_fd);
  if (!outcome || !std::holds_alternative<sessions::ForkReply>(*outcome)) {
    ::close(sockets[0]);
    forget_cgroup();
    return std::unexpected("the zygote did not fork: " +
                           (outcome ? std::get<sessions::ForkFailed>(*outcome).error : outcome.error().message));
  }
  // No send timeout on the socket: every exchange with the session has one deadline
  // (executor.cpp), which sends honour as well.
  SessionProcess process;
  process.pid = std::get<sessions::ForkReply>(*outcome).pid;
  process.pidfd = pidfd_open(process.pid);
  process.socket = sockets[0];
  process.sandbox_id = std::move(sandbox_id);
  process.cgroup = std::move(cgroup);
  return process;
}

std::expected<SessionProcess, std::string> Zygote::fork_session() {
  std::uint64_t failed_generation;
  {
    std::lock_guard lock(mutex_);
    failed_generation = generation_;
  }
  if (auto process = request_fork()) return process;
  // The zygote died (or never started): start a fresh one and try once more. In a burst
  // every waiting request sees the same death: only the first restarts it, the others
  // use the zygote it started (each restarting would kill the one before, one boot each).
  {
    std::lock_guard restarting(restart_mutex_);
    bool still_the_failed_one;
    {
      std::lock_guard lock(mutex_);
      still_the_failed_one = generation_ == failed_generation;
      if (pid_ > 0) ::waitpid(pid_, nullptr, WNOHANG);
    }
    if (still_the_failed_one)
      if (auto started = start(); !started) return std::unexpected(started.error());
  }
  return request_fork();
}

namespace {
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
                                   const sessions::ForkRequest& sandbox, const std::string& pid_namespace_missing) {
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
  std::fprintf(stderr, "vivarium zygote: cannot run the test-only fake session %s: %s\n", program,
               std::strerror(errno));
  ::_exit(127);
}

}  // namespace

int zygote_main(int control_fd, const ZygoteOptions& options) {
  // While it boots (seconds) it reads nothing, so it dies with the thread that spawned
  // it, which waits in Zygote::start() for the readiness report. A server that is
  // already gone leaves nothing to serve.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 1;
  // A zygote restarted after a crash is spawned while the server listens and holds
  // client connections: it must hold none of them (they would keep a client's
  // connection, or the port after the server died).
  sandbox::close_inherited_descriptors(control_fd);
  ::prctl(PR_SET_NAME, "vivarium-zyg");
  auto report_failure = [&](const std::string& why) {
    (void)sessions::send_frame(control_fd, sessions::encode(sessions::ZygoteFailed{why}));
    return 1;
  };
  engine::RuntimeOptions runtime;
  runtime.wasm_memory_limit = options.memory_limit;
  if (auto initialized = engine::Runtime::initialize(runtime); !initialized) return report_failure(initialized.error());
  auto setup =
      prepare_boot({options.assets_dir, options.cache_dir, options.packages_dir, options.wheels_dir, options.preload});
  if (!setup) return report_failure(setup.error().message);
  engine::BootOptions& boot = setup->options;
  boot.on_notice = [](std::string_view notice) {
    std::fprintf(stderr, "vivarium zygote: %.*s\n", static_cast<int>(notice.size()), notice.data());
  };
  auto interpreter = engine::Interpreter::boot(boot);
  if (!interpreter) return report_failure(interpreter.error());

  // Run the execution path once here, so that its lazy JS compilation and first-call
  // set-up happen in the zygote instead of again in every session (~150 ms each). The
  // code binds no name: a session must start with an empty namespace, as python3 does.
  for (int i = 0; i < 2; ++i) (*interpreter)->execute({.code = "__import__('random')\nprint(end='')\n1"});
  // Pyodide's standard library is source only, so a first import compiles: 5-130 ms
  // for modules that programs commonly use. Imported here once, they cost sessions
  // nothing (shared copy-on-write pages), again without binding a name.
  (*interpreter)
      ->execute({.code = std::string("for _name in (") + kWarmImports + "):\n    __import__(_name)\ndel _name"});

  // Children are reaped automatically; the server watches them through pidfds.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ignore.sa_flags = SA_NOCLDWAIT;
  ::sigaction(SIGCHLD, &ignore, nullptr);
  // From here on the control socket's EOF ends the zygote (it reads it in the loop
  // below). The death signal would fire when the spawning THREAD ends, and a zygote
  // restarted from a short-lived request thread must outlive that request.
  ::prctl(PR_SET_PDEATHSIG, 0);
  const sessions::ZygoteReady ready{static_cast<std::int64_t>((*interpreter)->boot_timings().total_ms),
                                    (*interpreter)->missing_preloads()};
  if (!sessions::send_frame(control_fd, sessions::encode(ready))) return 1;

  const char* fake_session = std::getenv(kFakeSessionVariable);
  for (;;) {
    auto request = sessions::receive_frame(control_fd, sessions::kZygoteFrameLimit);
    if (!request) return 0;  // the server went away
    const int session_socket = request->passed_fd;
    auto fork_request = sessions::decode_fork_request(request->body);
    if (session_socket < 0 || !fork_request) {
      if (session_socket >= 0) ::close(session_socket);
      if (!sessions::send_frame(control_fd, sessions::encode(sessions::ForkFailed{"not a fork request"}))) return 1;
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
      const sessions::ForkFailed failed{std::string("fork failed: ") + std::strerror(forked.error)};
      if (!sessions::send_frame(control_fd, sessions::encode(failed))) return 1;
      continue;
    }
    if (!sessions::send_frame(control_fd, sessions::encode(sessions::ForkReply{child}))) return 0;
  }
}

}  // namespace vivarium::server
