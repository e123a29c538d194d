// Every rule of docs/api.md, against the real `vivarium serve`.
#include <gtest/gtest.h>

#include "engine/base64.h"
#include "http/http_helpers.h"

using namespace vivarium::test_support;
using nlohmann::json;

namespace {
// One server for the API rules in this file (each test uses its own session ids).
ServeProcess& shared_server() {
  static ServeProcess shared({"--max-body-size", "1M", "--max-output-size", "2K", "--max-output-files-size", "3K"});
  return shared;
}
std::string b64(const std::string& text) { return vivarium::engine::base64_encode(text); }
}  // namespace

TEST(ServeApi, ExecRunsCodeAndReturnsTheResultObject) {
  auto reply = exec_code(shared_server(), "api-basic", "print('Hello from Python!')\n1 + 1");
  ASSERT_EQ(reply.status, 200) << reply.raw;
  EXPECT_EQ(reply.body["success"], true);
  EXPECT_EQ(reply.body["result"]["std_out"], "Hello from Python!\n");
  EXPECT_EQ(reply.body["result"]["std_err"], "");
  EXPECT_EQ(reply.body["result"]["final_expression"], 2);
  EXPECT_EQ(reply.body["result"]["output_files"], json::array());
  EXPECT_TRUE(reply.body["result"]["code_runtime"].is_number_integer());
}

TEST(ServeApi, StateIsKeptAcrossExecutionsOfASession) {
  exec_code(shared_server(), "api-state", "counter = 10\ndef bump():\n    global counter\n    counter += 1");
  exec_code(shared_server(), "api-state", "bump()");
  EXPECT_EQ(exec_code(shared_server(), "api-state", "counter").body["result"]["final_expression"], 11);
}

TEST(ServeApi, SessionsShareNothing) {
  exec_code(shared_server(), "api-iso-a", "secret = 'a'\nopen('a.txt', 'w').write('a')");
  auto other = exec_code(shared_server(), "api-iso-b", "import os\n[('secret' in globals()), os.path.exists('a.txt')]");
  EXPECT_EQ(other.body["result"]["final_expression"], json::parse("[false, false]"));
}

TEST(ServeApi, AFreshSessionStartsWithAnEmptyNamespaceAndWarmImports) {
  // The zygote's warm-up must leave no name behind (only Pyodide's own module-level one),
  // though the standard-library modules it imported are already loaded.
  auto fresh = exec_code(shared_server(), "api-fresh",
                         "[sorted(k for k in globals() if not k.startswith('__')), "
                         "all(m in __import__('sys').modules for m in ('statistics', 'decimal', 'urllib.parse'))]");
  EXPECT_EQ(fresh.body["result"]["final_expression"], json::parse(R"([["_pyodide_core"], true])")) << fresh.raw;
  auto unbound = exec_code(shared_server(), "api-fresh", "statistics.mean([1, 2])");
  EXPECT_EQ(unbound.body["error"]["exception"], "NameError") << unbound.raw;
}

TEST(ServeApi, FinalExpressionFollowsTheJsonRules) {
  auto value = [](const std::string& code) {
    return exec_code(shared_server(), "api-final", code).body["result"]["final_expression"];
  };
  EXPECT_EQ(value("{'a': [1, 2.5, None, True]}"), json::parse(R"({"a": [1, 2.5, null, true]})"));
  EXPECT_EQ(value("{1, 2}"), "{1, 2}");
  EXPECT_EQ(value("2**70"), "1180591620717411303424");
  EXPECT_EQ(value("float('inf')"), "inf");
  EXPECT_TRUE(value("x = 1").is_null());
  EXPECT_TRUE(value("None").is_null());
}

