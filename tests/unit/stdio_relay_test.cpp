// The relay between a forked child's pipes and "the user's" descriptors, with plain
// forked children instead of an interpreter. Each test runs in a forked process of its
// own: the relay blocks signals and changes dispositions.
#include "sessions/stdio_relay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>

using namespace vivarium::sessions;

namespace {

// Runs body in a forked process and returns its wait status.
int in_forked_process(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote <= 0) return;
    done += static_cast<std::size_t>(wrote);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(got));
  }
}

std::string binary_bytes(std::size_t size) {
  std::mt19937 random(42);
  std::string bytes(size, '\0');
  for (auto& c : bytes) c = static_cast<char>(random());
  return bytes;
}

struct Started {
  pid_t pid;
  int pidfd;
};

// Forks a child that holds only its pipes and runs body.
Started start(StdioPipes& pipes, ForwardedSignals& signals, const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    signals.restore();
    if (!adopt_stdio_pipes(pipes, -1)) ::_exit(99);
    body();
    ::_exit(0);
  }
  close_child_ends(pipes);
  return {pid, static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

TEST(StdioRelay, TheChildHoldsOnlyItsThreePipes) {
  const int status = in_forked_process([] {
    auto signals = ForwardedSignals::install();
    auto pipes = make_stdio_pipes();
    if (!signals || !pipes) return 10;
    FILE* out = std::tmpfile();
    RelayOptions options;
    options.user_stdout = ::fileno(out);
    options.signal_fd = signals->fd();
    auto child = start(*pipes, *signals, [] {
      std::string listing;
      for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        struct stat st {};
        const int fd = std::stoi(entry.path().filename().string());
        if (::fstat(fd, &st) == 0 && fd != 3)  // 3: the directory being listed
          listing += std::to_string(fd) + (S_ISFIFO(st.st_mode) ? ":pipe " : ":other ");
      }
      write_all(1, listing);
    });
    options.ended_fd = child.pidfd;
    relay_stdio(*pipes, options);
    if (wait_for(child.pid) != 0) return 11;
    std::rewind(out);
    const std::string seen = read_all(::fileno(out));
    return seen == "0:pipe 1:pipe 2:pipe " ? 0 : 12;
  });
  EXPECT_EQ(status, 0);
}

TEST(StdioRelay, CopiesBinaryOutputAndStdinByteForByteThroughPipes) {
  const int status = in_forked_process([] {
    auto signals = ForwardedSignals::install();
    auto pipes = make_stdio_pipes();
    if (!signals || !pipes) return 10;
    const std::string input = binary_bytes(3 << 20);
    int user_in[2], user_out[2], user_err[2];
    if (::pipe(user_in) || ::pipe(user_out) || ::pipe(user_err)) return 11;
    // The child echoes stdin to stdout, then writes 10 MiB more, then a line on stderr.
    auto child = start(*pipes, *signals, [] {
      write_all(1, read_all(0));
      write_all(1, binary_bytes(10 << 20));
      write_all(2, "done\n");
    });
    std::thread feeder([&] {
      write_all(user_in[1], input);
      ::close(user_in[1]);
    });
    std::string out, err;
    std::thread out_reader([&] { out = read_all(user_out[0]); });
    std::thread err_reader([&] { err = read_all(user_err[0]); });
    RelayOptions options;
    options.user_stdin = user_in[0];
    options.user_stdout = user_out[1];
    options.user_stderr = user_err[1];
    options.signal_fd = signals->fd();
    options.ended_fd = child.pidfd;
    const auto outcome = relay_stdio(*pipes, options);
    ::close(user_out[1]), ::close(user_err[1]);
    feeder.join(), out_reader.join(), err_reader.join();
    if (outcome.stdout_closed || wait_for(child.pid) != 0) return 12;
    if (out != input + binary_bytes(10 << 20)) return 13;
    return err == "done\n" ? 0 : 14;
  });
  EXPECT_EQ(status, 0);
}

TEST(StdioRelay, ForwardsTerminatingSignalsToTheChild) {
  const int status = in_forked_process([] {
    auto signals = ForwardedSignals::install();
    auto pipes = make_stdio_pipes();
    if (!signals || !pipes) return 10;
    auto child = start(*pipes, *signals, [] {
      write_all(1, "ready\n");
      ::pause();
    });
    RelayOptions options;
    options.user_stdout = ::open("/dev/null", O_WRONLY);
    options.signal_fd = signals->fd();
    options.ended_fd = child.pidfd;
    int forwarded = 0;
    options.on_signal = [&](int signal_number) {
      forwarded = signal_number;
      ::kill(child.pid, signal_number);
    };
    ::kill(::getpid(), SIGHUP);  // blocked: it waits in the signalfd for the relay
    relay_stdio(*pipes, options);
    const int child_status = wait_for(child.pid);
    return forwarded == SIGHUP && WIFSIGNALED(child_status) && WTERMSIG(child_status) == SIGHUP ? 0 : 11;
  });
  EXPECT_EQ(status, 0);
}

TEST(StdioRelay, AReaderThatGoesAwayStopsTheChild) {
  const int status = in_forked_process([] {
    auto signals = ForwardedSignals::install();
    auto pipes = make_stdio_pipes();
    if (!signals || !pipes) return 10;
    int user_out[2];
    if (::pipe(user_out)) return 11;
    ::close(user_out[0]);  // `| head -1` has already exited
    auto child = start(*pipes, *signals, [] {
      for (;;) write_all(1, "1\n");
    });
    RelayOptions options;
    options.user_stdout = user_out[1];
    options.signal_fd = signals->fd();
    options.ended_fd = child.pidfd;
    options.on_stdout_closed = [&] { ::kill(child.pid, SIGKILL); };
    const auto outcome = relay_stdio(*pipes, options);
    const int child_status = wait_for(child.pid);
    return outcome.stdout_closed && WIFSIGNALED(child_status) && WTERMSIG(child_status) == SIGKILL ? 0 : 12;
  });
  EXPECT_EQ(status, 0);
}

TEST(StdioRelay, TheParentEndsAsTheChildDid) {
  EXPECT_EQ(in_forked_process([] { return exit_like_child(7 << 8); }), 7 << 8);
  const int interrupted = in_forked_process([] { return exit_like_child(SIGINT); });
  EXPECT_TRUE(WIFSIGNALED(interrupted) && WTERMSIG(interrupted) == SIGINT) << interrupted;
  // A core-dumping signal is reported as 128 + N, without a core of the parent.
  EXPECT_EQ(in_forked_process([] { return exit_like_child(SIGSEGV); }), (128 + SIGSEGV) << 8);
}
