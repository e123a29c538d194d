#include "cli/run_command.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/exit_status.h"
#include "cli/output_dir.h"
#include "cli/run_connection.h"
#include "engine/assets.h"
#include "packages/packages.h"
#include "runner/daemon_client.h"
#include "runner/engine_library.h"
#include "sandbox/id_range.h"
#include "sandbox/pid_namespace.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/run_messages.h"
#include "sessions/session_handle.h"
#include "sessions/stdio_relay.h"

namespace vivarium::cli {
namespace fs = std::filesystem;
namespace {

// What the client read for the program: the code, and the --file data.
struct LoadedProgram {
  std::string code;
  std::string filename;
  std::vector<std::string> argv;
  bool stdin_is_free = true;  // false when the code itself came from stdin
  std::vector<engine::SandboxFile> files;
};

void say(std::string_view message) {
  const std::string line = "vivarium: " + std::string(message) + "\n";
  [[maybe_unused]] const auto ignored = ::write(STDERR_FILENO, line.data(), line.size());
}

std::optional<std::string> read_stream(std::istream& in) {
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(content).str();
}

std::expected<LoadedProgram, std::string> load_program(const RunOptions& options) {
  LoadedProgram program;
  if (options.code) {
    program.code = *options.code;
    program.filename = "<string>";
    program.argv.push_back("-c");
    program.argv.insert(program.argv.end(), options.arguments.begin(), options.arguments.end());
    return program;
  }
  if (options.arguments.empty()) return std::unexpected("nothing to run: give a FILE, '-' for stdin, or -c CODE");
  const std::string& script = options.arguments.front();
  if (script == "-") {
    auto code = read_stream(std::cin);
    if (!code) return std::unexpected("cannot read the program from stdin");
    program.code = std::move(*code);
    program.filename = "<stdin>";
    program.stdin_is_free = false;
  } else {
    std::error_code ec;
    if (fs::is_directory(script, ec)) return std::unexpected("can't run '" + script + "': it is a directory");
    std::ifstream in(script, std::ios::binary);
    if (!in) return std::unexpected("can't open file '" + script + "': No such file or not readable");
    auto code = read_stream(in);
    if (!code) return std::unexpected("can't read file '" + script + "'");
    program.code = std::move(*code);
    program.filename = script;
  }
  program.argv = options.arguments;
  return program;
}

std::expected<std::vector<engine::SandboxFile>, std::string> load_input_files(const std::vector<FileSpec>& specs) {
  std::vector<engine::SandboxFile> files;
  for (const auto& spec : specs) {
    std::error_code ec;
    if (!fs::is_regular_file(spec.host, ec)) return std::unexpected("--file " + spec.host.string() + ": no such file");
    std::ifstream in(spec.host, std::ios::binary);
    auto data = in ? read_stream(in) : std::nullopt;
    if (!data) return std::unexpected("--file " + spec.host.string() + ": cannot read it");
    files.push_back({spec.sandbox, std::move(*data)});
  }
  return files;
}

// The most the program's result may take: its files lived in its wasm memory, which
// --memory-limit caps, plus each file's name and framing.
std::uint64_t result_limit(const RunOptions& options) { return options.memory_limit + (std::uint64_t{64} << 20); }

// What a run boots, resolved here so that the zygote's key and its boot agree.
struct Resolved {
  packages::BootSettings settings;  // for the client's own wheel listing
  sessions::ZygoteBoot boot;
  runner::DaemonSettings daemon;
};

std::expected<Resolved, std::string> resolve(const RunOptions& options) {
  const fs::path executable = fs::read_symlink("/proc/self/exe");
  auto assets = engine::locate_assets(options.assets_dir, executable);
  if (!assets) return std::unexpected(assets.error());
  Resolved r;
  r.daemon.executable = executable;
  r.daemon.engine_library = runner::engine_library_path();
  r.daemon.assets_dir = *assets;
  r.daemon.packages_dir = options.packages_dir.value_or(packages::default_packages_dir(*assets));
  r.daemon.wheels_dir = options.wheels_dir.value_or(packages::default_wheels_dir(*assets));
  r.daemon.cache_dir = options.cache_dir.value_or(engine::default_cache_dir());
  r.daemon.memory_limit = options.memory_limit;
  r.daemon.preload = packages::parse_package_list(options.preload);
  if (const char* flags = std::getenv("VIVARIUM_V8_FLAGS")) r.daemon.v8_flags = flags;
  r.settings = {r.daemon.assets_dir, r.daemon.cache_dir, r.daemon.packages_dir, r.daemon.wheels_dir, r.daemon.preload};
  r.boot = {options.memory_limit,           r.daemon.assets_dir.string(), r.daemon.cache_dir.string(),
            r.daemon.packages_dir.string(), r.daemon.wheels_dir.string(), r.daemon.preload};
  return r;
}

sessions::RunRequest request_for(const RunOptions& options, LoadedProgram& program) {
  sessions::RunRequest request;
  request.code = std::move(program.code);
  request.filename = std::move(program.filename);
  request.argv = std::move(program.argv);
  request.files = std::move(program.files);
  if (options.timeout) request.timeout_ms = options.timeout->count();
  request.json = options.json;
  request.verbose = options.verbose;
  request.stdin_is_free = program.stdin_is_free;
  request.send_output_files = options.output_dir.has_value();
  // As root, the program's uid: one per live `vivarium run` (this process's pid picks
  // it, modulo the range), so that two programs running at once do not share one.
  if (::geteuid() == 0) {
    const auto identity = sandbox::identity_in(options.sandbox_uids, static_cast<std::uint64_t>(::getpid()));
    request.uid = identity.uid;
    request.gid = identity.gid;
  }
  return request;
}

// Where the program runs: a connection to it, and with --no-daemon the local child.
struct Program {
  int connection = -1;
  pid_t pid = -1;  // the local host; -1 for a warm zygote's program
  bool own_pid_namespace = false;
};

// Through the user's warm zygote: the request carries the program's pipe ends. A
// connection that ends before the program started met a zygote that was exiting (idle)
// at that moment: the next attempt starts a fresh one.
std::expected<Program, runner::DaemonFailure> start_in_daemon(const runner::DaemonStart& start,
                                                              const sessions::Bytes& request,
                                                              const sessions::StdioPipes& pipes) {
  const int fds[3] = {pipes.child_stdin, pipes.child_stdout, pipes.child_stderr};
  std::string last_problem;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto connection = runner::connect_or_start_daemon(start);
    if (!connection) return std::unexpected(connection.error());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto sent = sessions::send_frame_fds(*connection, request, deadline, fds);
    auto first = sent ? sessions::receive_frame(*connection, sessions::kZygoteFrameLimit, deadline)
                      : std::expected<sessions::Frame, sessions::WireError>(std::unexpected(sent.error()));
    if (first && first->passed_fd >= 0) ::close(first->passed_fd);
    auto message = first ? sessions::decode_from_program(first->body)
                         : std::expected<sessions::FromProgram, sessions::WireError>(std::unexpected(first.error()));
    if (message && std::holds_alternative<sessions::RunStarted>(*message)) return Program{*connection, -1, false};
    ::close(*connection);
    if (message && std::holds_alternative<sessions::RunFailed>(*message))
      return std::unexpected(
          runner::DaemonFailure{true, exit_status::internal, std::get<sessions::RunFailed>(*message).error});
    last_problem = message ? "it sent an unexpected first message" : message.error().message;
  }
  return std::unexpected(runner::DaemonFailure{false, exit_status::internal,
                                               "the warm zygote did not take the program (" + last_problem + ")"});
}

// --no-daemon: a child of this process boots Python and runs the one program. It holds
// only its three pipes and its connection (fd 3), in a session of its own: no
// controlling terminal, and Ctrl-C reaches it only through this process. It dies with
// this process.
std::expected<Program, std::string> start_locally(const Resolved& resolved, const sessions::RunRequest& request,
                                                  sessions::StdioPipes& pipes, sessions::ForwardedSignals& signals) {
  int channel[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0)
    return std::unexpected(std::string("socketpair: ") + std::strerror(errno));
  // Readable once this process has exited: how the child tells that its parent is gone
  // (getppid() says 0 inside a pid namespace of its own, alive or not).
  const int parent = sessions::open_pidfd(::getpid());
  // As root, the program is pid 1 of a pid namespace of its own (sandbox/pid_namespace.h).
  const sandbox::PidNamespaceFork forked = sandbox::fork_in_own_pid_namespace();
  if (forked.pid < 0) {
    ::close(channel[0]), ::close(channel[1]);
    if (parent >= 0) ::close(parent);
    return std::unexpected(std::string("fork: ") + std::strerror(forked.error));
  }
  if (forked.pid == 0) {
    signals.restore();
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (parent >= 0) {
      pollfd ended{parent, POLLIN, 0};
      if (::poll(&ended, 1, 0) != 0) ::_exit(exit_status::internal);  // the parent is already gone
      ::close(parent);
    }
    ::close(channel[0]);
    auto adopted = sessions::adopt_stdio_pipes(pipes, channel[1]);
    auto engine = runner::load_engine_library();
    if (!adopted || !engine) {
      say(!adopted ? "cannot hand the program its standard streams: " + adopted.error() : engine.error());
      ::_exit(exit_status::internal);
    }
    ::_exit((*engine)->run_host_main(*adopted));
  }
  if (parent >= 0) ::close(parent);
  ::close(channel[1]);
  sessions::RunHostBoot boot{resolved.boot, "", 0, "", ""};
  sessions::RunRequest local = request;
  local.pid_namespace_missing = forked.missing;
  // The socket buffers the request while the child boots; a child that died shows up as
  // the connection's end.
  (void)sessions::send_frame(channel[0], sessions::encode(boot));
  (void)sessions::send_frame(channel[0], sessions::encode(local));
  return Program{channel[0], forked.pid, forked.own_namespace};
}

}  // namespace