TEST(ServeApi, UploadsAndOutputFiles) {
  auto first = exec(shared_server(), "api-files",
                    {{"code",
                      "import os\nos.makedirs('out', exist_ok=True)\n"
                      "open('out/new.txt','w').write(open('data/in.csv').read().upper())\n"
                      "open('changed.txt','w').write('v1')"},
                     {"files",
                      {{{"filename", "data/in.csv"}, {"b64_data", b64("a,b\n")}},
                       {{"filename", "keep.txt"}, {"b64_data", b64("same")}}}}});
  ASSERT_EQ(first.status, 200) << first.raw;
  auto files = first.body["result"]["output_files"];
  ASSERT_EQ(files.size(), 2u) << files.dump();
  EXPECT_EQ(files[0]["filename"], "changed.txt");
  EXPECT_EQ(files[1]["filename"], "out/new.txt");
  EXPECT_EQ(files[1]["b64_data"], b64("A,B\n"));

  // Changed again: returned; untouched files from earlier: not repeated.
  auto second = exec_code(shared_server(), "api-files", "open('changed.txt','w').write('v2')");
  ASSERT_EQ(second.body["result"]["output_files"].size(), 1u);
  EXPECT_EQ(second.body["result"]["output_files"][0]["b64_data"], b64("v2"));
  auto third = exec_code(shared_server(), "api-files", "open('keep.txt').read()");
  EXPECT_EQ(third.body["result"]["output_files"], json::array());
  EXPECT_EQ(third.body["result"]["final_expression"], "same");
}

TEST(ServeApi, ExecutionErrorsCarryTracebackAndWhatHappenedBefore) {
  auto reply =
      exec_code(shared_server(), "api-error", "print('before')\nopen('partial.txt','w').write('x')\nundefined_name");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["success"], false);
  EXPECT_EQ(reply.body["error"]["type"], "execution");
  EXPECT_EQ(reply.body["error"]["exception"], "NameError");
  EXPECT_EQ(reply.body["error"]["message"], "NameError: name 'undefined_name' is not defined");
  EXPECT_EQ(reply.body["error"]["line"], 3);
  EXPECT_NE(reply.body["error"]["traceback"].get<std::string>().find("Traceback"), std::string::npos);
  EXPECT_EQ(reply.body["result"]["std_out"], "before\n");
  EXPECT_EQ(reply.body["result"]["output_files"][0]["filename"], "partial.txt");

  auto syntax = exec_code(shared_server(), "api-error", "def (");
  EXPECT_EQ(syntax.status, 200);
  EXPECT_EQ(syntax.body["error"]["type"], "execution");
  EXPECT_EQ(syntax.body["error"]["exception"], "SyntaxError");
}

TEST(ServeApi, ValidationErrorsAre400) {
  auto client = client_for(shared_server());
  auto post = [&](const std::string& target, const std::string& body) {
    return to_reply(client.Post(target.c_str(), body, "application/json"));
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/exec", R"({"code": "1"})"},                                     // no sessionId
      {"/exec?sessionId=", R"({"code": "1"})"},                          // empty sessionId
      {"/exec?sessionId=bad%20id", R"({"code": "1"})"},                  // bad character
      {"/exec?sessionId=" + std::string(129, 'x'), R"({"code": "1"})"},  // too long
      {"/exec?sessionId=v", R"({})"},                                    // no code
      {"/exec?sessionId=v", R"({"code": ""})"},                          // empty code
      {"/exec?sessionId=v", R"({"code": 5})"},                           // code not a string
      {"/exec?sessionId=v", R"([1, 2])"},                                // body not an object
      {"/exec?sessionId=v", R"({"code": "1", "files": {}})"},            // files not an array
      {"/exec?sessionId=v", R"({"code": "1", "files": [{"filename": 1, "b64_data": ""}]})"},
      {"/exec?sessionId=v", R"({"code": "1", "files": [{"filename": "/etc/x", "b64_data": ""}]})"},
      {"/exec?sessionId=v", R"({"code": "1", "files": [{"filename": "../x", "b64_data": ""}]})"},
      {"/exec?sessionId=v", R"({"code": "1", "files": [{"filename": "a\u0000b", "b64_data": ""}]})"},
      {"/exec?sessionId=v", R"({"code": "1", "files": [{"filename": ""}]})"},
  };
  for (const auto& [target, body] : cases) {
    auto reply = post(target, body);
    EXPECT_EQ(reply.status, 400) << target << " " << body << " -> " << reply.raw;
    EXPECT_EQ(reply.body["success"], false);
    EXPECT_EQ(reply.body["error"]["type"], "validation") << target << " " << body;
    EXPECT_FALSE(reply.body["error"]["message"].get<std::string>().empty());
  }
}

