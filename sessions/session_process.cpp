#include "sessions/session_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>

#include "log/logger.h"
#include "sandbox/confine.h"
#include "sandbox/descriptors.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/result_limits.h"
#include "sessions/utf8_chunks.h"
#include "sessions/wire_messages.h"

namespace vivarium::sessions {
namespace {

// Who reads the server's socket. While no execution runs, the main thread reads it
// itself (next_request), so that a request reaches the interpreter with no hand-off
// between threads: through a reader thread and a condition variable, the wake-up of the
// main thread cost 25 us at p50 and up to 4 ms on 2 busy cores, on every exec
// (bench/server.sh). While one runs, the reader thread reads it, so that messages reach
// the session while Python runs: an interrupt is acted on at once (the main thread is
// busy in the interpreter), a package reply is queued for the main thread. When the
// server's end closes, or sends what cannot be decoded, the process ends: a session that
// executes (`while True: pass`, a long sleep) would otherwise not notice a server killed
// by SIGKILL and run on as an orphan. (Its parent is the zygote, which outlives a server
// only until it reads EOF, so PR_SET_PDEATHSIG cannot tie it to the server.) The reader
// starts after the lock-down, under the same seccomp filter and Landlock domain as the
// main thread; its wake-up descriptor is made before, as the filter allows no new one.
class ServerInbox {
 public:
  ServerInbox(int socket, engine::Interpreter& interpreter)
      : socket_(socket), interpreter_(interpreter), wake_reader_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_reader_ < 0) {
      log::plain("vivarium session: cannot make the reader thread's wake-up descriptor");
      ::_exit(70);
    }
  }

  void start() {
    // Signals meant for the session must reach the interpreter's thread: the reader
    // blocks them all, inheriting the mask it is created with.
    sigset_t all, previous;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_attr_t attributes;
    ::pthread_attr_init(&attributes);
    ::pthread_attr_setstacksize(&attributes, 256 * 1024);  // decoding is iterative (cbor_depth.h)
    pthread_t thread;
    const int created = ::pthread_create(&thread, &attributes, &ServerInbox::run, this);
    ::pthread_attr_destroy(&attributes);
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (created != 0) {
      log::plain("vivarium session: cannot start the thread that reads the server");
      ::_exit(70);  // an orphan that may loop for ever is worse than no session
    }
    ::pthread_detach(thread);
  }

  // On the main thread, with no execution running: the next request (an exec, or a
  // reply that came after its execution ended), read from the socket here unless one
  // came while the last execution ran.
  sessions::ToSession next_request() {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !reader_busy_; });  // a frame it began, it finishes
      if (!queue_.empty()) {
        auto message = std::move(queue_.front());
        queue_.pop_front();
        return message;
      }
    }
    for (;;) {
      auto message = read_one();
      // An interrupt that comes when its execution has ended finds nothing to stop.
      if (!std::holds_alternative<sessions::InterruptRequest>(message)) return message;
    }
  }

  // The reader thread reads from now on, until execution_ended(); it wakes on its own
  // time, the execution does not wait for it.
  void execution_began() {
    {
      std::lock_guard lock(mutex_);
      reader_reads_ = true;
    }
    changed_.notify_all();
  }
  void execution_ended() {
    bool in_poll;
    {
      std::lock_guard lock(mutex_);
      reader_reads_ = false;
      in_poll = reader_polls_;
    }
    // Out of its poll, so that the next request wakes the main thread only.
    if (in_poll) {
      const std::uint64_t one = 1;
      (void)!::write(wake_reader_, &one, sizeof one);
    }
  }

  // During an execution: the next message the reader queued (a package reply).
  sessions::ToSession next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !queue_.empty(); });
    auto message = std::move(queue_.front());
    queue_.pop_front();
    return message;
  }

 private:
  static void* run(void* self) {
    static_cast<ServerInbox*>(self)->read_loop();
    return nullptr;
  }

  // One whole message. The session trusts the server, but a message it cannot decode
  // still ends the session rather than being guessed at.
  sessions::ToSession read_one() {
    auto frame = sessions::receive_frame(socket_, sessions::kSessionInboundFrameLimit);
    if (!frame) ::_exit(0);  // the server closed the session (or went away)
    if (frame->passed_fd >= 0) ::close(frame->passed_fd);
    auto message = sessions::decode_to_session(frame->body);
    if (!message) {
      log::plain("vivarium session: " + message.error().message);
      ::_exit(0);
    }
    return std::move(*message);
  }

  [[noreturn]] void read_loop() {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return reader_reads_; });
        reader_polls_ = true;
      }
      pollfd fds[2] = {{socket_, POLLIN, 0}, {wake_reader_, POLLIN, 0}};
      while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
      }
      std::uint64_t count;
      if (fds[1].revents) (void)!::read(wake_reader_, &count, sizeof count);
      {
        std::lock_guard lock(mutex_);
        reader_polls_ = false;
        // The execution ended: the main thread reads whatever comes next.
        if (!reader_reads_ || !fds[0].revents) continue;
        reader_busy_ = true;
      }
      auto message = read_one();
      const bool interrupt = std::holds_alternative<sessions::InterruptRequest>(message);
      // An interrupt after its execution ended finds nothing running and does nothing.
      if (interrupt) interpreter_.interrupt();
      {
        std::lock_guard lock(mutex_);
        reader_busy_ = false;
        if (!interrupt) queue_.push_back(std::move(message));
      }
      changed_.notify_all();
    }
  }

  const int socket_;
  engine::Interpreter& interpreter_;
  const int wake_reader_;  // an eventfd: execution_ended() takes the reader out of its poll
  std::mutex mutex_;
  std::condition_variable changed_;
  bool reader_reads_ = false;  // an execution runs: the socket is the reader's
  bool reader_polls_ = false;  // the reader waits in poll() (execution_ended must wake it)
  bool reader_busy_ = false;   // the reader is reading a frame: the main thread waits for it
  std::deque<sessions::ToSession> queue_;
};

