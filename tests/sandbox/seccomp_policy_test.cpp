// The seccomp allow-lists, applied for real in forked children (a filter cannot be
// removed): each case of the process-wall issue is tried after the policy is installed,
// as native code that escaped V8 would try it.
#include "sandbox/seccomp_policy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

using namespace vivarium::sandbox;

namespace {

// What a child found: the names of the checks that went the wrong way, or how it died.
struct ChildOutcome {
  std::string failed;  // "name; name; " (empty: every check held)
  int signal = 0;      // the signal that ended the child, if one did
};

// Runs `checks` in a child after installing the policy of `role`. A check reports a
// failure by writing its name to the pipe (writes to an open pipe stay allowed).
ChildOutcome in_confined_child(Role role, const std::function<void(std::function<void(bool, const char*)>)>& checks) {
  int report[2];
  if (::pipe(report) != 0) return {"pipe", 0};
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(report[0]);
    const int out = report[1];
    auto expect = [out](bool held, const char* name) {
      if (held) return;
      (void)!::write(out, name, std::strlen(name));
      (void)!::write(out, "; ", 2);
    };
    if (auto installed = install_seccomp_policy(role); !installed) {
      expect(false, installed.error().message.c_str());
      ::_exit(1);
    }
    checks(expect);
    ::_exit(0);
  }
  ::close(report[1]);
  ChildOutcome outcome;
  char buffer[4096];
  for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;) outcome.failed.append(buffer, n);
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

bool denied(long result) { return result < 0 && errno == EPERM; }

// What no role may do: each line is one door of the issue, tried after the lock-down.
void closed_doors(const std::function<void(bool, const char*)>& expect) {
  const pid_t parent = ::getppid();
  expect(denied(::socket(AF_INET, SOCK_STREAM, 0)), "socket(AF_INET)");
  expect(denied(::socket(AF_UNIX, SOCK_STREAM, 0)), "socket(AF_UNIX)");
  expect(denied(::fork()), "fork");
  char* const argv[] = {const_cast<char*>("/bin/false"), nullptr};
  expect(denied(::execv("/bin/false", argv)), "execve");
  expect(denied(::unlink("/tmp/vivarium-sandbox-test-nothing")), "unlink");
  expect(denied(::rename("/tmp/a-vivarium-file", "/tmp/b-vivarium-file")), "rename");
  expect(denied(::kill(parent, 0)), "kill(parent)");
  expect(denied(::kill(0, 0)), "kill(0): the process group");
  expect(denied(::syscall(SYS_tkill, parent, 0)), "tkill");
  expect(denied(::syscall(SYS_open_tree, AT_FDCWD, "/", 0)), "open_tree");
  expect(denied(::syscall(SYS_fsopen, "tmpfs", 0)), "fsopen");
  expect(denied(::syscall(SYS_unshare, CLONE_NEWUSER)), "unshare");
  expect(denied(::syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0)), "ptrace");
  expect(denied(::syscall(SYS_bpf, 0, nullptr, 0)), "bpf");
  expect(denied(::syscall(SYS_io_uring_setup, 1, nullptr)), "io_uring_setup");
  expect(denied(::syscall(SYS_inotify_init1, 0)), "inotify_init1: watching host folders");
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  expect(denied(::clock_settime(CLOCK_REALTIME, &now)), "clock_settime");
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  expect(denied(::sethostname(hostname, std::strlen(hostname))), "sethostname");
  rlimit limit{};
  expect(denied(::syscall(SYS_prlimit64, parent, RLIMIT_NOFILE, nullptr, &limit)), "prlimit64(parent)");
  expect(denied(::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)), "shmget");
  expect(denied(::utimensat(AT_FDCWD, "/tmp", nullptr, 0)), "utimensat");
  expect(denied(::syscall(SYS_memfd_create, "pin", 0)), "memfd_create: file pages that RSS does not show");
  expect(denied(::syscall(SYS_fallocate, 1, 0, 0, 1 << 20)), "fallocate");
  expect(denied(::syscall(SYS_mlock, &limit, sizeof limit)), "mlock");
  // Newer than any list: fchmodat2 (452), open_tree_attr (467, a detached clone of /etc
  // was handed out), and numbers no kernel has given out yet.
  expect(denied(::syscall(452, AT_FDCWD, "/tmp/vivarium-sandbox-test-nothing", 0644, 0)), "fchmodat2");
  expect(denied(::syscall(467, AT_FDCWD, "/etc", 1 /* OPEN_TREE_CLONE */, nullptr, 0)), "open_tree_attr");
  for (long number = 470; number <= 500; ++number)
    if (!denied(::syscall(number, 0, 0, 0, 0, 0, 0))) expect(false, "an unknown syscall number in 470-500");
}

