// Faults from outside: a zygote killed in a burst, a session stopped mid-execution, the
// server killed outright, a cache folder that cannot be written. The real binary, real
// signals; each test says what a user would see.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <sstream>

#include "http/http_helpers.h"
#include "support/subprocess.h"

using namespace vivarium::test_support;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

pid_t only_zygote(const ServeProcess& server) {
  auto zygotes = descendants_named(server.pid(), "vivarium-zyg");
  return zygotes.size() == 1 ? zygotes.front() : -1;
}

// Waits up to `limit` for every pid to be gone (absent, or a zombie nobody reaps).
bool all_gone_within(const std::vector<pid_t>& pids, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    bool any_alive = false;
    for (pid_t pid : pids) any_alive = any_alive || process_alive(pid);
    if (!any_alive) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

std::size_t count_lines_containing(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) count += line.find(needle) != std::string::npos;
  return count;
}

}  // namespace

TEST(ServeFaults, ZygoteKilledDuringABurstOfNewSessions) {
  ServeProcess server;
  const pid_t first_zygote = only_zygote(server);
  ASSERT_GT(first_zygote, 0);
  constexpr int kSessions = 20;
  std::vector<Reply> replies(kSessions);
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kSessions; ++i)
    clients.emplace_back([&, i] {
      replies[i] = exec_code(server, "burst-" + std::to_string(i), "6 * 7");
      ++answered;
    });
  // Kill it once the burst is under way: some sessions exist, others are still queued.
  while (answered == 0) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(::kill(first_zygote, SIGKILL), 0);
  for (auto& client : clients) client.join();

  std::map<std::string, int> outcomes;
  for (const auto& reply : replies) {
    ASSERT_NE(reply.status, 0) << "a request got no answer (connection dropped or timed out)";
    ASSERT_TRUE(reply.body.is_object()) << reply.raw;
    if (reply.status == 200 && reply.body["success"] == true) {
      EXPECT_EQ(reply.body["result"]["final_expression"], 42);
      ++outcomes["success"];
    } else {
      // The only other acceptable answer: a JSON error with a type, never a hang.
      ASSERT_TRUE(reply.body["error"].is_object()) << reply.raw;
      EXPECT_TRUE(reply.body["error"]["type"].is_string()) << reply.raw;
      ++outcomes[std::to_string(reply.status) + " " + reply.body["error"]["type"].get<std::string>()];
    }
  }
  for (const auto& [outcome, count] : outcomes) std::cout << "burst outcome: " << outcome << " x" << count << "\n";
  // Requests queued behind the dead zygote wait for the restarted one: all succeed.
  EXPECT_EQ(outcomes["success"], kSessions) << server.log();

  const auto after = exec_code(server, "after-the-burst", "1 + 1");
  EXPECT_EQ(after.body["result"]["final_expression"], 2);
  const pid_t second_zygote = only_zygote(server);
  EXPECT_GT(second_zygote, 0);
  EXPECT_NE(second_zygote, first_zygote);
}

TEST(ServeFaults, ARestartedZygoteOutlivesTheRequestThatStartedIt) {
  ServeProcess server({"--spare-sessions", "0"});  // a spare would serve the next session without a restart
  ASSERT_EQ(exec_code(server, "before", "1").status, 200);
  const pid_t first_zygote = only_zygote(server);
  ASSERT_EQ(::kill(first_zygote, SIGKILL), 0);
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(exec_code(server, "restarts-it", "1").status, 200);  // this request restarts it
  const pid_t restarted = only_zygote(server);
  ASSERT_GT(restarted, 0);
  ASSERT_NE(restarted, first_zygote);
  // Each helper call is a new connection, served by whatever thread the server picks.
  for (int i = 0; i < 6; ++i) {
    auto reply = exec_code(server, "later-" + std::to_string(i), "2 + 3");
    EXPECT_EQ(reply.body["result"]["final_expression"], 5) << reply.raw;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(process_alive(restarted));
  EXPECT_EQ(only_zygote(server), restarted) << "the zygote was not restarted again";
}

TEST(ServeFaults, AStoppedSessionTimesOutIsResetAndOthersCarryOn) {
  ServeProcess server({"--execution-timeout", "1"});
  ASSERT_EQ(exec_code(server, "frozen", "kept = 'yes'").status, 200);
  auto sessions = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(sessions.size(), 1u);
  const pid_t frozen = sessions.front();
  ASSERT_EQ(exec_code(server, "bystander", "kept = 'mine'").status, 200);

  Reply stopped_reply;
  std::thread stopped([&] {
    stopped_reply = exec_code(server, "frozen", "import time\nprint('started')\nfor i in range(100): time.sleep(0.01)");
  });
  std::this_thread::sleep_for(300ms);  // well inside the execution (1 s of sleeps)
  ASSERT_EQ(::kill(frozen, SIGSTOP), 0);
  // The other session, meanwhile, works as usual, more than once.
  for (int i = 0; i < 3; ++i) {
    auto reply = exec_code(server, "bystander", "import time\ntime.sleep(0.2)\nkept");
    EXPECT_EQ(reply.body["result"]["final_expression"], "mine") << reply.raw;
  }
  stopped.join();
  EXPECT_EQ(stopped_reply.status, 200) << stopped_reply.raw;
  EXPECT_EQ(stopped_reply.body["success"], false);
  EXPECT_EQ(stopped_reply.body["error"]["type"], "timeout") << stopped_reply.raw;
  EXPECT_EQ(stopped_reply.body["error"]["session_reset"], true) << stopped_reply.raw;
  EXPECT_TRUE(all_gone_within({frozen}, 2000ms)) << "the stopped process was killed";

  auto fresh = exec_code(server, "frozen", "'kept' in globals()");
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.body["result"]["final_expression"], false) << "a fresh process: " << fresh.raw;
  EXPECT_EQ(exec_code(server, "bystander", "kept").body["result"]["final_expression"], "mine");
}