int run_command(const RunOptions& options) {
  // Descriptors inherited from whoever started us (other than stdin, stdout and stderr)
  // must not reach the program: nothing of ours is open yet.
  ::syscall(SYS_close_range, 3u, ~0u, 0u);
  sessions::open_missing_standard_descriptors();
  auto program = load_program(options);
  if (!program) {
    say(program.error());
    return exit_status::usage;
  }
  auto files = load_input_files(options.files);
  if (!files) {
    say(files.error());
    return exit_status::usage;
  }
  program->files = std::move(*files);
  if (options.output_dir) {
    std::error_code ec;
    fs::create_directories(*options.output_dir, ec);
    if (ec) {
      say("cannot create output directory " + options.output_dir->string() + ": " + ec.message());
      return exit_status::usage;
    }
  }
  auto resolved = resolve(options);
  if (!resolved) {
    say(resolved.error());
    return exit_status::internal;
  }
  std::optional<runner::DaemonStart> daemon;
  if (!options.no_daemon) {
    auto idle = runner::daemon_idle_time();
    if (!idle) {
      say(idle.error());
      return exit_status::usage;
    }
    daemon = runner::DaemonStart{resolved->daemon, runner::daemon_key(resolved->daemon), resolved->boot, *idle,
                                 [](std::string_view notice) { say(notice); }};
  }

  // Before anything starts: a Ctrl-C from here on waits in the signalfd and reaches the
  // program as KeyboardInterrupt once it runs.
  auto signals = sessions::ForwardedSignals::install();
  if (!signals) {
    say("cannot set up the program's signals: " + signals.error());
    return exit_status::internal;
  }
  auto pipes = sessions::make_stdio_pipes();
  if (!pipes) {
    say("cannot make the program's standard streams: " + pipes.error());
    return exit_status::internal;
  }
  const bool relay_stdin = program->stdin_is_free;
  const sessions::RunRequest request = request_for(options, *program);

  std::optional<Program> started;
  if (daemon) {
    auto in_daemon = start_in_daemon(*daemon, sessions::encode(request), *pipes);
    if (in_daemon) {
      started = *in_daemon;
    } else if (in_daemon.error().boot_failed) {
      say(in_daemon.error().message);
      return in_daemon.error().status;
    } else {
      say("warning: " + in_daemon.error().message + "; running without a warm zygote (as --no-daemon)");
    }
  }
  if (!started) {
    auto local = start_locally(*resolved, request, *pipes, *signals);
    if (!local) {
      say("cannot start the program: " + local.error());
      return exit_status::internal;
    }
    started = *local;
  }
  sessions::close_child_ends(*pipes);
  ProgramConnection connection(started->connection, resolved->settings, result_limit(options),
                               /*host_report_first=*/started->pid > 0);
  connection.start();

  sessions::RelayOptions relay;
  relay.relay_stdin = relay_stdin;
  relay.signal_fd = signals->fd();
  relay.ended_fd = connection.ended_fd();
  // Ctrl-C is KeyboardInterrupt in the program, each time, as in python3. SIGTERM and
  // SIGHUP end it, and then the command as if by the signal.
  int forwarded_signal = 0;
  relay.on_signal = [&, pid = started->pid](int signal_number) {
    if (signal_number == SIGINT) {
      connection.interrupt();
      return;
    }
    if (forwarded_signal == 0) forwarded_signal = signal_number;
    if (pid > 0) ::kill(pid, SIGKILL);
    connection.hang_up();
  };
  // Nobody reads any more (`vivarium run ... | head -1`): the program stops now, and the
  // command ends as one killed by SIGPIPE does, quietly, as `yes | head -1` does.
  relay.on_stdout_closed = [&, pid = started->pid] {
    if (pid > 0) ::kill(pid, SIGKILL);
    connection.hang_up();
  };
  const auto relayed = sessions::relay_stdio(*pipes, relay);
  auto outcome = connection.finish();

  int wait_status = 0;
  if (started->pid > 0) {
    while (::waitpid(started->pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  if (relayed.stdout_closed || forwarded_signal != 0) {
    signals->restore();  // back to the dispositions we were given, to die by the signal
    return sessions::exit_like_child(relayed.stdout_closed ? SIGPIPE : forwarded_signal);
  }
  if (outcome.no_boot) {
    say(outcome.no_boot->error);
    return outcome.no_boot->status;
  }
  if (outcome.failed) {
    say(*outcome.failed);
    return exit_status::internal;
  }
  if (!outcome.ended) {
    if (outcome.output_too_large) {
      say("the output files are larger than --memory-limit allows; nothing was written");
      return exit_status::internal;
    }
    if (started->pid < 0) {
      say("the program ended without a result: its warm zygote or the program itself was killed "
          "(see `vivarium daemon status`)");
      return exit_status::internal;
    }
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    signals->restore();
    return sessions::exit_like_child(wait_status);
  }
  int status = outcome.ended->status;
  if (options.output_dir) {
    if (auto written = write_output_files(*options.output_dir, outcome.ended->output_files); !written) {
      say(written.error());
      if (status == exit_status::ok) status = exit_status::internal;
    }
  }
  return status;
}

}  // namespace vivarium::cli
