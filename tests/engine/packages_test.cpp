// Packages from a local folder: import-driven loading, dependencies, preload, checksum
// refusal, and the message for what is not installed. The test wheels are built at test
// time (tests/packages/make_test_packages.py); real numpy & co. only when present.
#include "packages/packages.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/assets.h"
#include "engine/runtime.h"
#include "packages/wheel_folder.h"
#include "shared_interpreter.h"
#include "support/subprocess.h"

using namespace vivarium;
namespace fs = std::filesystem;

namespace {
fs::path test_packages(const char* which) { return fs::path(VIVARIUM_TEST_PACKAGES) / which; }
using test_support::boot_with;
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
  auto result =
      interpreter->execute({.code = "import sys\n['vivtest_app' in sys.modules, 'vivtest_base' in sys.modules]"});
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
  auto other = interpreter->execute(
      {.code = "import js\njs.readbuffer('" + test_packages("good").string() + "/not-listed.whl')"});
  EXPECT_TRUE(other.error.has_value());
}

TEST(Packages, MatplotlibShowSavesFiguresAsOutputFiles) {
  const fs::path official = fs::path(test_support::source_dir()) / "assets" / "packages";
  if (!fs::exists(official / "pyodide-lock.json"))
    GTEST_SKIP() << "the official Pyodide package distribution is not in assets/packages (make packages)";
  auto interpreter = boot_with(official, {"numpy", "pandas", "matplotlib"});
  ASSERT_TRUE(interpreter);
  auto result =
      interpreter->execute({.code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\n"
                                    "plt.plot([3, 2, 1])\nplt.savefig('chart.svg')\nplt.savefig('chart.pdf')"});
  ASSERT_FALSE(result.error.has_value()) << result.error->traceback;
  std::vector<std::string> names;
  for (const auto& file : result.output_files) names.push_back(file.path);
  EXPECT_EQ(names, (std::vector<std::string>{"chart.pdf", "chart.svg", "figure-1.png"}));
  EXPECT_EQ(result.output_files[2].data.substr(1, 3), "PNG");
  auto numpy = interpreter->execute({.code = "import numpy as np, pandas as pd\nint(np.arange(10).sum())"});
  EXPECT_EQ(numpy.final_expression_json, "45");
}

// micropip: vivarium's own, offline. Names resolve to the package folder's Pyodide
// packages or the wheel folder's pure-Python wheels, with their dependencies.
std::string run_ok(engine::Interpreter& interpreter, const std::string& code) {
  auto result = interpreter.execute({.code = code});
  EXPECT_FALSE(result.error.has_value()) << code << "\n" << (result.error ? result.error->traceback : "");
  return result.final_expression_json;
}

std::string error_message(engine::Interpreter& interpreter, const std::string& code) {
  auto result = interpreter.execute({.code = code});
  EXPECT_TRUE(result.error.has_value()) << code;
  return result.error ? result.error->exception + ": " + result.error->message : "";
}

TEST(Micropip, InstallsFromTheWheelFolderWithDependenciesMarkersAndVersions) {
  auto interpreter = boot_with(test_packages("good"), {}, test_packages("wheels"));
  ASSERT_TRUE(interpreter);
  // vivtest-extra needs vivtest-pure (>=1.0,<2: 1.5, not 2.0 nor the 1.9rc1 pre-release)
  // and vivtest-base from the package folder; its win32-only and extra-only ones are skipped.
  EXPECT_EQ(run_ok(*interpreter,
                   "import micropip\nawait micropip.install('vivtest-extra')\n"
                   "import vivtest_extra\nvivtest_extra.describe()"),
            R"(["1.5", 42])");
  EXPECT_EQ(run_ok(*interpreter,
                   "import importlib.util as u\n"
                   "[u.find_spec(n) is not None for n in ('vivtest_fancy', 'vivtest_never_needed')]"),
            "[false, false]");
  EXPECT_EQ(run_ok(*interpreter,
                   "{name: (p.version, p.source.rsplit('/', 1)[-1]) for name, p in "
                   "micropip.list().items() if name.startswith('vivtest')}"),
            R"({"vivtest-base": ["1.0", "pyodide"], "vivtest-extra": ["3.0", "vivtest_extra-3.0-py3-none-any.whl"], )"
            R"("vivtest-pure": ["1.5", "vivtest_pure-1.5-py3-none-any.whl"]})");
  // An extra pulls in its dependency; installing what is there already is a no-op.
  EXPECT_EQ(run_ok(*interpreter,
                   "await micropip.install(['vivtest-extra[fancy]', 'vivtest-pure'])\n"
                   "import vivtest_fancy\nvivtest_fancy.VERSION"),
            R"("1.0")");
  EXPECT_NE(error_message(*interpreter, "await micropip.install('vivtest-pure==2.0')")
                .find("vivtest-pure 1.5 is already installed"),
            std::string::npos);
}

