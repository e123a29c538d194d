// API keys, session ownership and per-key quotas (docs/auth.md), against the real
// `vivarium serve`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "http/http_helpers.h"
#include "server/auth_keys.h"
#include "support/subprocess.h"

using namespace vivarium::test_support;
using nlohmann::json;
using vivarium::server::sha256;
using vivarium::server::to_hex;

namespace {

const std::string kAlice = "viv_alice_test_key", kBob = "viv_bob_test_key";

std::string key_file(const std::vector<std::pair<std::string, std::string>>& keys, const std::string& path = {}) {
  const std::string file = path.empty() ? make_temp_dir() + "/keys" : path;
  std::ofstream out(file, std::ios::trunc);
  out << "# test keys\n";
  for (const auto& [name, key] : keys) out << name << ":" << to_hex(sha256(key)) << "\n";
  return file;
}

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

Reply exec_as(const ServeProcess& server, const std::string& key, const std::string& session, const std::string& code) {
  auto client = client_for(server);
  return to_reply(client.Post(("/exec?sessionId=" + session).c_str(), bearer(key), json{{"code", code}}.dump(),
                              "application/json"));
}

Reply get_as(const ServeProcess& server, const std::string& key, const std::string& path) {
  auto client = client_for(server);
  return to_reply(client.Get(path.c_str(), bearer(key)));
}

std::vector<std::string> session_ids(const Reply& reply) {
  std::vector<std::string> ids;
  for (const auto& s : reply.body["sessions"]) ids.push_back(s["id"]);
  return ids;
}

ServeProcess& two_key_server() {
  static ServeProcess shared({"--api-keys", key_file({{"alice", kAlice}, {"bob", kBob}})});
  return shared;
}

// The first IPv4 address of an interface that is up and not loopback; empty if none.
std::string non_loopback_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::string found;
  for (auto* entry = list; entry != nullptr && found.empty(); entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    if ((entry->ifa_flags & IFF_LOOPBACK) || !(entry->ifa_flags & IFF_UP)) continue;
    char text[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof text))
      found = text;
  }
  ::freeifaddrs(list);
  return found;
}