TEST(ServeApi, ParsingErrorsAre400) {
  auto client = client_for(shared_server());
  auto not_json = to_reply(client.Post("/exec?sessionId=p", "{not json", "application/json"));
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.body["error"]["type"], "parsing");
  auto bad_b64 = to_reply(client.Post(
      "/exec?sessionId=p", R"({"code": "1", "files": [{"filename": "f", "b64_data": "!!!"}]})", "application/json"));
  EXPECT_EQ(bad_b64.status, 400);
  EXPECT_EQ(bad_b64.body["error"]["type"], "parsing");
}

TEST(ServeApi, OversizedBodiesAre413) {
  auto reply = exec_code(shared_server(), "api-big", "x = '" + std::string(2 << 20, 'a') + "'");
  EXPECT_EQ(reply.status, 413) << reply.raw;
  EXPECT_EQ(reply.body["error"]["type"], "resource_limit");
  EXPECT_EQ(get(shared_server(), "/health").status, 200);
}

TEST(ServeApi, OutputIsCappedWithAMarker) {
  auto reply = exec_code(shared_server(), "api-output", "print('x' * 10000)");
  const auto out = reply.body["result"]["std_out"].get<std::string>();
  EXPECT_LT(out.size(), 2200u);
  EXPECT_NE(out.find("output truncated"), std::string::npos);
}

TEST(ServeApi, OutputFilesAreCappedAndTheLeftOutOnesNamed) {
  auto reply = exec_code(shared_server(), "api-outfiles",
                         "open('a.bin','wb').write(b'a'*2000)\nopen('b.bin','wb').write(b'b'*2000)");
  ASSERT_EQ(reply.body["result"]["output_files"].size(), 1u);
  EXPECT_NE(reply.body["result"]["std_err"].get<std::string>().find("'b.bin'"), std::string::npos);
}

TEST(ServeApi, HealthAndSessions) {
  exec_code(shared_server(), "api-listed", "1");
  auto health = get(shared_server(), "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body["status"], "healthy");
  EXPECT_GE(health.body["activeSessions"].get<int>(), 1);
  auto sessions = get(shared_server(), "/sessions");
  bool found = false;
  for (const auto& s : sessions.body["sessions"]) {
    if (s["id"] != "api-listed") continue;
    found = true;
    EXPECT_TRUE(s["createdAt"].is_number_integer());
    EXPECT_TRUE(s["lastAccessedAt"].is_number_integer());
    EXPECT_GE(s["lastAccessedAt"].get<std::int64_t>(), s["createdAt"].get<std::int64_t>());
    EXPECT_TRUE(s["ageMinutes"].is_number_float());
    EXPECT_TRUE(s["idleMinutes"].is_number_float());
    EXPECT_GE(s["ageMinutes"].get<double>(), 0.0);
  }
  EXPECT_TRUE(found) << sessions.raw;
}

TEST(ServeApi, DeleteEndsASession) {
  exec_code(shared_server(), "api-delete", "value = 1");
  auto client = client_for(shared_server());
  auto deleted = to_reply(client.Delete("/sessions/api-delete"));
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, json::parse(R"({"success": true})"));
  auto again = to_reply(client.Delete("/sessions/api-delete"));
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.body["error"]["type"], "not_found");
  auto fresh = exec_code(shared_server(), "api-delete", "'value' in globals()");
  EXPECT_EQ(fresh.body["result"]["final_expression"], false);
}

TEST(ServeApi, UnknownEndpointsAre404Json) {
  auto reply = get(shared_server(), "/nope");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body["success"], false);
}

TEST(ServeApi, ExecutionsOfOneSessionRunInArrivalOrder) {
  exec_code(shared_server(), "api-order", "order = []");
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([i] {
      exec_code(shared_server(), "api-order", "import time\ntime.sleep(0.2)\norder.append(" + std::to_string(i) + ")");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // arrival order 0, 1, 2, 3
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(exec_code(shared_server(), "api-order", "order").body["result"]["final_expression"],
            json::parse("[0, 1, 2, 3]"));
}