TEST(Micropip, PreReleasesOnlyWhenAskedAndPyodidePackagesFromThePackageFolder) {
  auto interpreter = boot_with(test_packages("good"), {}, test_packages("wheels"));
  ASSERT_TRUE(interpreter);
  EXPECT_NE(error_message(*interpreter, "import micropip\nawait micropip.install('vivtest-pure>1.5,<2')")
                .find("(available: 1.0, 1.5, 1.9rc1, 2.0)"),
            std::string::npos);
  // A constraint limits what any requirement may choose.
  EXPECT_NE(error_message(*interpreter, "await micropip.install('vivtest-pure', constraints=['vivtest-pure<1.0'])")
                .find("Can't find a pure Python 3 wheel for 'vivtest-pure'"),
            std::string::npos);
  EXPECT_EQ(run_ok(*interpreter,
                   "await micropip.install('vivtest-pure>1.5,<2', pre=True)\n"
                   "import vivtest_pure\nvivtest_pure.VERSION"),
            R"("1.9rc1")");
  const auto excluded =
      error_message(*interpreter, "await micropip.install('vivtest-pure', constraints=['vivtest-pure==1.0'])");
  EXPECT_NE(excluded.find("with the constraint 'vivtest-pure==1.0' asks for another version"), std::string::npos)
      << excluded;
  // A Pyodide package of the package folder, with its dependency; and the folder's own
  // micropip wheel (which would download from PyPI) is never the one imported.
  EXPECT_EQ(run_ok(*interpreter,
                   "await micropip.install('vivtest-app')\nimport vivtest_app\n"
                   "[vivtest_app.answer(), micropip.__version__]"),
            R"([42, "vivarium"])");
}

