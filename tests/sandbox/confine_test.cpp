// The whole wall on a forked child, checked from inside (its own ids and capabilities)
// and from outside (/proc/PID/status and /proc/PID/ns, as an operator would look).
#include "sandbox/confine.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "support/proc_status.h"

using namespace vivarium::sandbox;
using vivarium::test_support::namespace_of;
using vivarium::test_support::status_of;

namespace {

constexpr Identity kSandboxIdentity{1879048200, 1879048200};

// A confined child that waits until told to go; its inside checks go to `report`.
struct ConfinedChild {
  pid_t pid = -1;
  int go = -1;
  int report = -1;
  std::string inside;  // what the child found wrong inside, or its confine error
};

ConfinedChild start_confined_child(const ConfineOptions& options) {
  int ready[2], go[2];
  EXPECT_EQ(::pipe(ready), 0);
  EXPECT_EQ(::pipe(go), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    ::close(go[1]);
    const bool root = ::geteuid() == 0;
    auto layers = confine(options);
    std::string problems;
    if (!layers) {
      problems = "confine failed: " + layers.error().message;
    } else {
      if (root && ::getuid() != kSandboxIdentity.uid) problems += "uid is not the sandbox uid; ";
      __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct data[2] = {};
      if (::syscall(SYS_capget, &header, data) != 0) problems += "capget failed; ";
      for (const auto& set : data)
        if (set.effective || set.permitted || set.inheritable) problems += "capabilities left; ";
      if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) problems += "no_new_privs unset; ";
    }
    problems += "\n";
    (void)!::write(ready[1], problems.data(), problems.size());
    char byte;
    (void)!::read(go[0], &byte, 1);
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(go[0]);
  ConfinedChild child{pid, go[1], ready[0], ""};
  char buffer[2048];
  for (ssize_t n; child.inside.find('\n') == std::string::npos && (n = ::read(ready[0], buffer, sizeof buffer)) > 0;)
    child.inside.append(buffer, n);
  child.inside.pop_back();
  return child;
}

void finish(ConfinedChild& child) {
  ::close(child.go);
  ::close(child.report);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace

TEST(Confine, TheSessionRunsAsItsOwnUserWithNoCapabilitiesInItsOwnNamespaces) {
  auto child = start_confined_child({.role = Role::session, .identity = kSandboxIdentity});
  EXPECT_EQ(child.inside, "");
  auto status = status_of(child.pid);
  if (::geteuid() == 0) {
    EXPECT_EQ(status["Uid"], "1879048200\t1879048200\t1879048200\t1879048200");
    EXPECT_EQ(status["Gid"], "1879048200\t1879048200\t1879048200\t1879048200");
    EXPECT_EQ(status["Groups"], "");
  }
  EXPECT_EQ(status["CapInh"], "0000000000000000");
  EXPECT_EQ(status["CapPrm"], "0000000000000000");
  EXPECT_EQ(status["CapEff"], "0000000000000000");
  EXPECT_EQ(status["CapBnd"], "0000000000000000");
  EXPECT_EQ(status["CapAmb"], "0000000000000000");
  EXPECT_EQ(status["NoNewPrivs"], "1");
  EXPECT_EQ(status["Seccomp"], "2");
  const std::string pid = std::to_string(child.pid);
  for (const char* kind : {"user", "net", "ipc", "uts"})
    EXPECT_NE(namespace_of(pid, kind), namespace_of("self", kind)) << kind << " namespace shared with the parent";
  // No interfaces but a loopback that is down: /proc/PID/net/dev shows its namespace's.
  std::ifstream devices("/proc/" + pid + "/net/dev");
  std::stringstream listing;
  listing << devices.rdbuf();
  EXPECT_NE(listing.str().find("lo:"), std::string::npos);
  EXPECT_EQ(listing.str().find("eth"), std::string::npos) << listing.str();
  finish(child);
}

TEST(Confine, EveryLayerIsReportedAndRequireAllRefusesAMissingOne) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // As root without a sandbox uid: the "unprivileged user" layer is missing.
    auto layers = confine({.role = Role::run, .identity = std::nullopt, .require_all = ::geteuid() == 0});
    const std::string text = layers ? describe(*layers) : "error " + layers.error().message;
    (void)!::write(report[1], text.data(), text.size());
    ::_exit(layers ? 0 : 3);
  }
  ::close(report[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(report[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  for (const char* layer :
       {"seccomp allow-list", "unprivileged user", "user namespace", "network namespace", "IPC namespace",
        "UTS namespace", "pid namespace", "mount namespace", "Landlock", "Landlock scopes"})
    EXPECT_NE(text.find(layer), std::string::npos) << layer << " not reported in:\n" << text;
  if (::geteuid() == 0) {
    EXPECT_EQ(WEXITSTATUS(status), 3) << text;
    EXPECT_NE(text.find("--require-full-sandbox"), std::string::npos) << text;
    EXPECT_NE(text.find("unprivileged user: MISSING (still uid 0"), std::string::npos) << text;
    // A plain fork: the parent made no pid namespace, and the report says so.
    EXPECT_NE(text.find("pid namespace: MISSING (its parent did not fork it into one)"), std::string::npos) << text;
  }
}

TEST(Confine, AsRootTheSandboxUidReadsItsFoldersEvenUnderA0700HomeAndNothingElse) {
  if (::geteuid() != 0) GTEST_SKIP() << "the sandbox uid is used only as root";
  // A wheel folder inside a home that only root may enter, as /root/.cache is.
  const std::filesystem::path home =
      std::filesystem::temp_directory_path() / ("vivarium-confine-home-" + std::to_string(::getpid()));
  std::filesystem::remove_all(home);
  std::filesystem::create_directories(home / "wheels");
  std::filesystem::permissions(home, std::filesystem::perms::owner_all);
  std::ofstream(home / "wheels" / "a.whl") << "wheel";
  std::ofstream(home / "secret.txt") << "secret";
  const pid_t pid = ::fork();
  if (pid == 0) {
    auto layers = confine({.role = Role::run, .identity = kSandboxIdentity, .files = {{home / "wheels"}, {}}});
    if (!layers) ::_exit(100);
    int failures = 0;
    std::ifstream wheel(home / "wheels" / "a.whl");
    std::string text;
    std::getline(wheel, text);
    if (text != "wheel") failures |= 1 << 0;
    struct stat info {};
    if (::stat((home / "secret.txt").c_str(), &info) == 0 || errno != ENOENT) failures |= 1 << 1;
    if (::stat("/etc/passwd", &info) == 0 || errno != ENOENT) failures |= 1 << 2;
    if (::getuid() != kSandboxIdentity.uid) failures |= 1 << 3;
    ::_exit(failures);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::filesystem::remove_all(home);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: wheel unreadable, 2: a host file beside it, 4: /etc/passwd, 8: uid; 100: confine";
}
