// Spare sessions (--spare-sessions, sessions/zygote.h): processes forked, locked down and
// warmed before any request, taken by new sessions, one each, and forked again behind
// them. What a user can check from outside: the process list (a spare is named
// vivarium-spare until its first request), /metrics, and the replies.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "http/http_helpers.h"
#include "support/proc_status.h"
#include "support/subprocess.h"

using namespace vivarium::test_support;
using namespace std::chrono_literals;

namespace {

std::vector<pid_t> spares_of(const ServeProcess& server) { return descendants_named(server.pid(), "vivarium-spare"); }
std::vector<pid_t> sessions_of(const ServeProcess& server) { return descendants_named(server.pid(), "vivarium-sess"); }

// Polls until `done` holds; false when it still does not after `limit` (no timing is
// asserted: the limit only keeps a broken server from hanging the test).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 30000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

bool has_spares(const ServeProcess& server, std::size_t count) {
  return eventually([&] { return spares_of(server).size() == count; });
}

pid_t parent_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string state;
  pid_t parent = -1;
  fields >> state >> parent;
  return parent;
}

// One sample's value from GET /metrics, e.g. `vivarium_spare_sessions`; -1 when absent.
double metric(const ServeProcess& server, const std::string& sample) {
  const std::string text = get(server, "/metrics").raw;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(sample + " ")) return std::stod(line.substr(sample.size() + 1));
  return -1;
}

bool contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

}  // namespace

TEST(ServeSpares, ANewSessionRunsInASpareForkedBeforeItsRequestAndAnotherTakesItsPlace) {
  ServeProcess server;  // the default: 2 spares
  ASSERT_TRUE(has_spares(server, 2)) << server.log();
  const auto before = spares_of(server);
  EXPECT_EQ(metric(server, "vivarium_spare_sessions"), 2);
  EXPECT_GT(metric(server, "vivarium_resident_memory_bytes{process=\"spares\"}"), 0) << "spares count in memory";

  auto reply = exec_code(server, "new", "x = 6 * 7\nx");
  ASSERT_EQ(reply.status, 200) << reply.raw;
  EXPECT_EQ(reply.body["result"]["final_expression"], 42);
  EXPECT_EQ(reply.body["session_created"], true);
  const auto sessions = sessions_of(server);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_TRUE(contains(before, sessions.front())) << "the session's process was a spare before the request";
  EXPECT_EQ(metric(server, "vivarium_session_starts_total{from=\"spare\"}"), 1);
  EXPECT_EQ(metric(server, "vivarium_session_starts_total{from=\"fork\"}"), 0);
  // Its namespace is a fresh session's: the warm-up bound no name.
  EXPECT_EQ(exec_code(server, "new", "sorted(k for k in globals() if not k.startswith('_'))")
                .body["result"]["final_expression"],
            nlohmann::json::array({"x"}));

  // Refilled behind it, in the background.
  ASSERT_TRUE(has_spares(server, 2)) << server.log();
  const auto after = spares_of(server);
  EXPECT_FALSE(contains(after, sessions.front()));
  EXPECT_EQ(std::count_if(after.begin(), after.end(), [&](pid_t pid) { return !contains(before, pid); }), 1);
}

TEST(ServeSpares, ConcurrentNewSessionsNeverShareAProcess) {
  ServeProcess server({"--spare-sessions", "4"});
  ASSERT_TRUE(has_spares(server, 4)) << server.log();
  constexpr int kSessions = 12;
  std::vector<Reply> first(kSessions), second(kSessions);
  std::vector<std::thread> clients;
  for (int i = 0; i < kSessions; ++i)
    clients.emplace_back([&, i] {
      const std::string id = "crowd-" + std::to_string(i);
      first[i] = exec_code(server, id, "assert 'mine' not in globals(), 'shared'\nmine = '" + id + "'\nmine");
      second[i] = exec_code(server, id, "mine");
    });
  for (auto& client : clients) client.join();
  for (int i = 0; i < kSessions; ++i) {
    const std::string id = "crowd-" + std::to_string(i);
    EXPECT_EQ(first[i].body["result"]["final_expression"], id) << first[i].raw;
    EXPECT_EQ(second[i].body["result"]["final_expression"], id) << second[i].raw;
  }
  const auto sessions = sessions_of(server);
  EXPECT_EQ(std::set<pid_t>(sessions.begin(), sessions.end()).size(), std::size_t{kSessions});
  const double from_spares = metric(server, "vivarium_session_starts_total{from=\"spare\"}");
  EXPECT_GE(from_spares, 1);
  EXPECT_EQ(from_spares + metric(server, "vivarium_session_starts_total{from=\"fork\"}"), kSessions);
}

TEST(ServeSpares, ZeroSparesForksEachSessionOnItsRequest) {
  ServeProcess server({"--spare-sessions", "0"});
  EXPECT_EQ(get(server, "/ready").status, 200);
  std::this_thread::sleep_for(500ms);  // room for a spare that should not come
  EXPECT_TRUE(spares_of(server).empty());
  EXPECT_EQ(exec_code(server, "cold", "1 + 1").body["result"]["final_expression"], 2);
  EXPECT_EQ(metric(server, "vivarium_session_starts_total{from=\"fork\"}"), 1);
  EXPECT_EQ(metric(server, "vivarium_session_starts_total{from=\"spare\"}"), 0);
  EXPECT_EQ(metric(server, "vivarium_spare_sessions"), 0);
  EXPECT_TRUE(spares_of(server).empty());
  EXPECT_NE(server.log().find(", 0 spare processes,"), std::string::npos) << server.log();
}

