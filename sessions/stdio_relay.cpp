#include "sessions/stdio_relay.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>

namespace vivarium::sessions {
namespace {

std::string errno_text(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// 64 KiB per read: the size of a pipe, so one read takes what one poll saw.
constexpr std::size_t kReadChunk = 64 * 1024;
// What the queue may hold before the relay stops reading the child: the child then
// blocks in its write, as python3 would block on a slow terminal.
constexpr std::size_t kQueueLimit = 1024 * 1024;

enum class Sink { file, pipe, other };

Sink sink_kind(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Sink::other;
  if (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !::isatty(fd))) return Sink::file;
  return S_ISFIFO(st.st_mode) ? Sink::pipe : Sink::other;
}

// How much one write to a user's descriptor may carry without blocking once poll() said
// POLLOUT. A regular file or /dev/null never blocks for long: everything at once. A pipe
// promises one free page (PIPE_BUF), or all of its capacity when it is empty (no byte
// unread), which is the usual case behind `| cat`: 4 KiB writes cost 100 MiB of stdout
// 25600 write and poll calls. A terminal or a socket: one page.
std::size_t safe_write_size(int fd, Sink kind) {
  if (kind == Sink::file) return std::size_t{1} << 30;
  if (kind == Sink::pipe) {
    int unread = -1;
    const int capacity = ::fcntl(fd, F_GETPIPE_SZ);
    if (::ioctl(fd, FIONREAD, &unread) == 0 && unread == 0 && capacity > PIPE_BUF)
      return static_cast<std::size_t>(capacity);
  }
  return PIPE_BUF;
}

struct Chunk {
  bool is_stderr = false;
  std::string bytes;
  std::size_t done = 0;
};

enum class Read { data, eof, again, error };

Read read_some(int fd, std::string& into, std::size_t max) {
  const std::size_t old = into.size();
  into.resize(old + max);
  ssize_t got;
  do got = ::read(fd, into.data() + old, max);
  while (got < 0 && errno == EINTR);
  into.resize(old + static_cast<std::size_t>(got > 0 ? got : 0));
  if (got > 0) return Read::data;
  if (got == 0) return Read::eof;
  return errno == EAGAIN || errno == EWOULDBLOCK ? Read::again : Read::error;
}

// True when the terminal fd's foreground process group is not ours: reading it then would
// stop us (SIGTTIN) or fail (EIO), as for `vivarium run ... &` in an interactive shell.
bool is_background_terminal(int fd) {
  const pid_t foreground = ::tcgetpgrp(fd);
  return foreground >= 0 && foreground != ::getpgrp();
}

}  // namespace

void open_missing_standard_descriptors() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0 && null_fd != fd) ::dup2(null_fd, fd), ::close(null_fd);
  }
}

std::expected<StdioPipes, std::string> make_stdio_pipes() {
  StdioPipes pipes;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return std::unexpected(errno_text("pipe2"));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const auto error = errno_text("pipe2");
    ::close(in[0]), ::close(in[1]);
    return std::unexpected(error);
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const auto error = errno_text("pipe2");
    ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
    return std::unexpected(error);
  }
  pipes.child_stdin = in[0], pipes.to_stdin = in[1];
  pipes.from_stdout = out[0], pipes.child_stdout = out[1];
  pipes.from_stderr = err[0], pipes.child_stderr = err[1];
  for (int fd : {pipes.to_stdin, pipes.from_stdout, pipes.from_stderr})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return pipes;
}

void close_child_ends(StdioPipes& pipes) {
  close_fd(pipes.child_stdin);
  close_fd(pipes.child_stdout);
  close_fd(pipes.child_stderr);
}

std::expected<int, std::string> adopt_stdio_pipes(const StdioPipes& pipes, int channel) {
  // Move everything we keep above 3 first, so that no dup2 below overwrites a source.
  int sources[4] = {pipes.child_stdin, pipes.child_stdout, pipes.child_stderr, channel};
  for (int& fd : sources) {
    if (fd < 0) continue;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (moved < 0) return std::unexpected(errno_text("fcntl(F_DUPFD)"));
    fd = moved;
  }
  for (int target = 0; target < 4; ++target) {
    if (sources[target] < 0) continue;
    if (::dup2(sources[target], target) < 0) return std::unexpected(errno_text("dup2"));
  }
  const unsigned first_closed = channel >= 0 ? 4u : 3u;
  if (::syscall(SYS_close_range, first_closed, ~0u, 0u) != 0) return std::unexpected(errno_text("close_range"));
  return channel >= 0 ? 3 : -1;
}

