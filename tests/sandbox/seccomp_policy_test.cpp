// The seccomp filters, exercised in forked children (a filter cannot be removed): what a
// serve session and a `vivarium run` program may and may not do at the syscall level.
#include "sandbox/seccomp_policy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

using namespace vivarium::sandbox;

namespace {

// Runs `checks` in a child after installing `filter`; the child's exit status is the
// number of checks that went the wrong way (or 100 when the filter did not install).
int failures_in_child(const std::function<std::expected<void, std::string>()>& filter,
                      const std::function<int()>& checks) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (!filter()) ::_exit(100);
    ::_exit(checks());
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

bool denied(long result) { return result < 0 && errno == EPERM; }

// What neither filter allows.
int closed_doors() {
  int failures = 0;
  failures += !denied(::socket(AF_INET, SOCK_STREAM, 0));
  failures += !denied(::socket(AF_UNIX, SOCK_STREAM, 0));
  failures += !denied(::fork());
  // /bin/false: were exec allowed, the child would end with a failure, not pass.
  char* const argv[] = {const_cast<char*>("/bin/false"), nullptr};
  failures += !denied(::execv("/bin/false", argv));
  failures += !denied(::unlink("/tmp/vivarium-lockdown-test-nothing"));
  failures += !denied(::rename("/tmp/a-vivarium-file", "/tmp/b-vivarium-file"));
  failures += !denied(::kill(1, 0));
  failures += !denied(::syscall(SYS_open_tree, AT_FDCWD, "/", 0));
  failures += !denied(::syscall(SYS_fsopen, "tmpfs", 0));
  // Harmless values, should a filter ever let these through (tests may run as root).
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  failures += !denied(::clock_settime(CLOCK_REALTIME, &now));
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  failures += !denied(::sethostname(hostname, std::strlen(hostname)));
  rlimit limit{};
  failures += !denied(::syscall(SYS_prlimit64, 1, RLIMIT_NOFILE, nullptr, &limit));
  failures += !denied(::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
  failures += !denied(::utimensat(AT_FDCWD, "/tmp", nullptr, 0));
  char byte = 'x';
  failures += !denied(::ioctl(STDIN_FILENO, TIOCSTI, &byte));
#if defined(__x86_64__)
  failures += !denied(::syscall(452, AT_FDCWD, "/tmp/vivarium-lockdown-test-nothing", 0644, 0));  // fchmodat2
#endif
  // What the process itself needs keeps working: threads, its own limits and signals.
  bool thread_ran = false;
  std::thread([&] { thread_ran = true; }).join();
  failures += !thread_ran;
  failures += ::getrlimit(RLIMIT_NOFILE, &limit) != 0;
  failures += ::kill(::getpid(), 0) != 0;
  return failures;
}

}  // namespace

TEST(Lockdown, ASessionCanNeitherOpenFilesNorReachTheHost) {
  EXPECT_EQ(failures_in_child(install_session_seccomp_filter, [] {
              int failures = closed_doors();
              failures += !denied(::open("/etc/hostname", O_RDONLY));
              failures += !denied(::mkdir("/tmp/vivarium-lockdown-test-dir", 0755));
              return failures;
            }),
            0);
}

TEST(Lockdown, ARunProgramMayOpenFilesButNothingElse) {
  EXPECT_EQ(failures_in_child(install_run_seccomp_filter, [] {
              int failures = closed_doors();
              const int fd = ::open("/etc/hostname", O_RDONLY);
              failures += fd < 0;
              if (fd >= 0) ::close(fd);
              return failures;
            }),
            0);
}
