// A child forked into a pid namespace of its own: pid 1 there, blind to every other
// process, and the parent's next child gets a namespace of its own again. Checked from
// inside (what the child can reach) and outside (/proc/PID/status and /proc/PID/ns).
#include "sandbox/pid_namespace.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

using namespace vivarium::sandbox;

namespace {

std::string namespace_link(const std::string& pid, const char* kind) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + pid + "/ns/" + kind, ec).string();
}

std::string nspid_of(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(file, line);)
    if (line.starts_with("NSpid:")) return line.substr(6);
  return "";
}

// Inside the child: one bit per failed check, in its exit status.
constexpr int kNotPid1 = 1 << 0;
constexpr int kSeesItsParent = 1 << 1;
constexpr int kSignalsOthers = 1 << 2;

struct Child {
  PidNamespaceFork forked;
  int go = -1;  // closing it ends the child
};

Child start_child() {
  int go[2];
  EXPECT_EQ(::pipe(go), 0);
  const pid_t parent = ::getpid();
  Child child{fork_in_own_pid_namespace(), go[1]};
  if (child.forked.pid == 0) {
    ::close(go[1]);
    int failures = 0;
    if (!in_own_pid_namespace()) failures |= kNotPid1;
    if (::kill(parent, 0) == 0 || errno != ESRCH) failures |= kSeesItsParent;
    // Every process it may signal but itself (signal 0 only checks): none is left.
    if (::kill(-1, 0) == 0 || errno != ESRCH) failures |= kSignalsOthers;
    char byte;
    (void)!::read(go[0], &byte, 1);
    ::_exit(failures);
  }
  ::close(go[0]);
  return child;
}

int finish(Child& child) {
  ::close(child.go);
  int status = 0;
  ::waitpid(child.forked.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST(PidNamespace, TheChildIsPid1AndReachesNoOtherProcess) {
  if (::geteuid() != 0) GTEST_SKIP() << "a pid namespace is made only with CAP_SYS_ADMIN (as root)";
  Child child = start_child();
  ASSERT_GT(child.forked.pid, 0) << std::strerror(child.forked.error);
  EXPECT_TRUE(child.forked.own_namespace);
  EXPECT_EQ(child.forked.missing, "");
  const std::string pid = std::to_string(child.forked.pid);
  EXPECT_NE(namespace_link(pid, "pid"), namespace_link("self", "pid"));
  // Its pid as this namespace sees it, then as its own does.
  EXPECT_EQ(nspid_of(child.forked.pid), "\t" + pid + "\t1");
  EXPECT_EQ(finish(child), 0) << "1: not pid 1, 2: sees its parent, 4: signals others";
}

TEST(PidNamespace, EveryChildGetsANewOneAndTheParentKeepsItsOwn) {
  if (::geteuid() != 0) GTEST_SKIP() << "a pid namespace is made only with CAP_SYS_ADMIN (as root)";
  Child first = start_child();
  Child second = start_child();
  ASSERT_GT(first.forked.pid, 0);
  ASSERT_GT(second.forked.pid, 0);
  EXPECT_NE(namespace_link(std::to_string(first.forked.pid), "pid"),
            namespace_link(std::to_string(second.forked.pid), "pid"));
  // The parent's own children (a plain fork) still go where they always went.
  EXPECT_EQ(namespace_link("self", "pid_for_children"), namespace_link("self", "pid"));
  // The second child holds a copy of the first one's pipe: it ends first.
  EXPECT_EQ(finish(second), 0);
  EXPECT_EQ(finish(first), 0);
}

TEST(PidNamespace, WithoutTheCapabilityItIsAPlainForkThatSaysWhy) {
  // As an ordinary user (nobody, when the test runs as root): a plain child that still
  // sees its parent, and the reason for the report.
  const pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
                             ::setresuid(65534, 65534, 65534) != 0))
      ::_exit(100);
    Child child = start_child();
    if (child.forked.pid <= 0) ::_exit(101);
    int problems = 0;
    if (child.forked.own_namespace) problems |= 1 << 3;
    if (child.forked.missing.find("CAP_SYS_ADMIN") == std::string::npos) problems |= 1 << 4;
    // A plain child is not pid 1 and sees its parent (bits 0 and 1 of its own report).
    if (finish(child) != (kNotPid1 | kSeesItsParent | kSignalsOthers)) problems |= 1 << 5;
    ::_exit(problems);
  }
  int status = 0;
  ::waitpid(helper, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "8: own namespace, 16: no reason given, 32: the child was not a plain one";
}
