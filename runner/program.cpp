#include "runner/program.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include "runner/exit_status.h"
#include "sandbox/confine.h"
#include "server/result_json.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"

namespace vivarium::runner {
namespace {

constexpr int kConnection = kProgramConnectionFd;

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t wrote = ::write(fd, text.data(), text.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

void say(std::string_view message) { write_all(STDERR_FILENO, "vivarium: " + std::string(message) + "\n"); }

// Frames to the client go from the main thread (the end), the inbox's (none) and the
// watchdog's last resort (a stuck program's timeout): one at a time.
std::mutex g_send_mutex;
bool send_to_client(const sessions::Bytes& frame) {
  std::lock_guard lock(g_send_mutex);
  return static_cast<bool>(sessions::send_frame(kConnection, frame));
}

[[noreturn]] void end_program(int status, std::vector<engine::SandboxFile> files = {}) {
  (void)send_to_client(sessions::encode(sessions::RunEnded{status, std::move(files)}));
  ::_exit(status);
}

// The one reader of the connection, on a thread of its own so that Ctrl-C reaches the
// program while Python runs. The client's end closing (the client was killed) ends the
// program at once: a killed client takes its program down with it.
class ClientInbox {
 public:
  explicit ClientInbox(engine::Interpreter& interpreter) : interpreter_(interpreter) {}

  void start() {
    sigset_t all, previous;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    std::thread([this] { read_loop(); }).detach();
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }

  std::optional<std::string> next_wheel() {
    std::unique_lock lock(mutex_);
    arrived_.wait(lock, [&] { return !wheels_.empty(); });
    auto wheel = std::move(wheels_.front());
    wheels_.pop_front();
    return wheel;
  }

  // Ctrl-C before the execution began.
  bool interrupted_early() const { return interrupt_pending_.load(); }
  void executing() { executing_.store(true); }

 private:
  [[noreturn]] void read_loop() {
    for (;;) {
      auto frame = sessions::receive_frame(kConnection, sessions::kSessionInboundFrameLimit);
      if (!frame) ::_exit(exit_status::internal);  // the client is gone: nobody to run for
      if (frame->passed_fd >= 0) ::close(frame->passed_fd);
      auto message = sessions::decode_to_program(frame->body);
      if (!message) ::_exit(exit_status::internal);
      if (std::holds_alternative<sessions::InterruptRequest>(*message)) {
        interrupt_pending_.store(true);
        // Between the main thread's last look at the flag and the execution's start,
        // interrupt() finds nothing running: try again until it lands.
        for (int tries = 0; !interpreter_.interrupt() && executing_.load() && tries < 1000; ++tries)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        wheels_.push_back(std::move(std::get<sessions::PackageReply>(*message).wheel));
      }
      arrived_.notify_one();
    }
  }

  engine::Interpreter& interpreter_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<std::optional<std::string>> wheels_;
  std::atomic<bool> interrupt_pending_{false}, executing_{false};
};

int exit_status_of(const engine::ExecutionResult& result) {
  if (!result.error) return result.exit_code.value_or(exit_status::ok);
  switch (result.error->kind) {
    case engine::ErrorKind::execution:
      // Ctrl-C that the program did not catch: python3's status for it.
      return result.error->exception == "KeyboardInterrupt" ? exit_status::interrupted
                                                            : exit_status::uncaught_exception;
    case engine::ErrorKind::timeout:
      return exit_status::timeout;
    case engine::ErrorKind::memory:
      return exit_status::memory_limit;
    case engine::ErrorKind::engine:
      return exit_status::internal;
  }
  return exit_status::internal;
}

void report_error_on_terminal(const engine::ExecutionResult& result, std::optional<std::int64_t> timeout_ms) {
  const auto& error = *result.error;
  switch (error.kind) {
    case engine::ErrorKind::timeout: {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeout_ms ? static_cast<double>(*timeout_ms) / 1000.0 : 0.0);
      say(std::string("timeout: the program ran longer than ") + seconds + " s and was stopped");
      break;
    }
    case engine::ErrorKind::engine:
      say(error.message);
      break;
    case engine::ErrorKind::memory:
      write_all(STDERR_FILENO, error.traceback.empty() ? error.message + "\n" : error.traceback);
      say("memory limit reached (see --memory-limit)");
      break;
    case engine::ErrorKind::execution:
      write_all(STDERR_FILENO, error.traceback.empty() ? error.message + "\n" : error.traceback);
      break;
  }
}

// The session wall (docs/security.md): as root its own uid, new user, network, IPC, UTS
// and mount namespaces, no capabilities, Landlock with no folder at all and the session's
// seccomp allow-list. Wheels come from the client; --file and --output-dir are the
// client's work: the program needs no host path.
void lock_down(const sessions::RunRequest& request, const std::string& pid_namespace_missing) {
  // A zygote's program dies with the zygote (its client then reports exit 125); a local
  // one with its client. The confinement's credential changes clear the death signal.
  sandbox::ConfineOptions wall{
      .role = sandbox::Role::session, .pid_namespace_missing = pid_namespace_missing, .parent_death_signal = SIGKILL};
  if (::geteuid() == 0 && request.uid != 0) wall.identity = sandbox::Identity{request.uid, request.gid};
  ::tzset();  // glibc reads the time zone file once, before it becomes unreadable
  auto layers = sandbox::confine(wall);
  if (!layers) {
    say("cannot lock the process down before running the program: " + layers.error().message);
    end_program(exit_status::internal);
  }
  if (!request.verbose) return;
  const std::string report = sandbox::describe(*layers);
  for (std::size_t start = 0; start < report.size();) {
    const std::size_t end = report.find('\n', start);
    say("process wall: " + report.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace

void prepare_program_boot(engine::BootOptions& boot) {
  boot.inherit_stdin = true;  // fd 0 is the client's pipe (at its end for code read from stdin)
  boot.on_notice = [](std::string_view notice) { say(notice); };
  boot.on_unresponsive = [] {
    say("timeout: the program did not stop; exiting");
    end_program(exit_status::timeout);
  };
}

void program_main(BootedPython& python, sessions::RunRequest request, bool forked,
                  const std::string& pid_namespace_missing) {
  ::prctl(PR_SET_NAME, "vivarium-prog");
  ::syscall(SYS_close_range, static_cast<unsigned>(kConnection + 1), ~0u, 0u);
  if (!send_to_client(sessions::encode(sessions::RunStarted{static_cast<std::int32_t>(::getpid())})))
    ::_exit(exit_status::internal);
  engine::Interpreter& interpreter = *python.interpreter;
  if (forked) interpreter.reseed_after_fork();
  for (const auto& warning : python.warnings) say("warning: " + warning);

  static ClientInbox* inbox = nullptr;
  inbox = new ClientInbox(interpreter);  // lives as long as the process
  interpreter.set_package_fetcher([](engine::WheelSource source, const std::string& file_name) {
    if (!send_to_client(sessions::encode(sessions::PackageRequest{source, file_name})))
      return std::optional<std::string>();
    return inbox->next_wheel();
  });
  lock_down(request, pid_namespace_missing);
  inbox->start();

  engine::ExecutionRequest execution;
  execution.code = std::move(request.code);
  execution.filename = std::move(request.filename);
  execution.argv = std::move(request.argv);
  execution.files = std::move(request.files);
  if (request.timeout_ms) execution.timeout = std::chrono::milliseconds(*request.timeout_ms);
  if (!request.json)
    execution.on_output = [](engine::OutputStream stream, std::string_view text) {
      write_all(stream == engine::OutputStream::err ? STDERR_FILENO : STDOUT_FILENO, text);
    };
  inbox->executing();
  if (inbox->interrupted_early()) {
    write_all(STDERR_FILENO, "KeyboardInterrupt\n");
    end_program(exit_status::interrupted);
  }
  auto result = interpreter.execute(execution);

  const int status = exit_status_of(result);
  if (request.json) {
    // The user's own terminal: only the depth is capped, not the size.
    const auto body = server::execution_to_json(result, {.max_bytes = std::numeric_limits<std::size_t>::max()});
    write_all(STDOUT_FILENO, server::to_json_text(body) + "\n");
  } else if (result.error) {
    report_error_on_terminal(result, request.timeout_ms);
  }
  std::vector<engine::SandboxFile> files;
  if (request.send_output_files) files = std::move(result.output_files);
  end_program(status, std::move(files));
}

}  // namespace vivarium::runner