bool wait_for_log(ServeProcess& server, const std::string& needle, int occurrences = 1) {
  for (int i = 0; i < 500; ++i) {
    const auto log = server.log();
    int found = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++found;
    if (found >= occurrences) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST(ServeAuth, AMissingKeyIs401WithABearerChallenge) {
  auto client = client_for(two_key_server());
  auto result = client.Get("/sessions");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 401);
  EXPECT_EQ(result->get_header_value("WWW-Authenticate"), R"(Bearer realm="vivarium")");
  const auto body = json::parse(result->body);
  EXPECT_EQ(body["success"], false);
  EXPECT_EQ(body["error"]["type"], "unauthorized");
  EXPECT_TRUE(body["error"]["message"].is_string());
  // Not a bearer scheme at all is the same as no key.
  auto basic = client.Get("/sessions", {{"Authorization", "Basic YWxpY2U6eA=="}});
  EXPECT_EQ(basic->status, 401);
  EXPECT_EQ(exec(two_key_server(), "no-key", {{"code", "1"}}).status, 401);
}

TEST(ServeAuth, AWrongKeyIs401InvalidToken) {
  auto client = client_for(two_key_server());
  auto result = client.Get("/sessions", bearer("viv_not_a_key"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 401);
  EXPECT_EQ(result->get_header_value("WWW-Authenticate"), R"(Bearer realm="vivarium", error="invalid_token")");
  EXPECT_EQ(json::parse(result->body)["error"]["type"], "unauthorized");
  // The digest from the file is not a key either.
  EXPECT_EQ(get_as(two_key_server(), to_hex(sha256(kAlice)), "/sessions").status, 401);
  // The scheme's name is case-insensitive (RFC 7235).
  EXPECT_EQ(to_reply(client.Get("/sessions", {{"Authorization", "bearer " + kAlice}})).status, 200);
}

TEST(ServeAuth, HealthAndTheOpenApiDocumentStayOpen) {
  EXPECT_EQ(get(two_key_server(), "/health").status, 200);
  EXPECT_EQ(get(two_key_server(), "/openapi.json").status, 200);
}

TEST(ServeAuth, MetricsNeedAKeyUnlessPublic) {
  // Whatever answers /metrics (the route comes with the metrics branch), it is behind the key.
  EXPECT_EQ(get(two_key_server(), "/metrics").status, 401);
  EXPECT_NE(get_as(two_key_server(), kAlice, "/metrics").status, 401);
  ServeProcess open({"--api-keys", key_file({{"alice", kAlice}}), "--metrics-public"});
  EXPECT_NE(get(open, "/metrics").status, 401);
  EXPECT_EQ(get(open, "/sessions").status, 401);
}

TEST(ServeAuth, TheSameSessionIdUnderTwoKeysIsTwoSessions) {
  auto& server = two_key_server();
  ASSERT_EQ(exec_as(server, kAlice, "shared-id", "owner = 'alice'").status, 200);
  auto bob = exec_as(server, kBob, "shared-id", "'owner' in globals()");
  ASSERT_EQ(bob.status, 200) << bob.raw;
  EXPECT_EQ(bob.body["result"]["final_expression"], false);
  exec_as(server, kBob, "shared-id", "owner = 'bob'");
  EXPECT_EQ(exec_as(server, kAlice, "shared-id", "owner").body["result"]["final_expression"], "alice");
  EXPECT_EQ(exec_as(server, kBob, "shared-id", "owner").body["result"]["final_expression"], "bob");
}

TEST(ServeAuth, AnotherKeysSessionIsNotFound) {
  auto& server = two_key_server();
  ASSERT_EQ(exec_as(server, kAlice, "alice-only", "x = 1").status, 200);
  auto client = client_for(server);
  auto del = to_reply(client.Delete("/sessions/alice-only", bearer(kBob)));
  EXPECT_EQ(del.status, 404);
  EXPECT_EQ(del.body["error"]["type"], "not_found");
  EXPECT_EQ(del.body["error"]["message"], "no session 'alice-only'");  // as for an id nobody has
  auto interrupt = to_reply(client.Post("/sessions/alice-only/interrupt", bearer(kBob), "", "application/json"));
  EXPECT_EQ(interrupt.status, 404);
  EXPECT_EQ(interrupt.body["error"]["type"], "not_found");
  // Alice's session is untouched; her own DELETE works.
  EXPECT_EQ(exec_as(server, kAlice, "alice-only", "x").body["result"]["final_expression"], 1);
  EXPECT_EQ(to_reply(client.Delete("/sessions/alice-only", bearer(kAlice))).status, 200);
}

TEST(ServeAuth, SessionsListsOnlyTheCallersOwnByTheirIds) {
  auto& server = two_key_server();
  exec_as(server, kAlice, "list-alice", "1");
  exec_as(server, kBob, "list-bob", "1");
  const auto alice = session_ids(get_as(server, kAlice, "/sessions"));
  const auto bob = session_ids(get_as(server, kBob, "/sessions"));
  EXPECT_NE(std::find(alice.begin(), alice.end(), "list-alice"), alice.end());
  EXPECT_EQ(std::find(alice.begin(), alice.end(), "list-bob"), alice.end());
  EXPECT_NE(std::find(bob.begin(), bob.end(), "list-bob"), bob.end());
  EXPECT_EQ(std::find(bob.begin(), bob.end(), "list-alice"), bob.end());
  for (const auto& id : alice) EXPECT_EQ(id.find('/'), std::string::npos) << id;
}

TEST(ServeAuth, TerrariumsSessionIdIsScopedToo) {
  auto& server = two_key_server();
  auto client = client_for(server);
  auto post = [&](const std::string& key, const std::string& code) {
    return to_reply(
        client.Post("/", bearer(key), json{{"code", code}, {"sessionId", "terra"}}.dump(), "application/json"));
  };
  ASSERT_EQ(post(kAlice, "mine = 7").status, 200);
  EXPECT_EQ(post(kBob, "'mine' in globals()").body["final_expression"], false);
  EXPECT_EQ(post(kAlice, "mine").body["final_expression"], 7);
  EXPECT_EQ(to_reply(client.Post("/", json{{"code", "1"}}.dump(), "application/json")).status, 401);
}

TEST(ServeAuth, McpNeedsTheKeyAndItsSessionsBelongToIt) {
  auto& server = two_key_server();
  auto client = client_for(server);
  const json initialize = {{"jsonrpc", "2.0"},
                           {"id", 1},
                           {"method", "initialize"},
                           {"params",
                            {{"protocolVersion", "2025-06-18"},
                             {"capabilities", json::object()},
                             {"clientInfo", {{"name", "auth-test"}, {"version", "1"}}}}}};
  httplib::Headers accept = {{"Accept", "application/json, text/event-stream"}};
  auto anonymous = client.Post("/mcp", accept, initialize.dump(), "application/json");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), R"(Bearer realm="vivarium")");

  auto with_key = [&](const std::string& key, const std::string& session = {}) {
    httplib::Headers headers = accept;
    headers.emplace("Authorization", "Bearer " + key);
    if (!session.empty()) headers.emplace("Mcp-Session-Id", session);
    return headers;
  };
  auto started = client.Post("/mcp", with_key(kAlice), initialize.dump(), "application/json");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 200) << started->body;
  const std::string session = started->get_header_value("Mcp-Session-Id");
  ASSERT_FALSE(session.empty());
  const json list = {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}};
  auto own = client.Post("/mcp", with_key(kAlice, session), list.dump(), "application/json");
  EXPECT_EQ(own->status, 200) << own->body;
  auto other = client.Post("/mcp", with_key(kBob, session), list.dump(), "application/json");
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(client.Delete("/mcp", with_key(kBob, session))->status, 404);
  EXPECT_EQ(client.Delete("/mcp", with_key(kAlice, session))->status, 200);
}

