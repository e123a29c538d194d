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
#include "cli/output_files_channel.h"
#include "cli/run_program.h"
#include "sandbox/pid_namespace.h"
#include "sessions/session_handle.h"
#include "sessions/stdio_relay.h"

namespace vivarium::cli {
namespace fs = std::filesystem;
namespace {

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

// The most the child's files may take on their way out: they lived in its wasm memory,
// which --memory-limit caps, plus each file's name and framing.
std::size_t output_files_limit(const RunOptions& options) {
  return static_cast<std::size_t>(options.memory_limit) + (std::size_t{64} << 20);
}

struct Child {
  pid_t pid = -1;
  int pidfd = -1;
  int output_channel = -1;  // the parent's end; -1 without --output-dir
  bool own_pid_namespace = false;
};

// Forks the child that runs the program. It holds only its three pipes (and, with
// --output-dir, the socket for the files), in a session of its own: no controlling
// terminal, and Ctrl-C reaches it only through its parent's forwarding. It dies with
// its parent.
std::expected<Child, std::string> start_child(const RunOptions& options, LoadedProgram& program,
                                              sessions::StdioPipes& pipes, sessions::ForwardedSignals& signals) {
  int channel[2] = {-1, -1};
  if (options.output_dir && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0)
    return std::unexpected(std::string("socketpair: ") + std::strerror(errno));
  // As root, the program's uid: one per live `vivarium run` (this process's pid picks it,
  // modulo the range), so that two programs running at once do not share one.
  std::optional<sandbox::Identity> identity;
  if (::geteuid() == 0) identity = sandbox::identity_in(options.sandbox_uids, static_cast<std::uint64_t>(::getpid()));
  // Readable once this process has exited: how the child tells that its parent is gone
  // (getppid() says 0 inside a pid namespace of its own, alive or not).
  const int parent = sessions::open_pidfd(::getpid());
  // As root, the program is pid 1 of a pid namespace of its own (sandbox/pid_namespace.h).
  const sandbox::PidNamespaceFork forked = sandbox::fork_in_own_pid_namespace();
  const pid_t pid = forked.pid;
  if (pid < 0) {
    if (channel[0] >= 0) ::close(channel[0]), ::close(channel[1]);
    if (parent >= 0) ::close(parent);
    return std::unexpected(std::string("fork: ") + std::strerror(forked.error));
  }
  if (pid == 0) {
    signals.restore();
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (parent >= 0) {
      pollfd ended{parent, POLLIN, 0};
      if (::poll(&ended, 1, 0) != 0) ::_exit(exit_status::internal);  // the parent is already gone
      ::close(parent);
    }
    if (channel[0] >= 0) ::close(channel[0]);
    auto adopted = sessions::adopt_stdio_pipes(pipes, channel[1]);
    if (!adopted) {
      say("cannot hand the program its standard streams: " + adopted.error());
      ::_exit(exit_status::internal);
    }
    // The child's exit runs the same teardown as a `vivarium run` of old.
    std::exit(run_program(options, std::move(program), *adopted, {identity, forked.missing}));
  }
  if (parent >= 0) ::close(parent);
  sessions::close_child_ends(pipes);
  if (channel[1] >= 0) ::close(channel[1]);
  const int pidfd = sessions::open_pidfd(pid);
  return Child{pid, pidfd, channel[0], forked.own_namespace};
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
  auto child = start_child(options, *program, *pipes, *signals);
  if (!child) {
    say("cannot start the program: " + child.error());
    return exit_status::internal;
  }

  sessions::RelayOptions relay;
  relay.relay_stdin = relay_stdin;
  relay.signal_fd = signals->fd();
  relay.ended_fd = child->pidfd;
  relay.collect_fd = child->output_channel;
  relay.collect_limit = output_files_limit(options);
  // Pid 1 of its own namespace ignores a default-action SIGINT, SIGTERM or SIGHUP even
  // from here: it is ended with SIGKILL, and the command then ends as if by the signal.
  int forwarded_signal = 0;
  relay.on_signal = [&forwarded_signal, pid = child->pid, pid1 = child->own_pid_namespace](int signal_number) {
    if (forwarded_signal == 0) forwarded_signal = signal_number;
    ::kill(pid, pid1 ? SIGKILL : signal_number);
  };
  // Nobody reads any more (`vivarium run ... | head -1`): the program stops now, and the
  // command ends as one killed by SIGPIPE does, quietly, as `yes | head -1` does.
  relay.on_stdout_closed = [pid = child->pid] { ::kill(pid, SIGKILL); };
  const auto relayed = sessions::relay_stdio(*pipes, relay);

  int wait_status = 0;
  while (::waitpid(child->pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (child->pidfd >= 0) ::close(child->pidfd);
  if (child->output_channel >= 0) ::close(child->output_channel);
  if (relayed.stdout_closed)
    wait_status = SIGPIPE;  // a wait status: killed by SIGPIPE
  else if (child->own_pid_namespace && forwarded_signal != 0 && WIFSIGNALED(wait_status) &&
           WTERMSIG(wait_status) == SIGKILL)
    wait_status = forwarded_signal;

  int status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  if (options.output_dir && WIFEXITED(wait_status)) {
    auto sent = relayed.collected_too_large
                    ? std::expected<std::vector<engine::SandboxFile>, std::string>(std::unexpected(
                          "the output files are larger than --memory-limit allows; nothing was written"))
                    : decode_output_files(relayed.collected);
    auto written = sent ? write_output_files(*options.output_dir, *sent) : std::unexpected(sent.error());
    if (!written) {
      say(written.error());
      if (status == exit_status::ok) status = exit_status::internal;
    }
  }
  if (status >= 0) return status;
  signals->restore();  // back to the dispositions we were given, to die as the child did
  return sessions::exit_like_child(wait_status);
}

}  // namespace vivarium::cli
