// The execution API: output, final_expression, files, errors, as docs/api.md defines.
#include <gtest/gtest.h>

#include "shared_interpreter.h"

using namespace vivarium;
using test_support::run;

namespace {
std::string final_of(const std::string& code) {
  auto result = run(code);
  EXPECT_FALSE(result.error.has_value()) << result.error->traceback;
  return result.final_expression_json;
}
}  // namespace

TEST(Execution, CapturesStdoutAndStderrIncludingAnUnterminatedLastLine) {
  auto result = run("import sys\nprint('hello')\nprint('oops', file=sys.stderr)\nprint('no newline', end='')");
  EXPECT_EQ(result.std_out, "hello\nno newline");
  EXPECT_EQ(result.std_err, "oops\n");
  EXPECT_FALSE(result.error.has_value());
}

TEST(Execution, OutputDoesNotCarryOverToTheNextExecution) {
  run("print('first')");
  auto second = run("print('second')");
  EXPECT_EQ(second.std_out, "second\n");
}

TEST(Execution, StreamsOutputInOrderAsItIsProduced) {
  engine::ExecutionRequest request;
  request.code = "import sys\nprint('a')\nprint('b', file=sys.stderr)\nprint('c')";
  std::vector<std::string> chunks;
  request.on_output = [&](engine::OutputStream stream, std::string_view text) {
    chunks.push_back((stream == engine::OutputStream::err ? "err:" : "out:") + std::string(text));
  };
  test_support::interpreter().execute(request);
  EXPECT_EQ(chunks, (std::vector<std::string>{"out:a\n", "err:b\n", "out:c\n"}));
}

TEST(Execution, FinalExpressionKeepsJsonNativeValues) {
  EXPECT_EQ(final_of("1 + 1"), "2");
  EXPECT_EQ(final_of("'hi'"), "\"hi\"");
  EXPECT_EQ(final_of("True"), "true");
  EXPECT_EQ(final_of("None"), "null");
  EXPECT_EQ(final_of("2.5"), "2.5");
  EXPECT_EQ(final_of("[1, 'a', None]"), "[1, \"a\", null]");
  EXPECT_EQ(final_of("(1, 2)"), "[1, 2]");
  EXPECT_EQ(final_of("{'k': [1, {'n': 2}]}"), "{\"k\": [1, {\"n\": 2}]}");
  EXPECT_EQ(final_of("2**63 - 1"), "9223372036854775807");
}

TEST(Execution, FinalExpressionUsesReprForEverythingElse) {
  EXPECT_EQ(final_of("{1, 2}"), "\"{1, 2}\"");
  EXPECT_EQ(final_of("2**64"), "\"18446744073709551616\"");
  EXPECT_EQ(final_of("float('nan')"), "\"nan\"");
  EXPECT_EQ(final_of("{1: 'a'}"), "\"{1: 'a'}\"");
  EXPECT_EQ(final_of("class P:\n  def __repr__(self): return 'P()'\nP()"), "\"P()\"");
  EXPECT_EQ(final_of("[1, {2}]"), "\"[1, {2}]\"");
}

TEST(Execution, AHostileReprDoesNotFailTheExecution) {
  auto value = final_of("class Evil:\n  def __repr__(self): raise RuntimeError('no')\nEvil()");
  EXPECT_NE(value.find("repr() failed"), std::string::npos);
}

TEST(Execution, NoFinalExpressionWhenTheLastStatementIsNotAnExpression) {
  EXPECT_EQ(final_of("x = 5"), "null");
  EXPECT_EQ(final_of("for i in range(2): pass"), "null");
}

TEST(Execution, GlobalsPersistAcrossExecutions) {
  run("persisted_value = 41");
  EXPECT_EQ(final_of("persisted_value + 1"), "42");
}

TEST(Execution, TopLevelAwaitWorks) {
  EXPECT_EQ(final_of("import asyncio\nawait asyncio.sleep(0.01)\n'awaited'"), "\"awaited\"");
}

TEST(Execution, WorkingDirectoryAndHomeAreHomeEarth) {
  EXPECT_EQ(final_of("import os\n[os.getcwd(), os.environ['HOME']]"), "[\"/home/earth\", \"/home/earth\"]");
}