std::expected<ForwardedSignals, std::string> ForwardedSignals::install() {
  ForwardedSignals signals;
  const sigset_t set = forwarded_set();
  if (::sigprocmask(SIG_BLOCK, &set, &signals.old_mask_) != 0) return std::unexpected(errno_text("sigprocmask"));
  signals.fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals.fd_ < 0) {
    const auto error = errno_text("signalfd");
    ::sigprocmask(SIG_SETMASK, &signals.old_mask_, nullptr);
    return std::unexpected(error);
  }
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &signals.old_pipe_);
  ::sigaction(SIGTTIN, &ignore, &signals.old_ttin_);
  return signals;
}

ForwardedSignals::ForwardedSignals(ForwardedSignals&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      old_mask_(other.old_mask_),
      old_pipe_(other.old_pipe_),
      old_ttin_(other.old_ttin_),
      restored_(std::exchange(other.restored_, true)) {}

void ForwardedSignals::restore() {
  if (restored_) return;
  restored_ = true;
  ::sigaction(SIGPIPE, &old_pipe_, nullptr);
  ::sigaction(SIGTTIN, &old_ttin_, nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  close_fd(fd_);
}

ForwardedSignals::~ForwardedSignals() { restore(); }

RelayOutcome relay_stdio(StdioPipes& pipes, const RelayOptions& options) {
  RelayOutcome outcome;
  if (!options.relay_stdin) close_fd(pipes.to_stdin);
  bool stdin_open = pipes.to_stdin >= 0;
  const bool stdin_is_terminal = ::isatty(options.user_stdin) == 1;
  std::string pending_stdin;
  int from[2] = {pipes.from_stdout, pipes.from_stderr};
  const int user_out[2] = {options.user_stdout, options.user_stderr};
  const Sink sink[2] = {sink_kind(options.user_stdout), sink_kind(options.user_stderr)};
  bool user_writable[2] = {true, true};  // false after a write error: the rest is dropped
  std::deque<Chunk> queue;
  std::size_t queued = 0;
  bool ended = options.ended_fd < 0;
  int collect = options.collect_fd;
  bool give_up_output = false;

  auto drop_stream = [&](int stream) {
    user_writable[stream] = false;
    std::erase_if(queue, [&](const Chunk& c) {
      if (c.is_stderr != (stream == 1)) return false;
      queued -= c.bytes.size() - c.done;
      return true;
    });
    if (stream == 0) {
      outcome.stdout_closed = true;
      if (options.on_stdout_closed) options.on_stdout_closed();
    }
  };

  for (;;) {
    const bool outputs_open = from[0] >= 0 || from[1] >= 0;
    if (give_up_output) queue.clear(), queued = 0;
    if (!outputs_open && ended && queue.empty() && collect < 0) break;

    // Index 0: signals; 1, 2: the child's stdout, stderr; 3: the user's descriptor the
    // queue's head goes to; 4: the user's stdin; 5: the child's stdin; 6: ended; 7: collect.
    pollfd fds[8];
    for (auto& p : fds) p = {-1, 0, 0};
    fds[0] = {options.signal_fd, POLLIN, 0};
    for (int stream = 0; stream < 2; ++stream)
      if (from[stream] >= 0 && queued < kQueueLimit) fds[1 + stream] = {from[stream], POLLIN, 0};
    if (!queue.empty()) fds[3] = {user_out[queue.front().is_stderr ? 1 : 0], POLLOUT, 0};
    int timeout_ms = -1;
    if (stdin_open && pending_stdin.empty() && !ended) {
      if (stdin_is_terminal && is_background_terminal(options.user_stdin))
        timeout_ms = 250;  // look again: the shell may bring us to the foreground
      else
        fds[4] = {options.user_stdin, POLLIN, 0};
    }
    if (stdin_open && !pending_stdin.empty()) fds[5] = {pipes.to_stdin, POLLOUT, 0};
    if (!ended) fds[6] = {options.ended_fd, POLLIN, 0};
    if (collect >= 0) fds[7] = {collect, POLLIN, 0};

    if (::poll(fds, 8, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen with valid descriptors; never spin
    }

    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      while (::read(options.signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (ended)
          give_up_output = true;  // a second Ctrl-C while a stalled reader holds the rest
        else if (options.on_signal)
          options.on_signal(static_cast<int>(info.ssi_signo));
      }
    }

    for (int stream = 0; stream < 2; ++stream) {
      if (!(fds[1 + stream].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
      Chunk chunk{stream == 1, {}, 0};
      const Read got = read_some(from[stream], chunk.bytes, kReadChunk);
      if (got == Read::eof || got == Read::error) close_fd(from[stream]);
      if (chunk.bytes.empty() || !user_writable[stream]) continue;
      queued += chunk.bytes.size();
      if (!queue.empty() && queue.back().is_stderr == chunk.is_stderr && queue.back().bytes.size() < kReadChunk)
        queue.back().bytes += chunk.bytes;
      else
        queue.push_back(std::move(chunk));
    }

    if (fds[3].revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) {
      Chunk& head = queue.front();
      const int stream = head.is_stderr ? 1 : 0;
      const std::size_t size = std::min(head.bytes.size() - head.done, safe_write_size(user_out[stream], sink[stream]));
      const ssize_t wrote = ::write(user_out[stream], head.bytes.data() + head.done, size);
      if (wrote > 0) {
        head.done += static_cast<std::size_t>(wrote);
        queued -= static_cast<std::size_t>(wrote);
        if (head.done == head.bytes.size()) queue.pop_front();
      } else if (!(wrote < 0 && (errno == EINTR || errno == EAGAIN))) {
        drop_stream(stream);
      }
    }

    if (fds[4].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      const Read got = read_some(options.user_stdin, pending_stdin, kReadChunk);
      // EIO: we were moved to the background between the check and the read.
      const bool background =
          got == Read::error && errno == EIO && stdin_is_terminal && is_background_terminal(options.user_stdin);
      if ((got == Read::eof || got == Read::error) && !background) {
        close_fd(pipes.to_stdin);  // the child reads end of file
        stdin_open = false;
      }
    }
    if (fds[5].revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) {
      const ssize_t wrote = ::write(pipes.to_stdin, pending_stdin.data(), pending_stdin.size());
      if (wrote > 0) {
        pending_stdin.erase(0, static_cast<std::size_t>(wrote));
      } else if (!(wrote < 0 && (errno == EINTR || errno == EAGAIN))) {
        close_fd(pipes.to_stdin);  // the child closed its stdin, or ended
        stdin_open = false;
        pending_stdin.clear();
      }
    }

    if (fds[6].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      ended = true;
      close_fd(pipes.to_stdin);
      stdin_open = false;
    }

    if (fds[7].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      const Read got = read_some(collect, outcome.collected, kReadChunk);
      if (outcome.collected.size() > options.collect_limit) {
        outcome.collected_too_large = true;  // read on and dropped, so that the child is never stuck
        outcome.collected.clear();
      }
      if (got == Read::eof || got == Read::error) collect = -1;  // the caller owns the descriptor
    }
  }
  close_fd(pipes.to_stdin);
  close_fd(from[0]);
  close_fd(from[1]);
  pipes.from_stdout = pipes.from_stderr = -1;
  return outcome;
}

int exit_like_child(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (!WIFSIGNALED(wait_status)) return 125;
  const int signal_number = WTERMSIG(wait_status);
  switch (signal_number) {
    case SIGINT:
    case SIGTERM:
    case SIGHUP:
    case SIGPIPE:
    case SIGKILL: {
      struct sigaction deflt {};
      deflt.sa_handler = SIG_DFL;
      ::sigaction(signal_number, &deflt, nullptr);
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, signal_number);
      ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
      ::raise(signal_number);
      break;  // not reached, unless the signal is blocked by something we do not know of
    }
    default:
      break;
  }
  return 128 + signal_number;
}

}  // namespace vivarium::sessions