TEST(Micropip, FailsWithAClearMessageForAnythingElse) {
  auto interpreter = boot_with(test_packages("good"), {}, test_packages("wheels"));
  ASSERT_TRUE(interpreter);
  const auto unknown = error_message(*interpreter, "import micropip\nawait micropip.install('requests')");
  EXPECT_NE(unknown.find("ValueError: Can't find a pure Python 3 wheel for 'requests'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("no network access"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find(test_packages("wheels").string()), std::string::npos) << unknown;
  const auto url = error_message(*interpreter, "await micropip.install('https://example.com/x-1.0-py3-none-any.whl')");
  EXPECT_NE(url.find("no network access"), std::string::npos) << url;
  const auto native =
      error_message(*interpreter, "await micropip.install('vivtest_native-1.0-cp312-cp312-linux_x86_64.whl')");
  EXPECT_NE(native.find("not a pure-Python 3 wheel"), std::string::npos) << native;
  const auto both = error_message(*interpreter, "await micropip.install(['nope-a', 'nope-b'], keep_going=True)");
  EXPECT_NE(both.find("'nope-a'"), std::string::npos) << both;
  EXPECT_NE(both.find("'nope-b'"), std::string::npos) << both;
  const auto bad = error_message(*interpreter, "await micropip.install('bad name !!')");
  EXPECT_NE(bad.find("invalid requirement 'bad name !!'"), std::string::npos) << bad;
  // Nothing was installed by the failures.
  EXPECT_EQ(run_ok(*interpreter, "sorted(n for n in micropip.list() if n.startswith('vivtest'))"), "[]");
}

TEST(Micropip, OnlyListedPurePythonWheelsOfTheWheelFolderAreReadable) {
  auto interpreter = boot_with(test_packages("good"), {}, test_packages("wheels"));
  ASSERT_TRUE(interpreter);
  const std::string dir = test_packages("wheels").string();
  EXPECT_EQ(
      run_ok(*interpreter, "import js\njs.readbuffer('" + dir + "/vivtest_pure-1.0-py3-none-any.whl').byteLength > 0"),
      "true");
  for (const std::string& path :
       {dir + "/vivtest_native-1.0-cp312-cp312-linux_x86_64.whl", dir + "/../corrupt/pyodide-lock.json",
        dir + "/../wheels/nothing.whl", dir + "/sub/vivtest_pure-1.0-py3-none-any.whl"}) {
    const auto refused = error_message(*interpreter, "import js\njs.readbuffer('" + path + "')");
    EXPECT_NE(refused.find("no such"), std::string::npos) << path << ": " << refused;
  }
}

TEST(Micropip, InstallsAWheelFromInsideTheSandbox) {
  auto interpreter = boot_with(test_packages("good"));
  ASSERT_TRUE(interpreter);
  const std::string wheel = "vivtest_pure-1.0-py3-none-any.whl";
  std::ifstream in(test_packages("wheels") / wheel, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto result = interpreter->execute({.code = "import micropip\nawait micropip.install('emfs:./" + wheel +
                                              "')\nimport vivtest_pure\nvivtest_pure.VERSION",
                                      .files = {{wheel, bytes}}});
  ASSERT_FALSE(result.error.has_value()) << result.error->traceback;
  EXPECT_EQ(result.final_expression_json, R"("1.0")");
  // Named by file, a version other than the installed one is refused; the same one is a no-op.
  std::ifstream newer_in(test_packages("wheels") / "vivtest_pure-2.0-py3-none-any.whl", std::ios::binary);
  const std::string newer((std::istreambuf_iterator<char>(newer_in)), {});
  auto clash = interpreter->execute({.code = "await micropip.install('emfs:vivtest_pure-2.0-py3-none-any.whl')",
                                     .files = {{"vivtest_pure-2.0-py3-none-any.whl", newer}}});
  ASSERT_TRUE(clash.error.has_value());
  EXPECT_NE(clash.error->message.find("vivtest-pure 1.0 is already installed"), std::string::npos)
      << clash.error->message;
  auto again = interpreter->execute({.code = "await micropip.install('emfs:./" + wheel + "')\nvivtest_pure.VERSION"});
  EXPECT_EQ(again.final_expression_json, R"("1.0")") << (again.error ? again.error->traceback : "");
  auto broken = interpreter->execute({.code = "await micropip.install('emfs:broken-1.0-py3-none-any.whl')",
                                      .files = {{"broken-1.0-py3-none-any.whl", "not a zip"}}});
  ASSERT_TRUE(broken.error.has_value());
  EXPECT_EQ(broken.error->message,
            "ValueError: broken-1.0-py3-none-any.whl is not a valid wheel: File is not a zip file");
}

TEST(Micropip, AWheelChangedAfterStartupIsRefused) {
  const fs::path copy = fs::temp_directory_path() / ("vivarium-wheels-" + std::to_string(::getpid()));
  fs::remove_all(copy);
  fs::copy(test_packages("wheels"), copy);
  auto interpreter = boot_with(test_packages("good"), {}, copy);
  ASSERT_TRUE(interpreter);
  fs::copy_file(copy / "vivtest_pure-2.0-py3-none-any.whl", copy / "vivtest_pure-1.5-py3-none-any.whl",
                fs::copy_options::overwrite_existing);
  const auto changed = error_message(*interpreter, "import micropip\nawait micropip.install('vivtest-pure<2')");
  EXPECT_NE(changed.find("changed since vivarium listed the folder"), std::string::npos) << changed;
  fs::remove_all(copy);
}

TEST(Micropip, VersionsAndMarkersFollowPep440AndPep508) {
  // The ordering and matching that choosing among wheels relies on.
  auto result = test_support::run(
      "import micropip as m\n"
      "import _vivarium_pep440\n"  // engine/py/pep440.py, which tests/py/test_pep440.py tests on the host
      "V = m.Version\n"
      "order = ['1.0.dev1', '1.0a1', '1.0a2.post1', '1.0b1', '1.0rc1', '1.0', '1.0+abc', '1.0+5', '1.0.post1',\n"
      "         '1.1', '2!0.1']\n"
      "ordered = all(V(a) < V(b) for a, b in zip(order, order[1:]))\n"
      "def ok(spec, version): return m.Specifier(spec).contains(V(version))\n"
      "specs = [ok('==1.0', '1.0.0'), ok('==1.*', '1.9'), ok('!=1.*', '2.0'), ok('~=1.4.2', '1.4.9'),\n"
      "         ok('~=1.4.2', '1.5'), ok('>=1,<2', '1.5'), ok('(>1.0)', '1.0'),\n"
      "         ok('>=1.0b1,<2.0', '2.0rc1'), ok('<2.0rc2', '2.0rc1'), ok('>1.0', '1.0.post1'),\n"
      "         ok('>1.0.post1', '1.0.post2'), ok('==1.0', '1.0+cpu'), ok('==1.0+cpu', '1.0')]\n"
      "markers = [m.marker_holds('python_version >= \"3.8\" and sys_platform == \"emscripten\"'),\n"
      "           m.marker_holds('os_name == \"nt\" or (extra == \"Fancy_Stuff\")', 'fancy-stuff'),\n"
      "           m.marker_holds('\"wasm\" in platform_machine'), m.marker_holds('extra == \"x\"')]\n"
      "[ordered, specs, markers, m.Requirement is _vivarium_pep440.Requirement]");
  ASSERT_FALSE(result.error.has_value()) << result.error->traceback;
  EXPECT_EQ(result.final_expression_json,
            "[true, [true, true, true, true, false, true, false, false, true, false, true, true, false], "
            "[true, true, true, false], true]");
  auto bad = test_support::run("import micropip\nmicropip.marker_holds('python_version >= ')");
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_NE(bad.error->message.find("invalid environment marker"), std::string::npos) << bad.error->message;
}

TEST(Micropip, TheOfficialLockWithoutItsWheelsSaysWhatIsMissing) {
  // The npm bundle's lock file is the official distribution's: a folder with only that
  // file is the real format, with every wheel missing.
  const fs::path folder = fs::temp_directory_path() / ("vivarium-official-lock-" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  fs::copy_file(fs::path(test_support::source_dir()) / "assets" / "pyodide" / "pyodide-lock.json",
                folder / "pyodide-lock.json");
  auto listed = packages::load_package_folder(folder);
  ASSERT_TRUE(listed.has_value() && listed->has_value());
  EXPECT_GT((*listed)->packages.size(), 300u);
  auto interpreter = boot_with(folder);
  ASSERT_TRUE(interpreter);
  const auto missing = error_message(*interpreter, "import micropip\nawait micropip.install('six')");
  EXPECT_NE(missing.find("ValueError: installing from the package folder failed"), std::string::npos) << missing;
  EXPECT_NE(missing.find("is listed in pyodide-lock.json but missing from " + folder.string()), std::string::npos)
      << missing;
  fs::remove_all(folder);
}

TEST(Micropip, AWheelFolderInsideThePackageFolderWorks) {
  const fs::path packages = fs::temp_directory_path() / ("vivarium-nested-" + std::to_string(::getpid()));
  fs::remove_all(packages);
  fs::copy(test_packages("good"), packages);
  fs::copy(test_packages("wheels"), packages / "extra");
  auto interpreter = boot_with(packages, {}, packages / "extra");
  ASSERT_TRUE(interpreter);
  EXPECT_EQ(run_ok(*interpreter,
                   "import micropip\nawait micropip.install(['vivtest-pure', 'vivtest-app'])\n"
                   "import vivtest_pure, vivtest_app\n[vivtest_pure.VERSION, vivtest_app.answer()]"),
            R"(["2.0", 42])");
  fs::remove_all(packages);
}
