// The process wall on real session processes, from the outside, as an operator checks
// it: /proc/PID/status and /proc/PID/ns of each session of a running server.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "http/http_helpers.h"
#include "support/proc_status.h"
#include "support/subprocess.h"

using namespace vivarium::test_support;

TEST(ServeSandbox, EachSessionIsItsOwnUnprivilegedUserInItsOwnNamespaces) {
  ServeProcess server;
  exec_code(server, "first", "1");
  exec_code(server, "second", "1");
  const auto sessions = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(sessions.size(), 2u);
  std::set<std::string> uids, user_namespaces, pid_namespaces;
  for (pid_t session : sessions) {
    auto status = status_of(session);
    uids.insert(status["Uid"]);
    if (::geteuid() == 0) {
      EXPECT_NE(status["Uid"].substr(0, 2), "0\t") << "a session of a root server still runs as root";
      EXPECT_EQ(status["Groups"], "");
    }
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
      EXPECT_EQ(status[set], "0000000000000000") << set;
    EXPECT_EQ(status["NoNewPrivs"], "1");
    EXPECT_EQ(status["Seccomp"], "2");
    const std::string pid = std::to_string(session);
    for (const char* kind : {"user", "net", "ipc", "uts", "mnt"})
      EXPECT_NE(namespace_of(pid, kind), namespace_of(std::to_string(server.pid()), kind)) << kind;
    user_namespaces.insert(namespace_of(pid, "user"));
    if (::geteuid() == 0) {
      // Pid 1 of a pid namespace of its own: it sees no other process.
      EXPECT_EQ(status["NSpid"], pid + "\t1");
      pid_namespaces.insert(namespace_of(pid, "pid"));
    }
    // W^X: no page of the session (wasm code included) is writable and executable at once.
    std::ifstream maps("/proc/" + pid + "/maps");
    for (std::string line; std::getline(maps, line);)
      EXPECT_EQ(line.find(" rwx"), std::string::npos) << "writable and executable: " << line;
    // No host descriptor: fds 1 and 2 (the server's stderr here, a pipe to the test) are
    // /dev/null; what is left is the channel socket.
    for (const char* fd : {"1", "2"})
      EXPECT_EQ(std::filesystem::read_symlink("/proc/" + pid + "/fd/" + fd).string(), "/dev/null") << "fd " << fd;
  }
  if (::geteuid() == 0) {
    EXPECT_EQ(uids.size(), 2u) << "two live sessions share a uid";
    EXPECT_EQ(pid_namespaces.size(), 2u) << "two sessions share a pid namespace";
    EXPECT_EQ(pid_namespaces.count(namespace_of(std::to_string(server.pid()), "pid")), 0u);
  }
  EXPECT_EQ(user_namespaces.size(), 2u) << "two sessions share a user namespace";
  // The sessions still work behind the wall, and keep their state.
  EXPECT_EQ(exec_code(server, "first", "x = 41\nx + 1").body["result"]["final_expression"], 42);
}

TEST(ServeSandbox, ASessionGivesUpItsUidWhenItEnds) {
  if (::geteuid() != 0) GTEST_SKIP() << "sandbox uids are given only by a root server";
  // No spare: it would hold the next free uid (serve_spares_test.cpp checks theirs).
  ServeProcess server({"--max-sessions", "2", "--spare-sessions", "0"});
  exec_code(server, "a", "1");
  const auto first = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(first.size(), 1u);
  const std::string uid = status_of(first.front())["Uid"];
  ASSERT_EQ(to_reply(client_for(server).Delete("/sessions/a")).status, 200);
  for (int i = 0; i < 100 && !descendants_named(server.pid(), "vivarium-sess").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  exec_code(server, "b", "1");
  const auto second = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(status_of(second.front())["Uid"], uid) << "the lowest free uid is used again";
}

namespace {

// Whether another user can reach `path`: every folder on the way searchable by others.
bool reachable_by_others(std::filesystem::path path) {
  path = std::filesystem::absolute(path);
  for (; !path.empty(); path = path.parent_path()) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || (info.st_mode & S_IXOTH) == 0) return false;
    if (path == path.root_path()) break;
  }
  return true;
}

}  // namespace

TEST(ServeSandbox, StartedAsAnOrdinaryUserSessionsRunBehindEveryLayerButThePidNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "the test starts serve as nobody, which needs root";
  const std::filesystem::path binary = std::filesystem::canonical(vivarium_binary());
  if (!reachable_by_others(binary.parent_path().parent_path() / "assets" / "pyodide"))
    GTEST_SKIP() << "nobody cannot reach this checkout (a folder above it is not searchable by others)";
  constexpr uid_t kNobody = 65534;
  // A cache of its own, warmed from the tests' one: compiling again costs ~10 s.
  const std::filesystem::path cache = make_temp_dir();
  if (const char* warm = std::getenv("VIVARIUM_CACHE_DIR"))
    for (const auto& entry : std::filesystem::directory_iterator(warm))
      if (entry.is_regular_file()) std::filesystem::copy_file(entry.path(), cache / entry.path().filename());
  ASSERT_TRUE(reachable_by_others(cache.parent_path()));
  ASSERT_EQ(::chown(cache.c_str(), kNobody, kNobody), 0);
  for (const auto& entry : std::filesystem::directory_iterator(cache))
    ASSERT_EQ(::chown(entry.path().c_str(), kNobody, kNobody), 0);

  ServeProcess server({}, {{"VIVARIUM_CACHE_DIR", cache.string()}, {"HOME", cache.string()}}, "",
                      {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
  EXPECT_EQ(exec_code(server, "plain", "x = 20\nx * 2 + 2").body["result"]["final_expression"], 42);
  // Said once at start, with the reason: no pid namespace without CAP_SYS_ADMIN.
  EXPECT_NE(server.log().find("the process wall misses pid namespace (creating one needs CAP_SYS_ADMIN"),
            std::string::npos)
      << server.log();
  const auto sessions = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(sessions.size(), 1u);
  auto status = status_of(sessions[0]);
  EXPECT_EQ(status["Uid"], "65534\t65534\t65534\t65534");
  EXPECT_EQ(status["CapEff"], "0000000000000000");
  EXPECT_EQ(status["Seccomp"], "2");
  const std::string pid = std::to_string(sessions[0]);
  for (const char* kind : {"user", "net", "ipc", "uts", "mnt"})
    EXPECT_NE(namespace_of(pid, kind), namespace_of(std::to_string(server.pid()), kind)) << kind;
  EXPECT_EQ(namespace_of(pid, "pid"), namespace_of(std::to_string(server.pid()), "pid"));
}