TEST(ServeAuth, SighupRereadsTheKeyFile) {
  const std::string file = key_file({{"alice", kAlice}});
  ServeProcess server({"--api-keys", file});
  EXPECT_EQ(get_as(server, kBob, "/sessions").status, 401);

  key_file({{"alice", kAlice}, {"bob", kBob}}, file);
  ::kill(server.pid(), SIGHUP);
  ASSERT_TRUE(wait_for_log(server, "SIGHUP: reread the API key file, 2 keys in force")) << server.log();
  EXPECT_EQ(get_as(server, kBob, "/sessions").status, 200);

  key_file({{"bob", kBob}}, file);
  ::kill(server.pid(), SIGHUP);
  ASSERT_TRUE(wait_for_log(server, "SIGHUP: reread the API key file, 1 keys in force")) << server.log();
  EXPECT_EQ(get_as(server, kAlice, "/sessions").status, 401);

  // A broken file is not applied: the keys in force stay, and the log says why.
  std::ofstream(file, std::ios::trunc) << "bob:" << to_hex(sha256(kBob)) << "\nbroken line\n";
  ::kill(server.pid(), SIGHUP);
  ASSERT_TRUE(wait_for_log(server, "line 2: expected NAME:SHA256-HEX")) << server.log();
  EXPECT_NE(server.log().find("the keys in force are kept"), std::string::npos);
  EXPECT_EQ(get_as(server, kBob, "/sessions").status, 200);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(ServeAuth, AMalformedKeyFileStopsTheStartNamingTheLine) {
  const std::string file = make_temp_dir() + "/keys";
  std::ofstream(file) << "# keys\nalice:" << to_hex(sha256(kAlice)) << "\nbob " << kBob << "\n";
  auto result = run_vivarium({"serve", "--port", "0", "--api-keys", file});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_NE(result.err.find(file + " line 3: expected NAME:SHA256-HEX"), std::string::npos) << result.err;
}

TEST(ServeAuth, RefusesToListenBeyondLoopbackWithoutKeys) {
  auto result = run_vivarium({"serve", "--host", "0.0.0.0", "--port", "0"});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_NE(result.err.find("refusing to listen on 0.0.0.0 without API keys: give --api-keys FILE, or "
                            "--allow-unauthenticated behind a proxy that authenticates"),
            std::string::npos)
      << result.err;
  ServeProcess allowed({"--host", "0.0.0.0", "--allow-unauthenticated"});
  EXPECT_EQ(get(allowed, "/health").status, 200);
  ServeProcess keyed({"--host", "0.0.0.0", "--api-keys", key_file({{"alice", kAlice}})});
  EXPECT_EQ(get_as(keyed, kAlice, "/sessions").status, 200);
}

TEST(ServeAuth, PastTheRateAKeyGets429WithRetryAfter) {
  ServeProcess server(
      {"--api-keys", key_file({{"alice", kAlice}, {"bob", kBob}}), "--rate-limit", "1", "--rate-burst", "3"});
  auto client = client_for(server);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.Get("/sessions", bearer(kAlice))->status, 200) << i;
  auto refused = client.Get("/sessions", bearer(kAlice));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  const auto body = json::parse(refused->body);
  EXPECT_EQ(body["success"], false);
  EXPECT_EQ(body["error"]["type"], "rate_limit");
  EXPECT_EQ(client.Get("/sessions", bearer(kBob))->status, 200);  // a bucket per key
  EXPECT_EQ(client.Get("/health")->status, 200);                  // never limited
}

