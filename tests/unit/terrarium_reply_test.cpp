// POST /'s replies: /exec's bodies (result_json.h; exec_reply.h's refusals and resets,
// written out here because exec_reply links the session layer) in terrarium's flat form.
#include "server/terrarium_reply.h"

#include <gtest/gtest.h>

#include "server/result_json.h"

using namespace vivarium;
using namespace vivarium::server;
using nlohmann::json;

namespace {
constexpr std::chrono::milliseconds kTimeout{2500};
}  // namespace

TEST(TerrariumReply, SuccessIsFlat) {
  engine::ExecutionResult result;
  result.std_out = "hi\n";
  result.final_expression_json = "2";
  result.output_files = {{"out/a.txt", "hi"}};
  result.code_runtime_ms = 7;
  const auto body = terrarium_body(execution_to_json(result), kTimeout);
  EXPECT_EQ(body, json::parse(R"({"success": true, "final_expression": 2, "std_out": "hi\n", "std_err": "",
                                  "output_files": [{"filename": "out/a.txt", "b64_data": "aGk="}],
                                  "code_runtime": 7})"));
}

TEST(TerrariumReply, APythonErrorIsTheExceptionClassAndItsTraceback) {
  engine::ExecutionResult result;
  result.std_out = "before\n";
  result.output_files = {{"partial.txt", "x"}};
  result.error = engine::ExecutionError{engine::ErrorKind::execution, "NameError", "NameError: name 'x' is not defined",
                                        "Traceback (most recent call last):\n  File \"<exec>\", line 2, in "
                                        "<module>\nNameError: name 'x' is not defined\n",
                                        2};
  const auto body = terrarium_body(execution_to_json(result), kTimeout);
  EXPECT_EQ(body["success"], false);
  EXPECT_EQ(body["error"]["type"], "NameError");
  EXPECT_EQ(body["error"]["message"], result.error->traceback);
  EXPECT_EQ(body["error"].size(), 2u) << body.dump();  // no exception, traceback, line
  EXPECT_EQ(body["std_out"], "before\n");
  EXPECT_EQ(body["final_expression"], nullptr);
  EXPECT_EQ(body["output_files"][0]["filename"], "partial.txt");
  EXPECT_FALSE(body.contains("result"));
}

TEST(TerrariumReply, ATimeoutSaysItWasTheTimeLimitAndWhereTheCodeWas) {
  engine::ExecutionResult result;
  result.error = engine::ExecutionError{engine::ErrorKind::timeout, "KeyboardInterrupt", "KeyboardInterrupt",
                                        "Traceback ...\nKeyboardInterrupt\n", 1};
  const auto body = terrarium_body(execution_to_json(result), kTimeout);
  EXPECT_EQ(body["error"], json::parse(R"({"type": "timeout", "session_reset": false, "message":
      "execution stopped after the time limit of 2.5 s; make the code finish sooner. It was stopped here:\nTraceback ...\nKeyboardInterrupt\n"})"));
  EXPECT_EQ(body["std_err"], "");
  // A timeout the engine stopped by itself already says so.
  result.error = engine::ExecutionError{
      engine::ErrorKind::timeout, "TimeoutError", "TimeoutError: execution stopped after the time limit", "", {}};
  EXPECT_EQ(terrarium_body(execution_to_json(result), kTimeout)["error"]["message"],
            "TimeoutError: execution stopped after the time limit");
}

TEST(TerrariumReply, ARefusalHasOnlySuccessAndError) {
  const auto body = terrarium_body(json::parse(R"({"success": false, "error": {"type": "resource_limit",
                                                   "message": "the server already runs 100 sessions"}})"),
                                   kTimeout);
  EXPECT_EQ(body, json::parse(R"({"success": false, "error": {"type": "resource_limit",
                                  "message": "the server already runs 100 sessions"}})"));
}

TEST(TerrariumReply, AResetKeepsItsMessageAndSessionReset) {
  // exec_reply's body for a session process that died.
  engine::ExecutionResult empty;
  empty.code_runtime_ms = 12;
  auto exec = execution_to_json(empty);
  exec["success"] = false;
  exec["error"] = {{"type", "execution"}, {"message", "the session process died"}, {"session_reset", true}};
  const auto body = terrarium_body(exec, kTimeout);
  EXPECT_EQ(body["error"]["type"], "execution");
  EXPECT_EQ(body["error"]["message"], "the session process died");
  EXPECT_EQ(body["error"]["session_reset"], true);
  EXPECT_EQ(body["code_runtime"], 12);
}

TEST(TerrariumReply, IsOneLineEndingInANewline) {
  const auto text = terrarium_text({{"std_out", "a\nb\n"}, {"success", true}});
  EXPECT_EQ(text, "{\"std_out\":\"a\\nb\\n\",\"success\":true}\n");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  // Output that is not UTF-8 becomes U+FFFD, as in /exec, never an exception.
  EXPECT_EQ(terrarium_text({{"std_out", "\xff"}}), "{\"std_out\":\"\xef\xbf\xbd\"}\n");
}
