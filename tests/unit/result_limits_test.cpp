// The server's own cut of what a session returns.
#include "sessions/result_limits.h"

#include <gtest/gtest.h>

namespace vivarium::sessions {
namespace {

TEST(ResultLimits, OutputIsCutWithTheEngineMarker) {
  engine::ExecutionResult result;
  result.std_out = std::string(1000, 'a');
  result.std_err = std::string(10, 'b');
  apply_result_limits(result, {40, 1000, 10});
  EXPECT_EQ(result.std_out, std::string(40, 'a') + "\n[vivarium: output truncated, 960 more bytes dropped]\n");
  EXPECT_EQ(result.std_err, std::string(10, 'b'));
}

TEST(ResultLimits, TextTheEngineCutAlreadyIsLeftAsItIs) {
  const std::string engine_cut = std::string(40, 'a') + "\n[vivarium: output truncated, 9000 more bytes dropped]\n";
  engine::ExecutionResult result;
  result.std_out = engine_cut;
  apply_result_limits(result, {40, 1000, 10});
  EXPECT_EQ(result.std_out, engine_cut);
}

TEST(ResultLimits, ACutDoesNotSplitAUtf8Character) {
  std::string text =
      "ab\xc3\xa9"
      "cd";  // "abécd"
  cut_output(text, 3, 0);
  EXPECT_EQ(text, "ab\n[vivarium: output truncated, 4 more bytes dropped]\n");
}

TEST(ResultLimits, OutputFilesAreLimitedInNumberAndSize) {
  engine::ExecutionResult result;
  for (int i = 0; i < 5; ++i) result.output_files.push_back({"f" + std::to_string(i), std::string(10, 'x')});
  apply_result_limits(result, {1 << 20, 1000, 3});
  ASSERT_EQ(result.output_files.size(), 3u);
  EXPECT_EQ(result.std_err,
            "[vivarium: output file 'f3' left out: the limit is 3 output files]\n"
            "[vivarium: output file 'f4' left out: the limit is 3 output files]\n");
  engine::ExecutionResult sized;
  sized.output_files = {{"a", std::string(600, 'x')}, {"b", std::string(600, 'x')}};
  apply_result_limits(sized, {1 << 20, 1000, 10});
  ASSERT_EQ(sized.output_files.size(), 1u);
  EXPECT_NE(sized.std_err.find("output file 'b'"), std::string::npos);
}

TEST(ResultLimits, TheFinalExpressionKeepsOneByteOverTheLimit) {
  engine::ExecutionResult result;
  result.final_expression_json = std::string(100, '1');
  apply_result_limits(result, {40, 1000, 10});
  EXPECT_EQ(result.final_expression_json.size(), 41u);
}

TEST(ResultLimits, ErrorTextsAreCut) {
  engine::ExecutionResult result;
  result.error =
      engine::ExecutionError{engine::ErrorKind::execution, std::string(1000, 'E'), "m", std::string(200000, 't'), {}};
  apply_result_limits(result, {40, 1000, 10});
  EXPECT_EQ(result.error->exception.size(), 256u);
  EXPECT_LT(result.error->traceback.size(), 70000u);
  EXPECT_TRUE(result.error->traceback.ends_with(" more bytes dropped]\n"));
}

}  // namespace
}  // namespace vivarium::sessions

namespace vivarium::sessions {
namespace {

TEST(ResultLimits, NotesOnLeftOutFilesAreCountedPastTwenty) {
  engine::ExecutionResult result;
  for (int i = 0; i < 100; ++i) result.output_files.push_back({"f" + std::to_string(i), "x"});
  apply_result_limits(result, {1 << 20, 1000, 0});
  EXPECT_TRUE(result.output_files.empty());
  EXPECT_TRUE(
      result.std_err.ends_with("[vivarium: output file 'f19' left out: the limit is 0 output files]\n"
                               "[vivarium: 80 more output files left out]\n"));
  // The server applying the same limits again changes nothing.
  const auto once = result.std_err;
  apply_result_limits(result, {1 << 20, 1000, 0});
  EXPECT_EQ(result.std_err, once);
}

TEST(ResultLimits, ApplyingTheLimitsTwiceChangesNothing) {
  engine::ExecutionResult result;
  result.std_err = std::string(40, 'e') + "\n[vivarium: output truncated, 5 more bytes dropped]\n";
  for (int i = 0; i < 30; ++i) result.output_files.push_back({std::string(4000, 'a') + std::to_string(i), "x"});
  apply_result_limits(result, {40, 1000, 2});
  const auto once = result;
  apply_result_limits(result, {40, 1000, 2});
  EXPECT_EQ(result.std_err, once.std_err);
  EXPECT_EQ(result.output_files.size(), 2u);
}

}  // namespace
}  // namespace vivarium::sessions
