// One MCP session against a fake executor: the lifecycle, version negotiation, the
// specification's errors, tools/list's schema, tools/call and its output notifications,
// logging/setLevel and cancellation. No V8, no processes.
#include "server/mcp_session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>
#include <vector>

#include "server/mcp_tool.h"

using namespace vivarium;
using namespace vivarium::server::mcp;

namespace {

Message request(json id, std::string method, json params = json::object()) {
  return {Message::Kind::request, std::move(id), std::move(method), std::move(params)};
}

Message notice(std::string method, json params = json::object()) {
  return {Message::Kind::notification, nullptr, std::move(method), std::move(params)};
}

json initialize_params(const std::string& version) {
  return {{"protocolVersion", version},
          {"capabilities", json::object()},
          {"clientInfo", {{"name", "test"}, {"version", "1"}}}};
}

// Runs "code" by echoing it to stdout through on_output and returning it as std_out.
struct FakeBackend {
  std::vector<sessions::ExecInput> inputs;
  std::atomic<int> interrupts{0};
  std::function<void(const sessions::ExecInput&)> during;  // runs inside execute

  SessionBackend backend() {
    return {[this](const sessions::ExecInput& input) -> sessions::ExecOutcome {
              inputs.push_back({input.code, input.files, input.globals_json, {}});
              if (during) during(input);
              if (input.on_output) input.on_output(engine::OutputStream::out, input.code);
              engine::ExecutionResult result;
              result.std_out = input.code;
              result.final_expression_json = "2";
              return sessions::ExecCompleted{result};
            },
            [this] { ++interrupts; }};
  }
};

class McpSessionTest : public ::testing::Test {
 protected:
  FakeBackend fake;
  Session session{SessionOptions{{}, "9.9.9"}, fake.backend()};
  std::vector<json> notes;

  json handle(const Message& message) {
    auto answer = session.handle(message, [this](const json& n) { notes.push_back(n); });
    return answer ? *answer : json();
  }
  json initialize(const std::string& version = "2025-06-18") {
    auto answer = handle(request(0, "initialize", initialize_params(version)));
    handle(notice("notifications/initialized"));
    return answer;
  }
  json call(json arguments, json id = 1) {
    return handle(request(std::move(id), "tools/call", {{"name", "run_python_code"}, {"arguments", arguments}}));
  }
};

int code_of(const json& response) { return response["error"]["code"].get<int>(); }

}  // namespace

TEST_F(McpSessionTest, InitializeNegotiatesAndDescribesTheServer) {
  const auto answer = initialize("2025-06-18");
  EXPECT_EQ(answer["id"], 0);
  const auto& result = answer["result"];
  EXPECT_EQ(result["protocolVersion"], "2025-06-18");
  EXPECT_EQ(result["serverInfo"]["name"], "vivarium");
  EXPECT_EQ(result["serverInfo"]["version"], "9.9.9");
  EXPECT_TRUE(result["capabilities"].contains("tools"));
  EXPECT_TRUE(result["capabilities"].contains("logging"));
  EXPECT_TRUE(session.initialized());
}

TEST_F(McpSessionTest, TheNewestVersionWhenAskedTheDefaultForUnknownOnes) {
  EXPECT_EQ(initialize("2025-11-25")["result"]["protocolVersion"], "2025-11-25");
  Session other{SessionOptions{}, fake.backend()};
  auto answer = other.handle(request(0, "initialize", initialize_params("2030-01-01")), {});
  EXPECT_EQ((*answer)["result"]["protocolVersion"], "2025-06-18");
}

TEST_F(McpSessionTest, RequestsBeforeInitializeAreRefusedButPingIsAnswered) {
  const auto refused = handle(request(4, "tools/list"));
  EXPECT_EQ(code_of(refused), error_code::invalid_request);
  EXPECT_EQ(refused["id"], 4);
  EXPECT_EQ(handle(request(5, "ping"))["result"], json::object());
  EXPECT_EQ(code_of(call({{"python_code", "1"}})), error_code::invalid_request);
  EXPECT_TRUE(fake.inputs.empty());
}

TEST_F(McpSessionTest, InitializeTwiceOrWithoutAVersionIsRefused) {
  EXPECT_EQ(code_of(handle(request(1, "initialize", json::object()))), error_code::invalid_params);
  EXPECT_FALSE(session.initialized());
  initialize();
  EXPECT_EQ(code_of(handle(request(2, "initialize", initialize_params("2025-06-18")))), error_code::invalid_request);
}

TEST_F(McpSessionTest, ToolsListHasExactlyMcpRunPythonsSchema) {
  initialize();
  const auto tools = handle(request(2, "tools/list"))["result"]["tools"];
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0]["name"], "run_python_code");
  EXPECT_TRUE(tools[0]["description"].get<std::string>().starts_with(
      "Tool to execute Python code and return stdout, stderr, and return value."));
  EXPECT_EQ(tools[0]["inputSchema"], json::parse(R"({
    "type": "object",
    "properties": {
      "python_code": {"type": "string", "description": "Python code to run"},
      "global_variables": {"type": "object", "additionalProperties": {}, "default": {},
                           "description": "Map of global variables in context when the code is executed"}
    },
    "required": ["python_code"],
    "additionalProperties": false,
    "$schema": "http://json-schema.org/draft-07/schema#"
  })"));
}

