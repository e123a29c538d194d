#include "server/result_json.h"

#include <gtest/gtest.h>

using namespace vivarium;

TEST(ResultJson, SuccessHasTheApiShape) {
  engine::ExecutionResult result;
  result.std_out = "hello\n";
  result.final_expression_json = "[1, \"a\", {\"k\": null}]";
  result.output_files.push_back({"out/a.txt", "Hello World"});
  result.code_runtime_ms = 12;
  const auto json = server::execution_to_json(result);
  EXPECT_EQ(json["success"], true);
  EXPECT_EQ(json["result"]["std_out"], "hello\n");
  EXPECT_EQ(json["result"]["std_err"], "");
  EXPECT_EQ(json["result"]["code_runtime"], 12);
  EXPECT_EQ(json["result"]["final_expression"], nlohmann::json::parse("[1, \"a\", {\"k\": null}]"));
  ASSERT_EQ(json["result"]["output_files"].size(), 1u);
  EXPECT_EQ(json["result"]["output_files"][0]["filename"], "out/a.txt");
  EXPECT_EQ(json["result"]["output_files"][0]["b64_data"], "SGVsbG8gV29ybGQ=");
  EXPECT_FALSE(json.contains("error"));
}

TEST(ResultJson, ExecutionErrorKeepsWhatHappenedBeforeIt) {
  engine::ExecutionResult result;
  result.std_out = "before\n";
  result.error = engine::ExecutionError{engine::ErrorKind::execution, "NameError", "NameError: name 'x' is not defined",
                                        "Traceback ...", 3};
  const auto json = server::execution_to_json(result);
  EXPECT_EQ(json["success"], false);
  EXPECT_EQ(json["error"]["type"], "execution");
  EXPECT_EQ(json["error"]["exception"], "NameError");
  EXPECT_EQ(json["error"]["message"], "NameError: name 'x' is not defined");
  EXPECT_EQ(json["error"]["line"], 3);
  EXPECT_EQ(json["result"]["std_out"], "before\n");
  EXPECT_TRUE(json["result"]["final_expression"].is_null());
  EXPECT_FALSE(json["error"].contains("session_reset"));
}

TEST(ResultJson, TimeoutSaysWhetherTheSessionWasReset) {
  engine::ExecutionResult result;
  result.error = engine::ExecutionError{engine::ErrorKind::timeout, "KeyboardInterrupt", "KeyboardInterrupt", "", {}};
  result.interpreter_lost = true;
  const auto json = server::execution_to_json(result);
  EXPECT_EQ(json["error"]["type"], "timeout");
  EXPECT_EQ(json["error"]["session_reset"], true);
}
