// The unconfined parent's side of a sandboxed program's stdin, stdout and stderr.
//
// The sandboxed process never holds the user's descriptors (a terminal can be driven by
// ioctl: TIOCSTI types into the user's shell). It gets three pipes instead; its parent
// copies the user's stdin into one and the other two out to the user's stdout and
// stderr, and forwards SIGINT, SIGTERM and SIGHUP. `vivarium run` is such a parent
// today; a client of a warm zygote will be one the same way (it passes the child's pipe
// ends to the zygote, and its "ended" descriptor is the zygote's channel, not a pidfd).
// No engine here: docs/run-relay.md describes the whole arrangement.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstddef>
#include <expected>
#include <functional>
#include <string>

namespace vivarium::sessions {

// A closed 0, 1 or 2 becomes /dev/null, so that no pipe made after it takes its number
// (the relay then reads end of file from it, or writes into nothing).
void open_missing_standard_descriptors();

// The three pipes. The parent's ends are non-blocking and close-on-exec.
struct StdioPipes {
  int child_stdin = -1;  // read end, becomes the child's 0
  int child_stdout = -1;
  int child_stderr = -1;
  int to_stdin = -1;  // the parent's write end
  int from_stdout = -1;
  int from_stderr = -1;
};
std::expected<StdioPipes, std::string> make_stdio_pipes();
// In the parent once the child holds its ends.
void close_child_ends(StdioPipes& pipes);
// In the child after fork: its pipe ends become 0, 1 and 2, `channel` (when >= 0)
// becomes 3, and every other descriptor is closed. Returns the channel's new number.
std::expected<int, std::string> adopt_stdio_pipes(const StdioPipes& pipes, int channel);

// The parent blocks SIGINT, SIGTERM and SIGHUP and reads them from a signalfd, so that
// they are forwarded from the relay's loop and never interrupt a copy half-way; SIGPIPE
// and SIGTTIN are ignored (a closed reader is an EPIPE, a background read an EIO). Made
// before fork: a signal arriving in between waits in the signalfd. The child calls
// restore() first thing, to run with the dispositions its parent was given; the parent
// calls it before it dies as its child did (exit_like_child).
class ForwardedSignals {
 public:
  static std::expected<ForwardedSignals, std::string> install();
  ForwardedSignals(ForwardedSignals&& other) noexcept;
  ForwardedSignals& operator=(ForwardedSignals&&) = delete;
  ~ForwardedSignals();  // restores the mask and the dispositions
  void restore();
  int fd() const { return fd_; }

 private:
  ForwardedSignals() = default;
  int fd_ = -1;
  sigset_t old_mask_{};
  struct sigaction old_pipe_ {};
  struct sigaction old_ttin_ {};
  bool restored_ = false;
};

struct RelayOptions {
  int user_stdin = 0;
  int user_stdout = 1;
  int user_stderr = 2;
  bool relay_stdin = true;  // false: the child's stdin is at EOF from the start
  int signal_fd = -1;       // ForwardedSignals::fd()
  // Readable once the child has ended (a pidfd). The relay then drains the pipes and
  // stops; without one it stops when both output pipes are at end of file.
  int ended_fd = -1;
  // Optional: everything read from this descriptor until its end of file is returned
  // in RelayOutcome::collected, at most collect_limit bytes (the child's result).
  int collect_fd = -1;
  std::size_t collect_limit = 0;
  std::function<void(int signal)> on_signal;  // SIGINT, SIGTERM or SIGHUP to forward
  std::function<void()> on_stdout_closed;     // the user's stdout reader went away
};

struct RelayOutcome {
  bool stdout_closed = false;  // EPIPE (or another write error) on the user's stdout
  std::string collected;
  bool collected_too_large = false;
};

// Copies until the child has ended and its output has been delivered. Output goes out
// in the order it was read, one queue for both streams, so a terminal shows stdout and
// stderr interleaved as the child wrote them (as far as two pipes tell). Writes to the
// user's pipes, sockets and terminals never exceed what poll() promised room for, so a
// stalled reader never blocks the loop: signals are still forwarded, and a signal that
// arrives after the child has ended gives up the output no one is reading.
RelayOutcome relay_stdio(StdioPipes& pipes, const RelayOptions& options);

// The parent's exit status for the child's wait status: the child's exit code, or for a
// child killed by SIGINT, SIGTERM, SIGHUP, SIGPIPE or SIGKILL, the same death for the
// parent (so that a shell sees an interrupted command, not one that exited 130). Other
// signals (those that dump core) give 128 + N without killing the parent.
int exit_like_child(int wait_status);

}  // namespace vivarium::sessions