// Sends output to the server as it is written, in whole UTF-8 sequences, for an exec
// that asked for a stream. A failed send ends the process: the server is gone.
class OutputStreamer {
 public:
  explicit OutputStreamer(int socket) : socket_(socket) {}
  void write(engine::OutputStream stream, std::string_view text) {
    for (auto& chunk : chunker(stream).add(text)) send(stream, std::move(chunk));
  }
  void finish() {
    for (auto stream : {engine::OutputStream::out, engine::OutputStream::err})
      if (auto rest = chunker(stream).finish(); !rest.empty()) send(stream, std::move(rest));
  }

 private:
  sessions::Utf8Chunker& chunker(engine::OutputStream stream) {
    return stream == engine::OutputStream::out ? out_ : err_;
  }
  void send(engine::OutputStream stream, std::string text) {
    if (!sessions::send_frame(socket_, sessions::encode(sessions::OutputChunk{stream, std::move(text)}))) ::_exit(0);
  }
  const int socket_;
  sessions::Utf8Chunker out_{sessions::kMaxChunkText};
  sessions::Utf8Chunker err_{sessions::kMaxChunkText};
};

// A spare's warm-up execution: it prints and ends in an expression, as most executions
// do, and binds no name, so the session's namespace is still empty for its client.
constexpr const char* kWarmUpCode = "print(end='')\n1";
// V8 runs single-threaded (the zygote must fork), so TurboFan compiles the hot
// JavaScript of the execution path (Emscripten's file system, proxies, the runner's
// glue) synchronously, inside executions: 20 to 30 compiles of 1 to 31 ms each in a
// session's first thousand executions, the p99 of warm execs. They happen again after
// each fork: code optimized in the zygote is deoptimized in the child (wrong map), so a
// warmer zygote does not help (2000 executions there: 15 slow execs in a session's first
// thousand instead of 26). Run in the spare instead, 1000 warm-ups leave 0 to 6 execs
// over 2.5 ms of CPU in the session's next 300 (300 warm-ups leave 6 to 10, as one does).
constexpr int kJitWarmUps = 1000;
// ... but only in a spare that waited this long unclaimed: at a few new sessions a
// second spares are taken sooner and would only burn CPU (~0.4 s each) that sessions need.
constexpr int kJitWarmUpAfterMs = 1000;

bool request_waiting(int socket, int timeout_ms) {
  pollfd request{socket, POLLIN, 0};
  return ::poll(&request, 1, timeout_ms) != 0;  // an error, too: the main loop then finds it
}

