// run_python_code's result: mcp-run-python's text layout, the /exec JSON as
// structuredContent, files as content, and errors as isError results.
#include "server/mcp_tool_result.h"

#include <gtest/gtest.h>

#include "server/exec_reply.h"

using namespace vivarium;
using namespace vivarium::server::mcp;

namespace {

sessions::ExecOutcome completed(std::string out, std::string final_expression = "null", std::string err = "") {
  engine::ExecutionResult result;
  result.std_out = std::move(out);
  result.std_err = std::move(err);
  result.final_expression_json = std::move(final_expression);
  return sessions::ExecCompleted{result};
}

std::string text_of(const nlohmann::json& result) { return result["content"][0]["text"].get<std::string>(); }

}  // namespace

TEST(McpToolResult, SuccessHasMcpRunPythonsLayout) {
  const auto result = tool_result(completed("x=4\n", "4"), {});
  EXPECT_EQ(text_of(result), "<status>success</status>\n<output>\nx=4\n</output>\n<return_value>\n4\n</return_value>");
  EXPECT_EQ(result["isError"], false);
  EXPECT_EQ(result["content"][0]["type"], "text");
}

TEST(McpToolResult, ReturnValuesAreJsonIndentedByTwoAndStringsAsTheyAre) {
  EXPECT_EQ(text_of(tool_result(completed("", "[1, 2]"), {})),
            "<status>success</status>\n<return_value>\n[\n  1,\n  2\n]\n</return_value>");
  EXPECT_EQ(text_of(tool_result(completed("", "{\"email\": \"a@b.c\"}"), {})),
            "<status>success</status>\n<return_value>\n{\n  \"email\": \"a@b.c\"\n}\n</return_value>");
  EXPECT_EQ(text_of(tool_result(completed("", "\"hello\""), {})),
            "<status>success</status>\n<return_value>\nhello\n</return_value>");
  EXPECT_EQ(text_of(tool_result(completed("", "null"), {})), "<status>success</status>");
}

TEST(McpToolResult, StdoutLinesComeBeforeStderrLines) {
  EXPECT_EQ(text_of(tool_result(completed("a\nb\n", "null", "warn\n"), {})),
            "<status>success</status>\n<output>\na\nb\nwarn\n</output>");
}

TEST(McpToolResult, APythonErrorIsARunErrorWithTheTraceback) {
  engine::ExecutionResult result;
  result.std_out = "before\n";
  result.error = engine::ExecutionError{engine::ErrorKind::execution, "NameError", "NameError: name 'x' is not defined",
                                        "Traceback (most recent call last):\n  File \"<exec>\", line 1, in <module>\n"
                                        "NameError: name 'x' is not defined\n",
                                        1};
  const auto tool = tool_result(sessions::ExecCompleted{result}, {});
  EXPECT_EQ(tool["isError"], true);
  EXPECT_EQ(text_of(tool),
            "<status>run-error</status>\n<output>\nbefore\n</output>\n<error>\nTraceback (most recent call last):\n"
            "  File \"<exec>\", line 1, in <module>\nNameError: name 'x' is not defined\n\n</error>");
}

TEST(McpToolResult, StructuredContentIsWhatExecAnswers) {
  auto outcome = completed("hi\n", "2");
  const auto tool = tool_result(outcome, {});
  EXPECT_EQ(tool["structuredContent"], server::exec_reply(outcome, 1 << 20).body);
  EXPECT_EQ(tool["structuredContent"]["result"]["std_out"], "hi\n");
  EXPECT_EQ(tool["structuredContent"]["success"], true);
}

TEST(McpToolResult, TimeoutsSayWhatHappenedToTheSession) {
  engine::ExecutionResult result;
  result.error = engine::ExecutionError{engine::ErrorKind::timeout, "KeyboardInterrupt", "KeyboardInterrupt",
                                        "Traceback (most recent call last):\nKeyboardInterrupt\n", std::nullopt};
  const auto tool =
      tool_result(sessions::ExecCompleted{result}, {.execution_timeout = std::chrono::milliseconds(2500)});
  EXPECT_EQ(tool["isError"], true);
  EXPECT_NE(text_of(tool).find("TimeoutError: the code ran past the execution timeout of 2.5 s; the session kept its "
                               "state"),
            std::string::npos);
  EXPECT_EQ(tool["structuredContent"]["error"]["type"], "timeout");

  const auto reset = tool_result(sessions::ExecReset{sessions::ResetReason::timeout, "stopped", 9000}, {});
  EXPECT_NE(text_of(reset).find("the session was reset"), std::string::npos);
  EXPECT_EQ(reset["structuredContent"]["error"]["session_reset"], true);
}

TEST(McpToolResult, RefusalsAreRunErrorsWithTheirMessage) {
  const auto tool = tool_result(sessions::ExecRefused{sessions::Refusal::no_memory, "no room for a new session"}, {});
  EXPECT_EQ(tool["isError"], true);
  EXPECT_EQ(text_of(tool), "<status>run-error</status>\n<error>\nno room for a new session\n\n</error>");
}

TEST(McpToolResult, OutputFilesFollowTheText) {
  engine::ExecutionResult result;
  result.output_files = {{"plot.png", "PNG"}, {"data.csv", "a\n"}};
  const auto tool = tool_result(sessions::ExecCompleted{result}, {});
  ASSERT_EQ(tool["content"].size(), 3u);
  EXPECT_EQ(tool["content"][1]["type"], "image");
  EXPECT_EQ(tool["content"][2]["type"], "resource");
}

TEST(McpToolResult, OutputCannotCloseItsSection) {
  EXPECT_EQ(escape_closing("a </output> b", "output"), "a &lt;/output&gt; b");
  EXPECT_EQ(escape_closing("x < / OUTPUT junk > y", "output"), "x < / OUTPUT junk > y");  // `< /` is not `</`
  EXPECT_EQ(escape_closing("x </ OUTPUT junk> y", "output"), "x &lt;/ OUTPUT junk&gt; y");
  EXPECT_EQ(escape_closing("<output", "output"), "&lt;output");
  EXPECT_EQ(escape_closing("<outputs\n>", "output"), "&lt;outputs\n>");  // `.` stops at a line end
  EXPECT_EQ(escape_closing("<error> 1 < 2", "output"), "<error> 1 < 2");
}