TEST_F(McpSessionTest, UnknownMethodsAndToolsAreProtocolErrors) {
  initialize();
  EXPECT_EQ(code_of(handle(request(3, "resources/list"))), error_code::method_not_found);
  const auto unknown = handle(request(4, "tools/call", {{"name", "shell"}, {"arguments", json::object()}}));
  EXPECT_EQ(code_of(unknown), error_code::invalid_params);
  EXPECT_NE(unknown["error"]["message"].get<std::string>().find("Unknown tool: shell"), std::string::npos);
  EXPECT_EQ(code_of(handle(request(5, "tools/call", json::object()))), error_code::invalid_params);
}

TEST_F(McpSessionTest, BadArgumentsAreInvalidParamsIn20250618) {
  initialize("2025-06-18");
  EXPECT_EQ(code_of(call({{"python_code", 5}})), error_code::invalid_params);
  EXPECT_EQ(code_of(call(json::object())), error_code::invalid_params);
  EXPECT_EQ(code_of(call({{"python_code", "1"}, {"global_variables", "x"}})), error_code::invalid_params);
  EXPECT_EQ(code_of(call({{"python_code", "1"}, {"extra", 1}})), error_code::invalid_params);
  EXPECT_TRUE(fake.inputs.empty());
}

TEST_F(McpSessionTest, BadArgumentsAreToolErrorsIn20251125) {
  initialize("2025-11-25");
  const auto answer = call({{"python_code", 5}});
  EXPECT_EQ(answer["result"]["isError"], true);
  EXPECT_NE(answer["result"]["content"][0]["text"].get<std::string>().find("python_code must be a string"),
            std::string::npos);
  EXPECT_TRUE(fake.inputs.empty());
}

TEST_F(McpSessionTest, ACallRunsTheCodeWithItsGlobals) {
  initialize();
  const auto answer = call({{"python_code", "print(x)"}, {"global_variables", {{"x", 1}, {"y", {1, 2}}}}});
  ASSERT_EQ(fake.inputs.size(), 1u);
  EXPECT_EQ(fake.inputs[0].code, "print(x)");
  EXPECT_EQ(json::parse(fake.inputs[0].globals_json), json({{"x", 1}, {"y", {1, 2}}}));
  EXPECT_EQ(answer["id"], 1);
  EXPECT_EQ(answer["result"]["isError"], false);
  EXPECT_EQ(answer["result"]["content"][0]["text"],
            "<status>success</status>\n<output>\nprint(x)\n</output>\n<return_value>\n2\n</return_value>");
  call({{"python_code", "pass"}, {"global_variables", json::object()}}, 2);
  EXPECT_EQ(fake.inputs[1].globals_json, "");
}

TEST_F(McpSessionTest, OutputIsSentAsLoggingNotificationsAboveTheThreshold) {
  initialize();
  call({{"python_code", "hello"}});
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0]["method"], "notifications/message");
  EXPECT_EQ(notes[0]["params"]["data"], "hello");
  EXPECT_EQ(handle(request(8, "logging/setLevel", {{"level", "error"}}))["result"], json::object());
  call({{"python_code", "quiet"}}, 9);
  EXPECT_EQ(notes.size(), 1u);
  EXPECT_EQ(code_of(handle(request(10, "logging/setLevel", {{"level", "loud"}}))), error_code::invalid_params);
}

TEST_F(McpSessionTest, NotificationsAndResponsesGetNoAnswer) {
  initialize();
  EXPECT_TRUE(handle(notice("notifications/whatever")).is_null());
  EXPECT_TRUE(handle({Message::Kind::response, 3, "", json::object()}).is_null());
}

TEST_F(McpSessionTest, CancellingARunningCallInterruptsItAndSuppressesItsAnswer) {
  initialize();
  std::mutex mutex;
  std::condition_variable changed;
  bool running = false, release = false;
  fake.during = [&](const sessions::ExecInput&) {
    std::unique_lock lock(mutex);
    running = true;
    changed.notify_all();
    changed.wait(lock, [&] { return release; });
  };
  std::optional<json> answer = json("unset");
  std::thread caller([&] {
    answer = session.handle(
        request(42, "tools/call", {{"name", "run_python_code"}, {"arguments", {{"python_code", "loop"}}}}), {});
  });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return running; });
  }
  // A ping is answered while the call runs.
  EXPECT_EQ((*session.handle(request(43, "ping"), {}))["result"], json::object());
  session.handle(notice("notifications/cancelled", {{"requestId", 42}, {"reason", "user"}}), {});
  EXPECT_EQ(fake.interrupts, 1);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  caller.join();
  EXPECT_FALSE(answer.has_value());
  // Cancelling what is not running does nothing.
  session.handle(notice("notifications/cancelled", {{"requestId", 42}}), {});
  EXPECT_EQ(fake.interrupts, 1);
}
