// Packages from a local folder: import-driven loading, dependencies, preload, checksum
// refusal, and the message for what is not installed. The test wheels are built at test
// time (tests/packages/make_test_packages.py); real numpy & co. only when present.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/assets.h"
#include "engine/runtime.h"
#include "server/packages.h"
#include "shared_interpreter.h"
#include "support/subprocess.h"

using namespace vivarium;
namespace fs = std::filesystem;

namespace {
fs::path test_packages(const char* which) { return fs::path(VIVARIUM_TEST_PACKAGES) / which; }

std::unique_ptr<engine::Interpreter> boot_with(const fs::path& dir, std::vector<std::string> preload = {}) {
  test_support::interpreter();  // initialises V8 with the tests' options
  engine::BootOptions options;
  options.assets_dir = fs::path(test_support::source_dir()) / "assets" / "pyodide";
  options.cache_dir = engine::default_cache_dir();
  auto folder = server::load_package_folder(dir);
  EXPECT_TRUE(folder.has_value() && folder->has_value()) << dir;
  if (folder && *folder) options.packages = (*folder)->folder;
  options.preload = std::move(preload);
  auto booted = engine::Interpreter::boot(options);
  EXPECT_TRUE(booted.has_value()) << (booted ? "" : booted.error());
  return booted ? std::move(*booted) : nullptr;
}
}  // namespace

TEST(Packages, ImportsLoadPackagesFromTheFolderWithTheirDependencies) {
  auto interpreter = boot_with(test_packages("good"));
  ASSERT_TRUE(interpreter);
  auto result = interpreter->execute({.code = "import vivtest_app, vivtest_base\n"
                                              "[vivtest_app.answer(), vivtest_base.data()]"});
  ASSERT_FALSE(result.error.has_value()) << result.error->traceback << result.std_err;
  EXPECT_EQ(result.final_expression_json, "[42, \"data shipped in the wheel\\n\"]");
  EXPECT_EQ(result.std_out, "") << "loading messages stay out of the program's output";
}

TEST(Packages, PreloadImportsAtBootAndReportsWhatIsMissing) {
  auto interpreter = boot_with(test_packages("good"), {"vivtest-app", "no-such-package"});
  ASSERT_TRUE(interpreter);
  EXPECT_EQ(interpreter->missing_preloads(), std::vector<std::string>{"no-such-package"});
  auto result = interpreter->execute({.code = "import sys\n['vivtest_app' in sys.modules, 'vivtest_base' in sys.modules]"});
  EXPECT_EQ(result.final_expression_json, "[true, true]");
}

TEST(Packages, AWheelFailingItsChecksumIsRefused) {
  auto interpreter = boot_with(test_packages("corrupt"));
  ASSERT_TRUE(interpreter);
  auto result = interpreter->execute({.code = "import vivtest_base"});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->exception, "ModuleNotFoundError");
  EXPECT_NE(result.std_err.find("fails its sha256 check"), std::string::npos) << result.std_err;
}

TEST(Packages, AMissingPyodidePackageSaysHowToAddIt) {
  auto result = test_support::run("import numpy");
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->exception, "ModuleNotFoundError");
  EXPECT_NE(result.error->message.find("not installed in this vivarium"), std::string::npos) << result.error->message;
  EXPECT_NE(result.error->message.find("--packages-dir"), std::string::npos);
  auto unknown = test_support::run("import surely_not_a_module");
  EXPECT_EQ(unknown.error->message, "ModuleNotFoundError: No module named 'surely_not_a_module'");
}

TEST(Packages, OnlyListedWheelsOfTheFolderAreReadable) {
  auto interpreter = boot_with(test_packages("good"));
  ASSERT_TRUE(interpreter);
  auto result = interpreter->execute(
      {.code = "import js\njs.readbuffer('" + test_packages("good").string() + "/../corrupt/pyodide-lock.json')"});
  EXPECT_TRUE(result.error.has_value());
  auto other = interpreter->execute({.code = "import js\njs.readbuffer('" + test_packages("good").string() +
                                             "/not-listed.whl')"});
  EXPECT_TRUE(other.error.has_value());
}

TEST(Packages, MatplotlibShowSavesFiguresAsOutputFiles) {
  const fs::path official = fs::path(test_support::source_dir()) / "assets" / "packages";
  if (!fs::exists(official / "pyodide-lock.json"))
    GTEST_SKIP() << "the official Pyodide package distribution is not in assets/packages (make packages)";
  auto interpreter = boot_with(official, {"numpy", "pandas", "matplotlib"});
  ASSERT_TRUE(interpreter);
  auto result = interpreter->execute({.code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\n"
                                              "plt.plot([3, 2, 1])\nplt.savefig('chart.svg')\nplt.savefig('chart.pdf')"});
  ASSERT_FALSE(result.error.has_value()) << result.error->traceback;
  std::vector<std::string> names;
  for (const auto& file : result.output_files) names.push_back(file.path);
  EXPECT_EQ(names, (std::vector<std::string>{"chart.pdf", "chart.svg", "figure-1.png"}));
  EXPECT_EQ(result.output_files[2].data.substr(1, 3), "PNG");
  auto numpy = interpreter->execute({.code = "import numpy as np, pandas as pd\nint(np.arange(10).sum())"});
  EXPECT_EQ(numpy.final_expression_json, "45");
}

TEST(Packages, MicropipInstallsFromTheFolder) {
  const fs::path official = fs::path(test_support::source_dir()) / "assets" / "packages";
  if (!fs::exists(official / "pyodide-lock.json"))
    GTEST_SKIP() << "micropip is a wheel of the official Pyodide package distribution, which is not in "
                    "assets/packages (make packages)";
  auto interpreter = boot_with(official);
  ASSERT_TRUE(interpreter);
  auto result = interpreter->execute({.code = "import micropip\nawait micropip.install('six')\nimport six\nsix.PY3"});
  EXPECT_EQ(result.final_expression_json, "true") << (result.error ? result.error->traceback : "");
}