// What every role still needs: threads, its own signals and limits, time, memory.
void open_doors(const std::function<void(bool, const char*)>& expect) {
  bool thread_ran = false;
  std::thread([&] { thread_ran = true; }).join();
  expect(thread_ran, "a thread (clone with pthread's flags)");
  rlimit limit{};
  expect(::getrlimit(RLIMIT_NOFILE, &limit) == 0, "getrlimit");
  expect(::kill(::getpid(), 0) == 0, "kill(self)");
  expect(::prctl(PR_SET_NAME, "vivarium-test") == 0, "prctl(PR_SET_NAME)");
  cpu_set_t cpus;
  expect(::sched_getaffinity(0, sizeof cpus, &cpus) == 0, "sched_getaffinity(self)");
  timespec now{};
  expect(::clock_gettime(CLOCK_MONOTONIC, &now) == 0, "clock_gettime");
  void* page = ::mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  expect(page != MAP_FAILED, "mmap");
  expect(::mprotect(page, 1 << 16, PROT_READ | PROT_EXEC) == 0, "mprotect(PROT_EXEC): V8's code");
  expect(::madvise(page, 1 << 16, MADV_DONTNEED) == 0, "madvise(MADV_DONTNEED)");
  expect(denied(::madvise(page, 1 << 16, MADV_MERGEABLE)), "madvise(MADV_MERGEABLE): KSM");
  expect(::munmap(page, 1 << 16) == 0, "munmap");
}

}  // namespace

TEST(SeccompPolicy, ASessionCanNeitherOpenNorStatHostFiles) {
  const auto outcome = in_confined_child(Role::session, [](auto expect) {
    closed_doors(expect);
    open_doors(expect);
    expect(denied(::open("/etc/hostname", O_RDONLY)), "open");
    struct stat info {};
    expect(denied(::stat("/etc/passwd", &info)), "stat of a host file");
    expect(denied(::mkdir("/tmp/vivarium-sandbox-test-dir", 0755)), "mkdir");
  });
  EXPECT_EQ(outcome.failed, "");
  EXPECT_EQ(outcome.signal, 0);
}

TEST(SeccompPolicy, ARunProgramMayOpenFilesButNothingElse) {
  const auto outcome = in_confined_child(Role::run, [](auto expect) {
    closed_doors(expect);
    open_doors(expect);
    const int fd = ::open("/etc/hostname", O_RDONLY);
    expect(fd >= 0, "open (Landlock, not seccomp, says which files)");
    if (fd >= 0) ::close(fd);
    expect(denied(::mkdir("/tmp/vivarium-sandbox-test-dir", 0755)), "mkdir: the parent writes --output-dir");
  });
  EXPECT_EQ(outcome.failed, "");
  EXPECT_EQ(outcome.signal, 0);
}

TEST(SeccompPolicy, TheTerminalIoctlsAreComparedOnTheBitsTheKernelReads) {
  for (Role role : {Role::session, Role::run}) {
    const auto outcome = in_confined_child(role, [](auto expect) {
      char byte = 'x';
      expect(denied(::syscall(SYS_ioctl, STDIN_FILENO, TIOCSTI, &byte)), "TIOCSTI");
      // The kernel reads the request as 32 bits: this is TIOCSTI to it.
      expect(denied(::syscall(SYS_ioctl, STDIN_FILENO, TIOCSTI | (1UL << 32), &byte)), "TIOCSTI | 1 << 32");
      expect(denied(::syscall(SYS_ioctl, STDIN_FILENO, TIOCLINUX, &byte)), "TIOCLINUX");
      int waiting = 0;
      expect(::ioctl(STDERR_FILENO, FIONREAD, &waiting) == 0 || errno != EPERM, "FIONREAD is allowed");
      ::isatty(STDERR_FILENO);  // TCGETS: ENOTTY on a pipe or file, never EPERM
      expect(errno != EPERM, "TCGETS (isatty) is allowed");
    });
    EXPECT_EQ(outcome.failed, "") << "role " << static_cast<int>(role);
  }
}

TEST(SeccompPolicy, NoNetworkIoctlsEvenOnTheChannelSocket) {
  int channel[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, channel), 0);
  const auto outcome = in_confined_child(Role::session, [&](auto expect) {
    ifreq request{};
    std::strcpy(request.ifr_name, "lo");
    request.ifr_qlen = 1000;
    expect(denied(::ioctl(channel[0], SIOCSIFTXQLEN, &request)), "SIOCSIFTXQLEN: lo's queue length");
    expect(denied(::ioctl(channel[0], SIOCGIFFLAGS, &request)), "SIOCGIFFLAGS");
    expect(denied(::ioctl(channel[0], SIOCBRADDBR, "vivarium0")), "SIOCBRADDBR: a new bridge");
    expect(denied(::ioctl(channel[0], 0x894C /* SIOCGSKNS */, 0)), "SIOCGSKNS: the host's network namespace");
    expect(::send(channel[0], "x", 1, 0) == 1, "send on the channel");
  });
  ::close(channel[0]);
  ::close(channel[1]);
  EXPECT_EQ(outcome.failed, "");
}