TEST(Execution, PythonExceptionsComeBackWithClassMessageTracebackAndLine) {
  auto result = run("print('before')\ndef f():\n    return undefined_name\nf()");
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind, engine::ErrorKind::execution);
  EXPECT_EQ(result.error->exception, "NameError");
  EXPECT_EQ(result.error->message, "NameError: name 'undefined_name' is not defined");
  EXPECT_EQ(result.error->line, 3);
  EXPECT_NE(result.error->traceback.find("Traceback (most recent call last):"), std::string::npos);
  EXPECT_NE(result.error->traceback.find("line 3, in f"), std::string::npos);
  EXPECT_EQ(result.error->traceback.find("<vivarium>"), std::string::npos) << "runner frames must not show";
  EXPECT_EQ(result.std_out, "before\n");
}

TEST(Execution, SyntaxErrorsAreExecutionErrorsWithTheirLine) {
  auto result = run("x = 1\ny = (");
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->exception, "SyntaxError");
  EXPECT_EQ(result.error->line, 2);
  EXPECT_NE(result.error->message.find("SyntaxError"), std::string::npos);
}

TEST(Execution, SysExitReportsTheStatus) {
  EXPECT_EQ(run("import sys\nsys.exit(3)").exit_code, 3);
  EXPECT_EQ(run("import sys\nsys.exit()").exit_code, 0);
  auto message = run("import sys\nsys.exit('bye')");
  EXPECT_EQ(message.exit_code, 1);
  EXPECT_EQ(message.std_err, "bye\n");
}

TEST(Execution, ArgvIsSetWhenGiven) {
  engine::ExecutionRequest request;
  request.code = "import sys\nsys.argv";
  request.argv = {"script.py", "--flag", "x"};
  auto result = test_support::interpreter().execute(request);
  EXPECT_EQ(result.final_expression_json, "[\"script.py\", \"--flag\", \"x\"]");
}

TEST(Execution, ReportsCodeRuntime) {
  auto result = run("import time\nt = time.time()\nwhile time.time() - t < 0.05: pass");
  EXPECT_GE(result.code_runtime_ms, 50);
}

// --- files ---------------------------------------------------------------------------

TEST(Files, UploadsLandInHomeWithParentDirectories) {
  engine::ExecutionRequest request;
  request.code = "open('data/in/x.txt').read()";
  request.files = {{"data/in/x.txt", "uploaded"}};
  auto result = test_support::interpreter().execute(request);
  EXPECT_EQ(result.final_expression_json, "\"uploaded\"");
  EXPECT_TRUE(result.output_files.empty()) << "an unchanged upload is not echoed back";
}

TEST(Files, CreatedAndChangedFilesComeBackSortedAndUntouchedOnesDoNot) {
  run("open('untouched.txt', 'w').write('old')\nopen('changed.txt', 'w').write('v1')");
  auto result =
      run("open('changed.txt', 'w').write('v2')\n"
          "import os\nos.makedirs('out', exist_ok=True)\n"
          "open('out/new.bin', 'wb').write(bytes(range(256)))\n"
          "open('b_new.txt', 'w').write('b')");
  ASSERT_EQ(result.output_files.size(), 3u);
  EXPECT_EQ(result.output_files[0].path, "b_new.txt");
  EXPECT_EQ(result.output_files[1].path, "changed.txt");
  EXPECT_EQ(result.output_files[1].data, "v2");
  EXPECT_EQ(result.output_files[2].path, "out/new.bin");
  EXPECT_EQ(result.output_files[2].data.size(), 256u);
  EXPECT_EQ(static_cast<unsigned char>(result.output_files[2].data[255]), 255);
}

TEST(Files, RewritingTheSameContentIsNotAChange) {
  run("open('same.txt', 'w').write('same')");
  auto result = run("open('same.txt', 'w').write('same')");
  EXPECT_TRUE(result.output_files.empty());
}

TEST(Files, AnUploadTheCodeChangesIsReturned) {
  engine::ExecutionRequest request;
  request.code = "open('up.txt', 'a').write('+more')";
  request.files = {{"up.txt", "start"}};
  auto result = test_support::interpreter().execute(request);
  ASSERT_EQ(result.output_files.size(), 1u);
  EXPECT_EQ(result.output_files[0].data, "start+more");
}

TEST(Files, FilesWrittenBeforeAnErrorAreKept) {
  auto result = run("open('partial.txt', 'w').write('saved')\nraise ValueError('late')");
  ASSERT_TRUE(result.error.has_value());
  ASSERT_EQ(result.output_files.size(), 1u);
  EXPECT_EQ(result.output_files[0].path, "partial.txt");
}
