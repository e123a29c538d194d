// X-Request-Id, the request log (text and JSON), session_created, GET /metrics and GET
// /ready, against the real `vivarium serve` (docs/api.md, docs/metrics.md).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <sstream>
#include <thread>

#include "http/http_helpers.h"
#include "http/sse_client.h"
#include "support/subprocess.h"

using namespace vivarium::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

ServeProcess& shared_server() {
  static ServeProcess shared({"--execution-timeout", "1", "--max-body-size", "4K", "--max-sessions", "4"});
  return shared;
}

bool is_generated_id(const std::string& id) { return std::regex_match(id, std::regex("[0-9a-f]{32}")); }

// A request of any method with optional X-Request-Id; returns the reply's id.
std::string id_of(const httplib::Result& result) { return result ? result->get_header_value("X-Request-Id") : "?"; }

std::string log_with(const ServeProcess& server, const std::string& text) {
  for (int i = 0; i < 100 && server.log().find(text) == std::string::npos; ++i) std::this_thread::sleep_for(20ms);
  return server.log();
}

std::string scrape(const ServeProcess& server) {
  auto client = client_for(server);
  auto result = client.Get("/metrics");
  return result && result->status == 200 ? result->body : "";
}

// The value of one series in a scrape ("name{labels} value"), or -1.
double value_of(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  return -1;
}

}  // namespace

TEST(ServeRequestId, TheCallersSaneIdComesBackOnEveryKindOfReply) {
  auto client = client_for(shared_server());
  const httplib::Headers mine = {{"X-Request-Id", "trace-42.a:b_c"}};
  EXPECT_EQ(id_of(client.Get("/health", mine)), "trace-42.a:b_c");
  EXPECT_EQ(id_of(client.Get("/no/such/endpoint", mine)), "trace-42.a:b_c");  // 404 (error handler)
  EXPECT_EQ(id_of(client.Post("/exec?sessionId=rid", mine, R"({"code": "1"})", "application/json")), "trace-42.a:b_c");
  EXPECT_EQ(id_of(client.Post("/exec?sessionId=rid", mine, "{not json", "application/json")), "trace-42.a:b_c");
  // 413 from the Content-Length check, before any handler.
  EXPECT_EQ(id_of(client.Post("/sessions", mine, std::string(9000, 'x'), "text/plain")), "trace-42.a:b_c");
}

TEST(ServeRequestId, TheReservedConnectionsPreRoutingAnswerCarriesItToo) {
  // One connection holds the only normal slot; the next is a reserved one, whose 503 for
  // anything but /health and /ready comes from the pre-routing handler.
  ServeProcess server({"--max-connections", "1"});
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  // Until the holder is accepted and counted, a request takes the normal slot and gets
  // 200; a fresh client each time, so that none keeps a connection.
  int status = 0;
  std::string id;
  for (int i = 0; i < 100 && status != 503; ++i) {
    auto probe = client_for(server);
    auto refused = probe.Get("/sessions", {{"X-Request-Id", "reserved-1"}});
    status = refused ? refused->status : 0;
    id = refused ? refused->get_header_value("X-Request-Id") : "";
    if (status != 503) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 503);
  EXPECT_EQ(id, "reserved-1");
  auto client = client_for(server);
  auto ready = client.Get("/ready", {{"X-Request-Id", "reserved-2"}});
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);  // a reserved path
  EXPECT_EQ(ready->get_header_value("X-Request-Id"), "reserved-2");
  ::close(holder);
}

TEST(ServeRequestId, AnInsaneIdIsReplacedByAFreshOneAndNoneGetsOne) {
  auto client = client_for(shared_server());
  for (const std::string& bad :
       {std::string(129, 'a'), std::string("two words"), std::string("a\"b"), std::string("caf\xc3\xa9")}) {
    const auto id = id_of(client.Get("/health", {{"X-Request-Id", bad}}));
    EXPECT_TRUE(is_generated_id(id)) << id;
  }
  const auto first = id_of(client.Get("/health"));
  const auto second = id_of(client.Get("/health"));
  EXPECT_TRUE(is_generated_id(first)) << first;
  EXPECT_NE(first, second);
}

TEST(ServeRequestId, AStreamedReplyCarriesItToo) {
  httplib::Client client("127.0.0.1", shared_server().port());
  client.set_read_timeout(60, 0);
  std::string id, body;
  httplib::Request request;
  request.method = "POST";
  request.path = "/exec?sessionId=rid-stream";
  request.body = R"j({"code": "print('hi')"})j";
  request.set_header("Content-Type", "application/json");
  request.set_header("Accept", "text/event-stream");
  request.set_header("X-Request-Id", "stream-1");
  request.response_handler = [&](const httplib::Response& response) {
    id = response.get_header_value("X-Request-Id");
    return true;
  };
  request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    body.append(data, size);
    return true;
  };
  auto result = client.send(request);
  ASSERT_TRUE(result);
  EXPECT_EQ(id, "stream-1");
  EXPECT_NE(body.find("event: result"), std::string::npos) << body;
  EXPECT_NE(body.find("\"session_created\":true"), std::string::npos) << body;
}

