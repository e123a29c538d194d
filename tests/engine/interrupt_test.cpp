// Interpreter::interrupt() from another thread, and globals bound before the code runs.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "shared_interpreter.h"

using namespace vivarium;
using namespace std::chrono_literals;

namespace {
// Runs code and, once it has printed its first chunk, interrupts it from another thread.
engine::ExecutionResult run_and_interrupt(const std::string& code) {
  auto& interpreter = test_support::interpreter();
  std::atomic<bool> started{false};
  std::thread interrupter;
  engine::ExecutionRequest request;
  request.code = code;
  request.timeout = 20s;
  request.on_output = [&](engine::OutputStream, std::string_view) {
    if (!started.exchange(true))
      interrupter = std::thread([&] {
        while (!interpreter.interrupt()) std::this_thread::sleep_for(1ms);
      });
  };
  auto result = interpreter.execute(request);
  if (interrupter.joinable()) interrupter.join();
  return result;
}
}  // namespace

TEST(Interrupt, ABusyLoopEndsAsAnExecutionKeyboardInterruptAndStateIsKept) {
  test_support::run("before_interrupt = 'kept'");
  auto result = run_and_interrupt("print('go', flush=True)\nwhile True: pass");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, engine::ErrorKind::execution);
  EXPECT_EQ(result.error->exception, "KeyboardInterrupt");
  EXPECT_FALSE(result.interpreter_lost);
  EXPECT_LT(result.code_runtime_ms, 15000) << "stopped by the interrupt, not the 20 s timeout";
  EXPECT_EQ(test_support::run("before_interrupt").final_expression_json, "\"kept\"");
}

TEST(Interrupt, ASleepIsCutShort) {
  auto result = run_and_interrupt("import time\nprint('go', flush=True)\ntime.sleep(30)");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->exception, "KeyboardInterrupt");
  EXPECT_LT(result.code_runtime_ms, 15000);
}

TEST(Interrupt, WithNothingRunningItDoesNothing) {
  auto& interpreter = test_support::interpreter();
  EXPECT_FALSE(interpreter.interrupt());
  EXPECT_EQ(test_support::run("import time\ntime.sleep(0.2)\n'done'").final_expression_json, "\"done\"");
}

TEST(Globals, NamesAreBoundBeforeTheCodeRuns) {
  engine::ExecutionRequest request;
  request.code = "[greeting, numbers[1], config['deep']['x']]";
  request.globals_json = R"({"greeting": "hi", "numbers": [1, 2], "config": {"deep": {"x": null}}})";
  auto result = test_support::interpreter().execute(request);
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.final_expression_json, R"(["hi", 2, null])");
}

TEST(Globals, NotAnObjectOrNotAnIdentifierFailsWithTheExactClass) {
  engine::ExecutionRequest request;
  request.code = "1";
  request.globals_json = "[1, 2]";
  auto list = test_support::interpreter().execute(request);
  ASSERT_TRUE(list.error);
  EXPECT_EQ(list.error->exception, "TypeError");
  request.globals_json = R"({"not a name": 1})";
  auto name = test_support::interpreter().execute(request);
  ASSERT_TRUE(name.error);
  EXPECT_EQ(name.error->exception, "ValueError");
}
