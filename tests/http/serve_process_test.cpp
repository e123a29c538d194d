// Sessions as processes: parallelism, isolation from loops and crashes, limits, resets,
// lock-down, configuration, shutdown.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>

#include "http/http_helpers.h"
#include "support/subprocess.h"

using namespace vivarium::test_support;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

TEST(ServeSessions, TwoSessionsRunInParallel) {
  ServeProcess server;
  exec_code(server, "par-a", "1");
  exec_code(server, "par-b", "1");
  const std::string code = "import time\ntime.sleep(1.5)";
  const auto started = Clock::now();
  std::thread other([&] { exec_code(server, "par-b", code); });
  exec_code(server, "par-a", code);
  other.join();
  // Serially this would take 3 s.
  EXPECT_LT(seconds_since(started), 2.6);
}

TEST(ServeSessions, HealthAnswersWhileAnotherSessionLoops) {
  ServeProcess server({"--execution-timeout", "20"});
  std::thread looper([&] { exec_code(server, "looper", "while True: pass"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto client = client_for(server);
  client.set_read_timeout(2, 0);
  for (int i = 0; i < 5; ++i) {
    auto health = to_reply(client.Get("/health"));
    EXPECT_EQ(health.status, 200);
  }
  auto other = exec_code(server, "bystander", "6 * 7");
  EXPECT_EQ(other.body["result"]["final_expression"], 42);
  server.stop(SIGKILL);
  looper.join();
}

TEST(ServeSessions, TimeoutInterruptsAndTheSessionKeepsItsState) {
  ServeProcess server({"--execution-timeout", "0.5"});
  exec_code(server, "slow", "kept = 'yes'");
  auto reply = exec_code(server, "slow", "print('working')\nwhile True: pass");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["success"], false);
  EXPECT_EQ(reply.body["error"]["type"], "timeout");
  EXPECT_EQ(reply.body["error"]["session_reset"], false);
  EXPECT_EQ(reply.body["result"]["std_out"], "working\n");
  EXPECT_EQ(exec_code(server, "slow", "kept").body["result"]["final_expression"], "yes");
}

TEST(ServeSessions, CodeThatIgnoresTheInterruptIsKilledAndTheSessionReset) {
  ServeProcess server({"--execution-timeout", "0.5"});
  exec_code(server, "stubborn", "kept = 'yes'");
  auto reply =
      exec_code(server, "stubborn",
                "while True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        pass");
  EXPECT_EQ(reply.body["error"]["type"], "timeout");
  EXPECT_EQ(reply.body["error"]["session_reset"], true);
  auto after = exec_code(server, "stubborn", "'kept' in globals()");
  EXPECT_EQ(after.body["result"]["final_expression"], false) << "a fresh process";
}

TEST(ServeSessions, AKilledSessionProcessIsResetAndOthersKeepTheirState) {
  ServeProcess server;
  exec_code(server, "victim", "x = 1");
  // The victim's process: the only session so far (with spares, pids need not follow
  // the order of the sessions).
  const auto victim = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(victim.size(), 1u);
  exec_code(server, "survivor", "y = 2");
  auto sessions = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(sessions.size(), 2u);
  ::kill(victim.front(), SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto crashed = exec_code(server, "victim", "x");
  EXPECT_EQ(crashed.status, 200);
  EXPECT_EQ(crashed.body["success"], false);
  EXPECT_EQ(crashed.body["error"]["session_reset"], true);
  auto reset = exec_code(server, "victim", "'x' in globals()");
  EXPECT_EQ(reset.body["result"]["final_expression"], false);
  EXPECT_EQ(exec_code(server, "survivor", "y").body["result"]["final_expression"], 2);
}

TEST(ServeSessions, MemoryErrorKeepsTheSession) {
  ServeProcess server({"--memory-limit", "256M"});
  exec_code(server, "hungry", "kept = 1");
  auto reply = exec_code(server, "hungry", "x = bytearray(1_500_000_000)");
  EXPECT_EQ(reply.body["error"]["exception"], "MemoryError");
  EXPECT_EQ(reply.body["error"]["type"], "resource_limit");
  EXPECT_EQ(exec_code(server, "hungry", "kept").body["result"]["final_expression"], 1);
}

TEST(ServeSessions, AProcessOverItsMemoryCapIsKilledAndReset) {
  ServeProcess server({"--memory-limit", "256M", "--process-memory-limit", "400M"});
  exec_code(server, "bloat", "kept = 1");
  auto reply = exec_code(server, "bloat",
                         "import js\nhold = []\nfor i in range(5):\n"
                         "    b = js.Uint8Array.new(100 * 1024 * 1024)\n    b.fill(1)\n    hold.append(b)\n"
                         "import time\ntime.sleep(3)");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["error"]["type"], "resource_limit") << reply.raw;
  EXPECT_EQ(reply.body["error"]["session_reset"], true);
  EXPECT_EQ(exec_code(server, "bloat", "'kept' in globals()").body["result"]["final_expression"], false);
}

TEST(ServeSessions, SessionCapGives503) {
  ServeProcess server({"--max-sessions", "2"});
  EXPECT_EQ(exec_code(server, "cap-1", "1").status, 200);
  EXPECT_EQ(exec_code(server, "cap-2", "1").status, 200);
  auto third = exec_code(server, "cap-3", "1");
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(third.body["error"]["type"], "resource_limit");
  EXPECT_EQ(exec_code(server, "cap-1", "2").status, 200) << "existing sessions still work";
}

TEST(ServeSessions, IdleSessionsExpire) {
  ServeProcess server({"--session-timeout", "0.02"});  // 1.2 s
  exec_code(server, "short-lived", "1");
  EXPECT_EQ(get(server, "/health").body["activeSessions"], 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(get(server, "/health").body["activeSessions"], 0);
  EXPECT_EQ(get(server, "/sessions").body["sessions"], json::array());
  EXPECT_TRUE(descendants_named(server.pid(), "vivarium-sess").empty()) << "its process is gone too";
}

TEST(ServeSessions, SessionProcessesRunUnderSeccomp) {
  ServeProcess server;
  exec_code(server, "locked", "1");
  auto sessions = descendants_named(server.pid(), "vivarium-sess");
  ASSERT_EQ(sessions.size(), 1u);
  std::ifstream status("/proc/" + std::to_string(sessions.front()) + "/status");
  std::string line, seccomp;
  while (std::getline(status, line))
    if (line.starts_with("Seccomp:")) seccomp = line;
  EXPECT_EQ(seccomp, "Seccomp:\t2");
  // readbuffer of a file the host allows: open() is now forbidden in this process.
  auto reply = exec_code(server, "locked",
                         "import js, pyodide_js\njs.readbuffer(pyodide_js._api.config.indexURL + 'package.json')");
  EXPECT_EQ(reply.body["success"], false);
  EXPECT_NE(reply.body["error"]["message"].get<std::string>().find("no such file"), std::string::npos);
}

TEST(ServeSessions, EachSessionGetsItsOwnRandomness) {
  ServeProcess server;
  const std::string code = "import random, os\n[random.random(), os.urandom(8).hex()]";
  auto a = exec_code(server, "rand-a", code).body["result"]["final_expression"];
  auto b = exec_code(server, "rand-b", code).body["result"]["final_expression"];
  EXPECT_NE(a, b);
}

TEST(ServeHttp, MalformedHttpGets400AndTheServerCarriesOn) {
  ServeProcess server;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string garbage = "THIS IS NOT HTTP\r\n\r\n";
  ASSERT_GT(::send(fd, garbage.data(), garbage.size(), 0), 0);
  char buffer[512] = {};
  const ssize_t got = ::recv(fd, buffer, sizeof buffer - 1, 0);
  ::close(fd);
  EXPECT_GT(got, 0);
  EXPECT_NE(std::string(buffer).find("400"), std::string::npos) << buffer;
  EXPECT_EQ(get(server, "/health").status, 200);
}

TEST(ServeHttp, LogsOneLinePerRequest) {
  ServeProcess server;
  exec_code(server, "logged", "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto log = server.log();
  EXPECT_NE(log.find("POST /exec session=logged 200"), std::string::npos) << log;
  EXPECT_NE(log.find("limits: execution timeout"), std::string::npos);
}

TEST(ServeHttp, ShutdownLeavesNoProcessBehind) {
  ServeProcess server;
  exec_code(server, "s1", "1");
  exec_code(server, "s2", "1");
  auto sessions = descendants_named(server.pid(), "vivarium-sess");
  auto zygotes = descendants_named(server.pid(), "vivarium-zyg");
  ASSERT_EQ(sessions.size(), 2u);
  ASSERT_EQ(zygotes.size(), 1u);
  EXPECT_EQ(server.stop(SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (pid_t pid : sessions) EXPECT_FALSE(process_alive(pid)) << pid;
  for (pid_t pid : zygotes) EXPECT_FALSE(process_alive(pid)) << pid;
}

TEST(ServeHttp, ShutdownLetsAnInFlightExecutionFinish) {
  ServeProcess server;
  exec_code(server, "inflight", "1");
  Reply reply;
  std::thread client([&] { reply = exec_code(server, "inflight", "import time\ntime.sleep(1)\n'finished'"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(server.stop(SIGINT), 0);
  client.join();
  EXPECT_EQ(reply.body["result"]["final_expression"], "finished");
}

TEST(ServeConfig, FlagsBeatEnvironmentWhichBeatsDotenv) {
  // One setting per combination of sources, each with a value unlike its default, so that
  // a .env that is ignored, or a source that loses where it should win, shows.
  const std::filesystem::path dir = make_temp_dir();
  std::ofstream(dir / ".env") << "# settings\n"
                                 "EXECUTION_TIMEOUT_SECONDS=9\n"  // .env, environment and flag
                                 "MAX_SESSIONS=7\n"               // .env and environment
                                 "MAX_JSON_DEPTH=33\n"            // .env and flag
                                 "SESSION_TIMEOUT_MINUTES=4\n"    // .env only
                                 "LOG_LEVEL=\"info\"\n";
  ServeProcess server({"--execution-timeout", "3", "--max-json-depth", "44"},
                      {{"EXECUTION_TIMEOUT_SECONDS", "6"}, {"MAX_SESSIONS", "5"}}, dir.string());
  const auto log = server.log();
  EXPECT_NE(log.find("execution timeout 3 s"), std::string::npos) << log;
  EXPECT_NE(log.find("at most 5 sessions"), std::string::npos) << log;
  EXPECT_NE(log.find("JSON depth 44"), std::string::npos) << log;
  EXPECT_NE(log.find("idle timeout 4 min"), std::string::npos) << log;
}

TEST(ServeConfig, BadSettingsAreOneClearLine) {
  auto result = run_process({vivarium_binary(), "serve", "--port", "99999"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("PORT"), std::string::npos) << result.err;
  auto memory = run_process({vivarium_binary(), "serve", "--memory-limit", "lots"});
  EXPECT_EQ(memory.exit_status, 2);
  EXPECT_NE(memory.err.find("MEMORY_LIMIT"), std::string::npos) << memory.err;
}

TEST(ServeSessions, ADeadZygoteIsRecreatedAndExistingSessionsCarryOn) {
  ServeProcess server;
  exec_code(server, "before", "kept = 'yes'");
  auto zygotes = descendants_named(server.pid(), "vivarium-zyg");
  ASSERT_EQ(zygotes.size(), 1u);
  ::kill(zygotes.front(), SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(exec_code(server, "before", "kept").body["result"]["final_expression"], "yes");
  auto fresh = exec_code(server, "after", "6 * 7");
  EXPECT_EQ(fresh.body["result"]["final_expression"], 42) << fresh.raw;
  // Re-created by that request, or already in the background (spares are refilled).
  std::vector<pid_t> new_zygotes;
  for (int i = 0; i < 300; ++i) {
    new_zygotes = descendants_named(server.pid(), "vivarium-zyg");
    if (new_zygotes.size() == 1u && new_zygotes.front() != zygotes.front()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(new_zygotes.size(), 1u);
  EXPECT_NE(new_zygotes.front(), zygotes.front());
}