TEST(ServeRequestId, TheRequestLogLineShowsIt) {
  auto client = client_for(shared_server());
  client.Get("/health", {{"X-Request-Id", "logged-id-7"}});
  const auto log = log_with(shared_server(), "request_id=logged-id-7");
  EXPECT_NE(log.find("GET /health 200 "), std::string::npos);
  EXPECT_NE(log.find("ms request_id=logged-id-7\n"), std::string::npos) << log;
}

TEST(ServeLogFormat, EveryLineIsOneJsonObjectAndRequestLinesHaveTheirFields) {
  ServeProcess server({"--log-format", "json"});
  auto client = client_for(server);
  client.Post("/exec?sessionId=json-log", {{"X-Request-Id", "json-1"}}, R"({"code": "1"})", "application/json");
  const auto log = log_with(server, "json-1");
  std::istringstream lines(log);
  int request_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto parsed = json::parse(line, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << line;
    EXPECT_TRUE(parsed.contains("time") && parsed.contains("level") && parsed.contains("message")) << line;
    if (parsed.value("request_id", "") != "json-1") continue;
    ++request_lines;
    EXPECT_EQ(parsed["method"], "POST");
    EXPECT_EQ(parsed["path"], "/exec");
    EXPECT_EQ(parsed["status"], 200);
    EXPECT_EQ(parsed["session"], "json-log");
    EXPECT_TRUE(parsed["ms"].is_number());
  }
  EXPECT_EQ(request_lines, 1) << log;
}

TEST(ServeSessionCreated, TrueOnTheFirstExecutionAndTheFirstAfterAResetOnly) {
  auto& server = shared_server();
  auto first = exec_code(server, "created", "x = 1");
  EXPECT_EQ(first.body["session_created"], true) << first.raw;
  auto second = exec_code(server, "created", "x");
  EXPECT_EQ(second.body["session_created"], false) << second.raw;
  auto python_error = exec_code(server, "created", "1/0");
  EXPECT_EQ(python_error.body["success"], false);
  EXPECT_EQ(python_error.body["session_created"], false) << python_error.raw;
  auto timeout = exec_code(server, "created", "while True: pass");
  EXPECT_EQ(timeout.body["error"]["type"], "timeout") << timeout.raw;
  EXPECT_EQ(timeout.body["session_created"], false) << timeout.raw;

  // Its process dies while idle: the next execution is a reset in the old process, the
  // one after runs in a fresh one.
  std::vector<pid_t> before = descendants_named(server.pid(), "vivarium-sess");
  auto lone = exec_code(server, "created-kill", "1");
  EXPECT_EQ(lone.body["session_created"], true);
  std::vector<pid_t> after = descendants_named(server.pid(), "vivarium-sess");
  pid_t victim = -1;
  for (pid_t pid : after)
    if (std::find(before.begin(), before.end(), pid) == before.end()) victim = pid;
  ASSERT_GT(victim, 0);
  ::kill(victim, SIGKILL);
  for (int i = 0; i < 100 && process_alive(victim); ++i) std::this_thread::sleep_for(20ms);
  auto reset = exec_code(server, "created-kill", "1");
  EXPECT_EQ(reset.body["error"]["session_reset"], true) << reset.raw;
  EXPECT_EQ(reset.body["session_created"], false) << reset.raw;
  auto fresh = exec_code(server, "created-kill", "1");
  EXPECT_EQ(fresh.body["session_created"], true) << fresh.raw;
}

TEST(ServeMetrics, AScrapeCountsWhatHappenedByLabel) {
  ServeProcess server({"--execution-timeout", "1", "--max-sessions", "2"});
  const auto empty = scrape(server);
  EXPECT_EQ(value_of(empty, "vivarium_executions_total{outcome=\"ok\"}"), 0) << empty;
  for (int i = 0; i < 3; ++i) exec_code(server, "m-a", "1");
  exec_code(server, "m-a", "1/0");
  exec_code(server, "m-a", "while True: pass");
  exec_code(server, "m-b", "1");
  EXPECT_EQ(exec_code(server, "m-c", "1").status, 503);  // past --max-sessions
  auto client = client_for(server);
  client.Delete("/sessions/some-secret-id");
  client.Get("/a/path/nobody/routes");

  const auto text = scrape(server);
  EXPECT_EQ(value_of(text, "vivarium_executions_total{outcome=\"ok\"}"), 4) << text;
  EXPECT_EQ(value_of(text, "vivarium_executions_total{outcome=\"error\"}"), 1);
  EXPECT_EQ(value_of(text, "vivarium_executions_total{outcome=\"timeout\"}"), 1);
  EXPECT_EQ(value_of(text, "vivarium_executions_total{outcome=\"refused\"}"), 1);
  EXPECT_EQ(value_of(text, "vivarium_execution_duration_seconds_count"), 7);
  EXPECT_EQ(value_of(text, "vivarium_sessions_created_total"), 2);
  EXPECT_EQ(value_of(text, "vivarium_sessions_active"), 2);
  EXPECT_EQ(value_of(text, "vivarium_session_start_duration_seconds_count"), 2);
  EXPECT_EQ(value_of(text, "vivarium_http_requests_total{route=\"/exec\",status=\"200\"}"), 6);
  EXPECT_EQ(value_of(text, "vivarium_http_requests_total{route=\"/exec\",status=\"503\"}"), 1);
  EXPECT_EQ(value_of(text, "vivarium_http_requests_total{route=\"/sessions/{id}\",status=\"404\"}"), 1);
  EXPECT_EQ(value_of(text, "vivarium_http_requests_total{route=\"other\",status=\"404\"}"), 1);
  EXPECT_EQ(text.find("some-secret-id"), std::string::npos);  // never a raw path
  EXPECT_GT(value_of(text, "vivarium_resident_memory_bytes{process=\"server\"}"), 1 << 20);
  EXPECT_GT(value_of(text, "vivarium_resident_memory_bytes{process=\"zygote\"}"), 1 << 20);
  EXPECT_GT(value_of(text, "vivarium_resident_memory_bytes{process=\"sessions\"}"), 1 << 20);
}