std::chrono::nanoseconds thread_cpu_time() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// Runs after the lock-down and before the spare reads a request. The first execution
// pays the copy-on-write faults and the lazy set-up (reseeding included) that a fresh
// fork's first execution would pay: a new session's first exec at 5 a second, p50, on a
// busy machine (load 3.8), took 42 ms forked on its request, 13 to 16 ms from a spare
// only locked down, and 4.3 to 6 ms from a spare warmed up so. The rest warm the JIT,
// one at a time, until a request comes (it then waits for one warm-up, under a
// millisecond), or the spare gets less than a third of a CPU (the machine has better
// things to do). They cost memory: 16 MiB private in the warmed spare against 2 MiB,
// which a session reaches anyway after about a thousand executions of its own.
void warm_up(engine::Interpreter& interpreter, int socket) {
  auto once = [&] {
    if (interpreter.execute({.code = kWarmUpCode, .timeout = std::chrono::seconds(10)}).interpreter_lost) ::_exit(0);
  };
  once();
  if (request_waiting(socket, kJitWarmUpAfterMs)) return;
  const auto wall_started = std::chrono::steady_clock::now();
  const auto cpu_started = thread_cpu_time();
  for (int i = 1; i < kJitWarmUps && !request_waiting(socket, 0); ++i) {
    once();
    const auto wall = std::chrono::steady_clock::now() - wall_started;
    if (i >= 50 && wall > 3 * (thread_cpu_time() - cpu_started)) return;
  }
}

}  // namespace

void session_main(int socket, engine::Interpreter& interpreter, const sessions::ForkRequest& sandbox,
                  const std::string& pid_namespace_missing) {
  // A spare says so in its name (ps, tests) until its first request makes it a session.
  ::prctl(PR_SET_NAME, sandbox.spare ? "vivarium-spare" : "vivarium-sess");
  sandbox::close_inherited_descriptors(socket);
  interpreter.reseed_after_fork();
  // From now on this process cannot open files: wheels come from the server, which
  // reads only files the lock lists; the engine still checks their sha256. Replies come
  // through the inbox, whose reader thread starts after the lock-down.
  static ServerInbox* inbox = nullptr;
  inbox = new ServerInbox(socket, interpreter);  // lives as long as the process
  interpreter.set_package_fetcher(
      [socket](engine::WheelSource source, const std::string& file_name) -> std::optional<std::string> {
        if (!sessions::send_frame(socket, sessions::encode(sessions::PackageRequest{source, file_name})))
          return std::nullopt;
        auto reply = inbox->next();
        if (auto* package = std::get_if<sessions::PackageReply>(&reply)) return std::move(package->wheel);
        return std::nullopt;  // the server sends nothing else while an execution runs
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
  // Before the reader starts: a request that comes meanwhile waits in the socket, and an
  // interrupt meant for it cannot stop the warm-up instead.
  if (sandbox.spare) warm_up(interpreter, socket);
  inbox->start();
  bool named_session = !sandbox.spare;
  for (;;) {
    auto received = inbox->next_request();
    auto* exec = std::get_if<sessions::ExecRequest>(&received);
    if (!exec) continue;  // a reply after its execution ended: nothing to do
    if (!named_session) {
      ::prctl(PR_SET_NAME, "vivarium-sess");  // taken: a session from now on
      named_session = true;
    }
    engine::ExecutionRequest request;
    request.code = std::move(exec->code);
    request.files = std::move(exec->files);
    request.globals_json = std::move(exec->globals_json);
    request.timeout = exec->timeout;
    request.max_output_bytes = exec->max_output_bytes;
    OutputStreamer streamer(socket);
    if (exec->stream)
      request.on_output = [&streamer](engine::OutputStream stream, std::string_view text) {
        streamer.write(stream, text);
      };
    inbox->execution_began();
    auto result = interpreter.execute(request);
    inbox->execution_ended();
    if (exec->stream) streamer.finish();
    const bool lost = result.interpreter_lost;
    // Cut here so that the result fits the server's frame limit; the server cuts again.
    apply_result_limits(result, {exec->max_output_bytes, exec->max_output_files_bytes, exec->max_output_files});
    if (!sessions::send_frame(socket, sessions::encode(sessions::ExecResult{std::move(result)}))) ::_exit(0);
    if (lost) ::_exit(0);  // the server forks a fresh one
  }
}

}  // namespace vivarium::sessions