TEST(ServeAuth, PastItsExecutionsInFlightAKeyGets429) {
  ServeProcess server({"--api-keys", key_file({{"alice", kAlice}, {"bob", kBob}}), "--max-executions-per-key", "1",
                       "--rate-limit", "0"});
  Reply slow_reply;
  std::thread slow([&] {
    // Busy for 3 s (time.sleep returns at once under Pyodide).
    slow_reply = exec_as(server, kAlice, "slow", "import time\nt = time.time()\nwhile time.time() - t < 3: pass");
  });
  // Its session exists once it is past the gate, holding the key's one slot.
  for (int i = 0; i < 1000; ++i) {
    const auto ids = session_ids(get_as(server, kAlice, "/sessions"));
    if (std::find(ids.begin(), ids.end(), "slow") != ids.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto client = client_for(server);
  auto refused = client.Post("/exec?sessionId=fast", bearer(kAlice), R"({"code": "1"})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  const auto body = json::parse(refused->body);
  EXPECT_EQ(body["error"]["type"], "rate_limit");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("executions are already in flight"), std::string::npos);
  EXPECT_EQ(exec_as(server, kBob, "fast", "1").status, 200);  // another key runs meanwhile
  slow.join();
  EXPECT_EQ(slow_reply.status, 200) << slow_reply.raw;
  EXPECT_EQ(exec_as(server, kAlice, "fast", "1").status, 200);  // the slot came back
}

TEST(ServeAuth, PastItsSessionsAKeyGets429) {
  ServeProcess server({"--api-keys", key_file({{"alice", kAlice}, {"bob", kBob}}), "--max-sessions-per-key", "2"});
  ASSERT_EQ(exec_as(server, kAlice, "q1", "1").status, 200);
  ASSERT_EQ(exec_as(server, kAlice, "q2", "1").status, 200);
  auto client = client_for(server);
  auto third = client.Post("/exec?sessionId=q3", bearer(kAlice), R"({"code": "1"})", "application/json");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 429);
  EXPECT_EQ(json::parse(third->body)["error"]["type"], "rate_limit");
  EXPECT_FALSE(third->get_header_value("Retry-After").empty());
  EXPECT_EQ(exec_as(server, kAlice, "q1", "2").status, 200);  // its own sessions still run
  EXPECT_EQ(exec_as(server, kBob, "q3", "1").status, 200);    // another key has its own quota
  EXPECT_EQ(client.Delete("/sessions/q1", bearer(kAlice))->status, 200);
  EXPECT_EQ(exec_as(server, kAlice, "q3", "1").status, 200);
}

TEST(ServeAuth, WithoutKeysTheRateIsPerSocketAddressWhateverXForwardedForSays) {
  // Clients on loopback are not limited without keys: this needs the machine's own
  // non-loopback address, as a remote client would use.
  const std::string address = non_loopback_address();
  if (address.empty()) GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
  ServeProcess server({"--host", "0.0.0.0", "--allow-unauthenticated", "--rate-limit", "1", "--rate-burst", "2"});
  httplib::Client client(address, server.port());
  EXPECT_EQ(client.Get("/sessions", {{"X-Forwarded-For", "198.51.100.1"}})->status, 200);
  EXPECT_EQ(client.Get("/sessions", {{"X-Forwarded-For", "198.51.100.2"}})->status, 200);
  auto third = client.Get("/sessions", {{"X-Forwarded-For", "198.51.100.3"}});
  EXPECT_EQ(third->status, 429);
  EXPECT_EQ(json::parse(third->body)["error"]["type"], "rate_limit");
  EXPECT_FALSE(third->get_header_value("Retry-After").empty());
  // Loopback is not limited without keys.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get(server, "/sessions").status, 200) << i;
}

TEST(ServeAuth, BehindATrustedProxyTheRateIsPerForwardedAddress) {
  ServeProcess server({"--rate-limit", "1", "--rate-burst", "2", "--trust-proxy", "127.0.0.0/8"});
  auto client = client_for(server);
  const httplib::Headers one = {{"X-Forwarded-For", "198.51.100.1"}}, two = {{"X-Forwarded-For", "198.51.100.2"}};
  EXPECT_EQ(client.Get("/sessions", one)->status, 200);
  EXPECT_EQ(client.Get("/sessions", one)->status, 200);
  EXPECT_EQ(client.Get("/sessions", one)->status, 429);
  EXPECT_EQ(client.Get("/sessions", two)->status, 200);
  // A forged first hop does not help: the rightmost untrusted one counts.
  EXPECT_EQ(client.Get("/sessions", {{"X-Forwarded-For", "203.0.113.9, 198.51.100.1"}})->status, 429);
}

TEST(ServeAuth, WithoutKeysSessionIdsAreAsGiven) {
  ServeProcess server;
  ASSERT_EQ(exec_code(server, "plain-id", "1").status, 200);
  const auto ids = session_ids(get(server, "/sessions"));
  EXPECT_EQ(ids, std::vector<std::string>{"plain-id"});
}

TEST(ServeAuth, KeysNewPrintsAKeyAndTheLineThatAcceptsIt) {
  auto made = run_vivarium({"keys", "new", "ci-runner"});
  ASSERT_EQ(made.exit_status, 0) << made.err;
  const auto key_at = made.out.find("key:  "), line_at = made.out.find("line: ");
  ASSERT_NE(key_at, std::string::npos) << made.out;
  ASSERT_NE(line_at, std::string::npos) << made.out;
  const std::string key = made.out.substr(key_at + 6, made.out.find('\n', key_at) - key_at - 6);
  const std::string line = made.out.substr(line_at + 6, made.out.find('\n', line_at) - line_at - 6);
  EXPECT_TRUE(key.starts_with("viv_")) << key;
  EXPECT_EQ(line, "ci-runner:" + to_hex(sha256(key)));
  EXPECT_EQ(made.out.find(key, key_at + 6 + key.size()), std::string::npos);  // the key is printed once

  const std::string file = make_temp_dir() + "/keys";
  std::ofstream(file) << line << "\n";
  ServeProcess server({"--api-keys", file});
  EXPECT_EQ(get_as(server, key, "/sessions").status, 200);

  auto bad = run_vivarium({"keys", "new", "no/slash"});
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("must be 1-64 characters"), std::string::npos) << bad.err;
}