TEST(ServeMetrics, ExpiriesAndZygoteRestartsAreCounted) {
  // No spare: the session after the kill must fork, through a restarted zygote.
  ServeProcess server({"--session-timeout", "0.01", "--spare-sessions", "0"});  // 0.6 s idle, then it ends
  exec_code(server, "expiring", "1");
  // Counted just after the registry drops it, by the thread that expires sessions.
  for (int i = 0; i < 250 && value_of(scrape(server), "vivarium_sessions_expired_total") != 1; ++i)
    std::this_thread::sleep_for(20ms);
  auto text = scrape(server);
  EXPECT_EQ(value_of(text, "vivarium_sessions_active"), 0) << text;
  EXPECT_EQ(value_of(text, "vivarium_sessions_expired_total"), 1) << text;
  EXPECT_EQ(value_of(text, "vivarium_zygote_restarts_total"), 0) << text;

  const auto zygotes = descendants_named(server.pid(), "vivarium-zyg");
  ASSERT_EQ(zygotes.size(), 1u);
  ::kill(zygotes[0], SIGKILL);
  for (int i = 0; i < 100 && process_alive(zygotes[0]); ++i) std::this_thread::sleep_for(20ms);
  auto after = exec_code(server, "after-restart", "1 + 1");  // forks through a fresh zygote
  EXPECT_EQ(after.body["result"]["final_expression"], 2) << after.raw;
  EXPECT_EQ(after.body["session_created"], true);
  text = scrape(server);
  EXPECT_EQ(value_of(text, "vivarium_zygote_restarts_total"), 1) << text;
  EXPECT_EQ(value_of(text, "vivarium_session_start_duration_seconds_count"), 2) << text;
}

TEST(ServeMetrics, ServedAsPrometheusText004) {
  auto client = client_for(shared_server());
  auto result = client.Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(result->body.find("# TYPE vivarium_executions_total counter\n"), std::string::npos);
}

TEST(ServeMetrics, OversizedBodiesCountAsSizeRejections) {
  auto& server = shared_server();
  const double before = value_of(scrape(server), "vivarium_http_rejections_total{reason=\"size\"}");
  auto client = client_for(server);
  auto result = client.Post("/exec?sessionId=big", std::string(9000, ' '), "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 413);
  EXPECT_EQ(value_of(scrape(server), "vivarium_http_rejections_total{reason=\"size\"}"), before + 1);
}

TEST(ServeReady, ReadyWhileUpThenStoppingAfterSigtermWhileAnExecutionRuns) {
  ServeProcess server;
  auto ready = get(server, "/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, json({{"status", "ready"}}));

  std::atomic<bool> started{false};
  std::thread slow([&] {
    auto streamed = stream_exec(server, "in-flight", {{"code", "import time\nprint('started')\ntime.sleep(2)\n'done'"}},
                                [&](const SseEvent& event) {
                                  if (event.name == "stdout") started = true;
                                  return true;
                                });
    auto results = streamed.named("result");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].json()["result"]["final_expression"], "done") << results[0].data;
  });
  for (int i = 0; i < 3000 && !started; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(started);  // the execution is under way
  ::kill(server.pid(), SIGTERM);
  log_with(server, "received SIGTERM");
  auto stopping = get(server, "/ready");
  EXPECT_EQ(stopping.status, 503);
  EXPECT_EQ(stopping.body, json({{"status", "stopping"}}));
  auto refused = exec_code(server, "latecomer", "1");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body["error"]["type"], "unavailable") << refused.raw;
  EXPECT_EQ(get(server, "/health").status, 200);  // /health stays as it is
  slow.join();
  EXPECT_EQ(server.stop(0), 0);
}
