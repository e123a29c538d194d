// The guard at the V8 boundary (engine/src/v8_guard.h): a C++ exception inside a V8
// callback becomes a JS error that Python sees, and the interpreter goes on working.
// Without the guard the exception unwinds through V8 (built without exceptions) and the
// test process dies in std::terminate.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "engine/interpreter.h"
#include "shared_interpreter.h"

using namespace vivarium;
namespace fs = std::filesystem;

TEST(V8Guard, ACppExceptionInAHostFunctionBecomesAPythonErrorAndTheInterpreterGoesOn) {
  // `import vivtest_base` makes Pyodide call readbuffer, a host function, which asks the
  // embedder's WheelFetcher for the wheel.
  auto interpreter = test_support::boot_with(fs::path(VIVARIUM_TEST_PACKAGES) / "good");
  ASSERT_TRUE(interpreter);
  // A session's fetcher talks to the server; one that throws (a broken channel, out of
  // memory) is a C++ exception in the middle of readbuffer.
  interpreter->set_package_fetcher([](engine::WheelSource, const std::string&) -> std::optional<std::string> {
    throw std::runtime_error("the wheel channel broke");
  });
  auto failed = interpreter->execute({.code = "import vivtest_base"});
  ASSERT_TRUE(failed.error.has_value());
  EXPECT_EQ(failed.error->exception, "ModuleNotFoundError");
  EXPECT_NE(failed.std_err.find("vivarium internal error (C++ exception): the wheel channel broke"), std::string::npos)
      << failed.std_err;
  EXPECT_FALSE(failed.interpreter_lost);
  EXPECT_TRUE(interpreter->usable());

  // Straight from JS too, and for an exception that is not a std::exception.
  interpreter->set_package_fetcher(
      [](engine::WheelSource, const std::string&) -> std::optional<std::string> { throw 42; });
  auto direct = interpreter->execute({.code = "import js\n"
                                              "try:\n"
                                              "    js.readbuffer('vivtest_base-1.0-py3-none-any.whl')\n"
                                              "except Exception as e:\n"
                                              "    message = str(e)\n"
                                              "message"});
  ASSERT_FALSE(direct.error.has_value()) << direct.error->traceback;
  EXPECT_NE(direct.final_expression_json.find("vivarium internal error: an unknown C++ exception"), std::string::npos)
      << direct.final_expression_json;

  interpreter->set_package_fetcher(nullptr);  // read the folder directly again
  auto after = interpreter->execute({.code = "import vivtest_base\n6 * 7"});
  ASSERT_FALSE(after.error.has_value()) << after.error->traceback;
  EXPECT_EQ(after.final_expression_json, "42");
}