TEST(ServeFaults, AKilledServerLeavesNoProcessAndItsPortIsFreeAtOnce) {
  int port = -1;
  std::vector<pid_t> children;
  {
    ServeProcess server({"--execution-timeout", "300"});
    port = server.port();
    ASSERT_EQ(exec_code(server, "idle", "1").status, 200);
    std::thread spinning([&] { exec_code(server, "spinning", "while True: pass"); });
    std::thread sleeping([&] { exec_code(server, "sleeping", "import time\ntime.sleep(100)"); });
    // Both executions are under way once their processes exist and a moment has passed.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (descendants_named(server.pid(), "vivarium-sess").size() < 3 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(500ms);
    children = descendants_named(server.pid(), "vivarium-sess");
    ASSERT_EQ(children.size(), 3u);
    children.push_back(only_zygote(server));
    ASSERT_GT(children.back(), 0);
    // Not server.stop(): it drains the server's log pipe to its end, which a survivor
    // holds open, so it would wait for the survivors to stop by themselves.
    ASSERT_EQ(::kill(server.pid(), SIGKILL), 0);
    ASSERT_TRUE(all_gone_within({server.pid()}, 5000ms));  // a zombie until stop() reaps it
    EXPECT_TRUE(all_gone_within(children, 2000ms)) << "a session process or the zygote outlived the server";
    for (pid_t pid : children)
      if (process_alive(pid)) ::kill(pid, SIGKILL);  // leave no spinning orphan behind
    EXPECT_EQ(server.stop(SIGKILL), 128 + SIGKILL);
    spinning.join();
    sleeping.join();
  }
  ServeProcess again({"--port", std::to_string(port)});
  EXPECT_EQ(again.port(), port);
  EXPECT_EQ(get(again, "/health").status, 200);
}

// The two unusable cache folders: one that cannot be written, one that is full.
class UnusableCache : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    base_ = make_temp_dir();
    cache_ = base_ + "/cache";
    fs::create_directories(cache_);
    const bool root = ::geteuid() == 0;
    if (GetParam() == "unwritable") {
      // Root writes through permission bits: give it a read-only file system instead.
      if (root) {
        ASSERT_EQ(::mount("tmpfs", cache_.c_str(), "tmpfs", MS_RDONLY, "size=1m"), 0) << std::strerror(errno);
        mounted_ = true;
      } else {
        fs::permissions(cache_, fs::perms::owner_read | fs::perms::owner_exec);
      }
    } else {
      if (!root) GTEST_SKIP() << "a full cache folder needs a tiny tmpfs, which only root can mount";
      // 256 KiB: room for a few small JS caches, not for the wasm cache or the snapshot.
      ASSERT_EQ(::mount("tmpfs", cache_.c_str(), "tmpfs", 0, "size=256k"), 0) << std::strerror(errno);
      mounted_ = true;
    }
  }
  void TearDown() override {
    if (mounted_) ::umount2(cache_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::permissions(cache_, fs::perms::owner_all, ec);
  }
  std::string base_, cache_;
  bool mounted_ = false;
};

TEST_P(UnusableCache, RunWorksWithOneWarning) {
  auto result = run_process({vivarium_binary(), "run", "--cache-dir", cache_, "-c", "print(6 * 7)"},
                            {.limit = std::chrono::minutes(3)});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "42\n");
  EXPECT_EQ(count_lines_containing(result.err, cache_), 1u) << result.err;
  EXPECT_EQ(count_lines_containing(result.err, "warning"), 1u) << result.err;
}

TEST_P(UnusableCache, ServeWorksWithOneWarning) {
  ServeProcess server({"--cache-dir", cache_});
  auto reply = exec_code(server, "uncached", "6 * 7");
  EXPECT_EQ(reply.body["result"]["final_expression"], 42) << reply.raw;
  auto second = exec_code(server, "uncached-too", "6 * 8");
  EXPECT_EQ(second.body["result"]["final_expression"], 48) << reply.raw;
  std::this_thread::sleep_for(100ms);
  const std::string log = server.log();
  EXPECT_EQ(count_lines_containing(log, "cannot write the code cache in " + cache_), 1u) << log;
  EXPECT_EQ(count_lines_containing(log, "warning"), 1u) << log;
}

INSTANTIATE_TEST_SUITE_P(ServeFaults, UnusableCache, ::testing::Values("unwritable", "full"));