TEST(SeccompPolicy, NoSignalsByWayOfFcntl) {
  // A session holds its channel from before the filter; a pipe stands for it here.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const auto outcome = in_confined_child(Role::session, [&](auto expect) {
    const pid_t parent = ::getppid();
    expect(denied(::fcntl(pipe_fds[0], F_SETOWN, parent)), "F_SETOWN");
    expect(denied(::fcntl(pipe_fds[0], F_SETSIG, SIGKILL)), "F_SETSIG");
    expect(denied(::fcntl(pipe_fds[0], F_SETLEASE, F_RDLCK)), "F_SETLEASE");
    expect(denied(::fcntl(pipe_fds[0], F_SETFL, O_ASYNC | O_NONBLOCK)), "F_SETFL with O_ASYNC");
    expect(denied(::ioctl(pipe_fds[0], FIOASYNC, &parent)), "FIOASYNC");
    expect(::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK) == 0, "F_SETFL O_NONBLOCK is allowed");
    expect(::fcntl(pipe_fds[0], F_GETFL) >= 0, "F_GETFL is allowed");
  });
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_EQ(outcome.failed, "");
}

TEST(SeccompPolicy, SchedulingOnlyForItselfAndNeverRealTime) {
  const auto outcome = in_confined_child(Role::session, [](auto expect) {
    const pid_t parent = ::getppid();
    expect(denied(::setpriority(PRIO_PROCESS, parent, 19)), "setpriority(parent)");
    sched_param priority{};
    expect(denied(::sched_setscheduler(parent, SCHED_IDLE, &priority)), "sched_setscheduler(parent, SCHED_IDLE)");
    priority.sched_priority = 99;
    expect(denied(::sched_setscheduler(0, SCHED_FIFO, &priority)), "sched_setscheduler(self, SCHED_FIFO 99)");
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    expect(denied(::sched_setaffinity(parent, sizeof cpus, &cpus)), "sched_setaffinity(parent)");
    // IOPRIO_WHO_PROCESS (1) and IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0) (3 << 13): the
    // kernel's <linux/ioprio.h> no longer compiles as C++ (sandbox/argument_rules.cpp).
    expect(denied(::syscall(SYS_ioprio_set, 1, parent, 3 << 13)), "ioprio_set(parent)");
    errno = 0;
    expect(::getpriority(PRIO_PROCESS, 0) >= -20 && errno == 0, "getpriority(self)");
  });
  EXPECT_EQ(outcome.failed, "");
}

TEST(SeccompPolicy, CloneMakesThreadsOnlyAndNeverNamespaces) {
  const auto outcome = in_confined_child(Role::session, [](auto expect) {
    // A new process, and threads in new namespaces (which a deny-list looking only at
    // CLONE_THREAD let through). Were one allowed, the child would crash on the shared
    // stack and the test would see the signal.
    expect(denied(::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)), "clone: a new process");
    expect(denied(::syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0)), "clone(CLONE_NEWNET)");
    const long thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    expect(denied(::syscall(SYS_clone, thread_flags | CLONE_NEWUTS, 0, 0, 0, 0)), "clone(CLONE_THREAD | CLONE_NEWUTS)");
    expect(denied(::syscall(SYS_clone, thread_flags | CLONE_NEWNET, 0, 0, 0, 0)), "clone(CLONE_THREAD | CLONE_NEWNET)");
    expect(::syscall(SYS_clone3, nullptr, 0) < 0 && errno == ENOSYS, "clone3 answers ENOSYS (glibc falls back)");
  });
  EXPECT_EQ(outcome.failed, "");
  EXPECT_EQ(outcome.signal, 0);
}

TEST(SeccompPolicy, AnX32CallKillsTheProcess) {
  // The same call with the x32 bit: the filter kills rather than guess at its table.
  const auto x32 = in_confined_child(Role::session, [](auto expect) {
    ::syscall(SYS_getpid | 0x40000000L);
    expect(false, "an x32 call returned");
  });
  EXPECT_EQ(x32.signal, SIGSYS);
}

namespace {
void i386_getpid() {
  long result = 20;  // getpid in the i386 table
  asm volatile("int $0x80" : "+a"(result) : : "memory");
}
}  // namespace

TEST(SeccompPolicy, AnI386CallKillsTheProcess) {
  // Kernels built or booted without i386 emulation answer int 0x80 with SIGSEGV,
  // filter or not: then there is no such ABI to close.
  const pid_t probe = ::fork();
  if (probe == 0) {
    i386_getpid();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(probe, &status, 0);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) GTEST_SKIP() << "this kernel has no i386 emulation";
  const auto i386 = in_confined_child(Role::session, [](auto expect) {
    i386_getpid();
    expect(false, "an i386 call returned");
  });
  EXPECT_EQ(i386.signal, SIGSYS);
}
