// Time and memory limits: Python is interrupted and survives; the process never dies.
#include <gtest/gtest.h>

#include "shared_interpreter.h"

using namespace vivarium;
using namespace std::chrono_literals;

namespace {
engine::ExecutionResult run_with_timeout(engine::Interpreter& interpreter, const std::string& code,
                                         std::chrono::milliseconds timeout) {
  engine::ExecutionRequest request;
  request.code = code;
  request.timeout = timeout;
  return interpreter.execute(request);
}
}  // namespace

TEST(Timeout, AnInfiniteLoopGetsKeyboardInterruptAndTheInterpreterSurvives) {
  auto& interpreter = test_support::interpreter();
  test_support::run("state_before_timeout = 'kept'");
  auto result = run_with_timeout(interpreter, "print('started')\nwhile True: pass", 300ms);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind, engine::ErrorKind::timeout);
  EXPECT_EQ(result.error->exception, "KeyboardInterrupt");
  EXPECT_EQ(result.std_out, "started\n") << "output before the timeout is kept";
  EXPECT_FALSE(result.interpreter_lost);
  EXPECT_GE(result.code_runtime_ms, 300);
  EXPECT_TRUE(interpreter.usable());
  EXPECT_EQ(test_support::run("state_before_timeout").final_expression_json, "\"kept\"");
}

TEST(Timeout, SleepingCodeIsInterruptedToo) {
  auto& interpreter = test_support::interpreter();
  auto result = run_with_timeout(interpreter, "import time\ntime.sleep(30)", 300ms);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind, engine::ErrorKind::timeout);
  EXPECT_LT(result.code_runtime_ms, 10000);
  EXPECT_TRUE(interpreter.usable());
}

TEST(Timeout, AwaitingCodeIsInterruptedToo) {
  auto& interpreter = test_support::interpreter();
  auto result = run_with_timeout(interpreter, "import asyncio\nawait asyncio.sleep(30)", 300ms);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind, engine::ErrorKind::timeout);
  EXPECT_LT(result.code_runtime_ms, 10000);
  EXPECT_EQ(test_support::run("1").final_expression_json, "1");
}

TEST(Timeout, CodeThatSwallowsKeyboardInterruptIsStoppedHard) {
  auto interpreter = test_support::boot_interpreter();
  auto result = run_with_timeout(*interpreter,
                                 "while True:\n"
                                 "    try:\n"
                                 "        while True: pass\n"
                                 "    except KeyboardInterrupt:\n"
                                 "        pass\n",
                                 200ms);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind, engine::ErrorKind::timeout);
  EXPECT_TRUE(result.interpreter_lost);
  EXPECT_FALSE(interpreter->usable());
  auto after = interpreter->execute({.code = "1"});
  ASSERT_TRUE(after.error.has_value()) << "a lost interpreter refuses work instead of crashing";
}

TEST(Timeout, FastCodeIsUnaffected) {
  auto result = run_with_timeout(test_support::interpreter(), "sum(range(1000))", 5000ms);
  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.final_expression_json, "499500");
}

TEST(Memory, AHugeAllocationFailsCleanlyAndTheInterpreterSurvives) {
  // 4 * 10**9 does not even fit wasm32's Py_ssize_t: CPython raises OverflowError.
  auto huge = test_support::run("bytearray(4 * 10**9)");
  ASSERT_TRUE(huge.error.has_value());
  EXPECT_TRUE(huge.error->exception == "OverflowError" || huge.error->exception == "MemoryError")
      << huge.error->exception;
  // 1.5 GB fits the address space but not the 256 MiB cap: MemoryError.
  auto capped = test_support::run("bytearray(1_500_000_000)");
  ASSERT_TRUE(capped.error.has_value());
  EXPECT_EQ(capped.error->exception, "MemoryError");
  EXPECT_EQ(capped.error->kind, engine::ErrorKind::memory);
  EXPECT_EQ(test_support::run("len(bytearray(10**7))").final_expression_json, "10000000");
}

TEST(Memory, GrowingPastTheCapStepByStepRaisesMemoryError) {
  auto result = test_support::run("hoard = []\nwhile True: hoard.append(bytearray(10**6))");
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->exception, "MemoryError");
  EXPECT_EQ(test_support::run("del hoard\nimport gc\ngc.collect()\nlen(bytearray(10**7))").final_expression_json,
            "10000000");
}

TEST(Memory, ExhaustingTheJavaScriptHeapIsAnErrorNotACrash) {
  auto interpreter = test_support::boot_interpreter();
  auto result = interpreter->execute(
      {.code = "import js\nhold = js.Array.new()\nfor i in range(1000): hold.push(js.Array.new(10**7).fill(i))"});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind, engine::ErrorKind::memory);
  EXPECT_TRUE(result.interpreter_lost);
}

TEST(StackOverflow, DeepRecursionIsARecursionError) {
  auto result = test_support::run("def f(n): return f(n + 1)\nf(0)");
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->exception, "RecursionError");
  EXPECT_TRUE(test_support::interpreter().usable());
}

TEST(StackOverflow, OverflowingTheNativeStackIsAnErrorNotACrash) {
  auto interpreter = test_support::boot_interpreter();
  auto result =
      interpreter->execute({.code = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n): return f(n + 1)\nf(0)"});
  ASSERT_TRUE(result.error.has_value());
}