TEST(ServeSpares, AKilledSpareIsNeverHandedOut) {
  ServeProcess server({"--spare-sessions", "2"});
  ASSERT_TRUE(has_spares(server, 2)) << server.log();
  const auto killed = spares_of(server);
  for (pid_t pid : killed) ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return std::none_of(killed.begin(), killed.end(), process_alive); }));
  // Whether a new spare is ready by now or not, the session runs, in a live process.
  auto reply = exec_code(server, "after-the-kill", "1 + 1");
  EXPECT_EQ(reply.status, 200) << reply.raw;
  EXPECT_EQ(reply.body["success"], true) << reply.raw;
  EXPECT_EQ(reply.body["result"]["final_expression"], 2) << reply.raw;
  const auto sessions = sessions_of(server);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_FALSE(contains(killed, sessions.front()));
  EXPECT_TRUE(has_spares(server, 2)) << "dead spares are replaced: " << server.log();
}

TEST(ServeSpares, SparesDoNotCountAgainstMaxSessions) {
  ServeProcess server({"--max-sessions", "2", "--spare-sessions", "2"});
  ASSERT_TRUE(has_spares(server, 2)) << server.log();
  EXPECT_EQ(exec_code(server, "one", "1").status, 200);
  EXPECT_EQ(exec_code(server, "two", "2").status, 200);
  EXPECT_EQ(get(server, "/health").body["activeSessions"], 2);
  auto third = exec_code(server, "three", "3");
  EXPECT_EQ(third.status, 503) << third.raw;
  EXPECT_EQ(third.body["error"]["type"], "resource_limit");
  // Two sessions and, beside them, two spares again.
  EXPECT_TRUE(has_spares(server, 2)) << server.log();
  EXPECT_EQ(sessions_of(server).size(), 2u);
}

TEST(ServeSpares, ASpareHoldsItsOwnUidAndCgroupAndKeepsThemAsASession) {
  if (::geteuid() != 0) GTEST_SKIP() << "sandbox uids are given only by a root server";
  ServeProcess server({"--spare-sessions", "2"});
  ASSERT_TRUE(has_spares(server, 2)) << server.log();
  std::map<pid_t, std::string> uid_of, cgroup_of;
  for (pid_t spare : spares_of(server)) {
    uid_of[spare] = status_of(spare)["Uid"];
    std::ifstream cgroup("/proc/" + std::to_string(spare) + "/cgroup");
    std::stringstream text;
    text << cgroup.rdbuf();
    cgroup_of[spare] = text.str();
  }
  EXPECT_NE(uid_of.begin()->second, uid_of.rbegin()->second) << "two spares share a uid";
  EXPECT_NE(uid_of.begin()->second.substr(0, 2), "0\t");
  ASSERT_EQ(exec_code(server, "owner", "1").status, 200);
  const auto sessions = sessions_of(server);
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_TRUE(uid_of.contains(sessions.front()));
  EXPECT_EQ(status_of(sessions.front())["Uid"], uid_of[sessions.front()]);
  std::ifstream cgroup("/proc/" + std::to_string(sessions.front()) + "/cgroup");
  std::stringstream text;
  text << cgroup.rdbuf();
  EXPECT_EQ(text.str(), cgroup_of[sessions.front()]);
  ASSERT_TRUE(has_spares(server, 2));
  std::set<std::string> uids;
  for (pid_t pid : spares_of(server)) uids.insert(status_of(pid)["Uid"]);
  uids.insert(status_of(sessions.front())["Uid"]);
  EXPECT_EQ(uids.size(), 3u) << "the new spare has a uid of its own";
}

TEST(ServeSpares, ADeadZygoteIsRestartedInTheBackgroundAndItsSparesAreReplaced) {
  ServeProcess server({"--spare-sessions", "2"});
  ASSERT_TRUE(has_spares(server, 2)) << server.log();
  const auto old_spares = spares_of(server);
  const auto zygotes = descendants_named(server.pid(), "vivarium-zyg");
  ASSERT_EQ(zygotes.size(), 1u);
  ASSERT_EQ(::kill(zygotes.front(), SIGKILL), 0);
  // No request needed: the refill thread notices and starts another zygote.
  pid_t restarted = -1;
  ASSERT_TRUE(eventually([&] {
    const auto now = descendants_named(server.pid(), "vivarium-zyg");
    restarted = now.size() == 1 ? now.front() : -1;
    return restarted > 0 && restarted != zygotes.front();
  })) << server.log();
  // The old zygote's spares go; the new ones are its children.
  ASSERT_TRUE(eventually([&] {
    const auto spares = spares_of(server);
    return spares.size() == 2 && std::ranges::all_of(spares, [&](pid_t pid) { return parent_of(pid) == restarted; });
  })) << server.log();
  EXPECT_TRUE(eventually([&] { return std::none_of(old_spares.begin(), old_spares.end(), process_alive); }));
  EXPECT_EQ(exec_code(server, "after", "6 * 7").body["result"]["final_expression"], 42);
  EXPECT_EQ(metric(server, "vivarium_zygote_restarts_total"), 1);
}

TEST(ServeSpares, ShutdownLeavesNoSpareBehind) {
  ServeProcess server({"--spare-sessions", "3"});
  ASSERT_TRUE(has_spares(server, 3)) << server.log();
  const auto spares = spares_of(server);
  EXPECT_EQ(server.stop(SIGTERM), 0);
  EXPECT_TRUE(eventually([&] { return std::none_of(spares.begin(), spares.end(), process_alive); }, 5000ms));
}
