// `vivarium run` through the real binary, as a terminal user or a CI job uses it.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/subprocess.h"

namespace fs = std::filesystem;
using namespace vivarium::test_support;
using namespace std::chrono_literals;

namespace {

std::string write_script(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST(RunCli, RunsAScriptFileWithArguments) {
  const fs::path dir = make_temp_dir();
  const auto script = write_script(dir, "args.py", "import sys\nprint(sys.argv)\n");
  auto result = run_vivarium({"run", script, "one", "--two"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "['" + script + "', 'one', '--two']\n");
  EXPECT_EQ(result.err, "");
}

TEST(RunCli, RunsCodeGivenWithDashC) {
  auto result = run_vivarium({"run", "-c", "import sys; print(sys.argv); print(6 * 7)", "a"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "['-c', 'a']\n42\n");
}

TEST(RunCli, ReadsTheProgramFromStdinWithDash) {
  auto result = run_vivarium({"run", "-", "x"}, {.stdin_data = "import sys\nprint('from stdin', sys.argv)\n"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "from stdin ['-', 'x']\n");
}

TEST(RunCli, PipesStdinIntoTheScript) {
  const fs::path dir = make_temp_dir();
  const auto script = write_script(dir, "stats.py",
                                   "import sys, csv\n"
                                   "rows = list(csv.reader(sys.stdin))\n"
                                   "print(len(rows) - 1, sum(int(r[1]) for r in rows[1:]))\n");
  auto result = run_vivarium({"run", script}, {.stdin_data = "name,value\na,1\nb,2\nc,39\n"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "3 42\n");
}

TEST(RunCli, ExitStatusIsTheScripts) {
  EXPECT_EQ(run_vivarium({"run", "-c", "import sys; sys.exit(7)"}).exit_status, 7);
  EXPECT_EQ(run_vivarium({"run", "-c", "pass"}).exit_status, 0);
}

TEST(RunCli, UncaughtExceptionPrintsAPython3TracebackAndExitsOne) {
  const fs::path dir = make_temp_dir();
  const auto script = write_script(dir, "boom.py", "print('partial')\ndef f():\n    1 / 0\nf()\n");
  auto result = run_vivarium({"run", script});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_EQ(result.out, "partial\n");
  EXPECT_EQ(result.err,
            "Traceback (most recent call last):\n"
            "  File \"" +
                script +
                "\", line 4, in <module>\n"
                "    f()\n"
                "    ~^^\n"
                "  File \"" +
                script +
                "\", line 3, in f\n"
                "    1 / 0\n"
                "    ~~^~~\n"
                "ZeroDivisionError: division by zero\n");
}

TEST(RunCli, TimeoutStopsAnInfiniteLoopWith124) {
  auto result = run_vivarium({"run", "--timeout", "0.5", "-c", "print('looping', flush=True)\nwhile True: pass"});
  EXPECT_EQ(result.exit_status, 124);
  EXPECT_EQ(result.out, "looping\n");
  EXPECT_NE(result.err.find("timeout"), std::string::npos);
  EXPECT_FALSE(result.timed_out);
}

TEST(RunCli, MemoryLimitTurnsIntoMemoryErrorAndItsOwnStatus) {
  auto result = run_vivarium({"run", "--memory-limit", "256M", "-c", "x = bytearray(1_500_000_000)"});
  EXPECT_EQ(result.exit_status, 3);
  EXPECT_NE(result.err.find("MemoryError"), std::string::npos);
  EXPECT_NE(result.err.find("--memory-limit"), std::string::npos);
  auto survived = run_vivarium({"run", "--memory-limit", "256M", "-c",
                                "try:\n    bytearray(1_500_000_000)\nexcept MemoryError:\n    print('caught')\n"
                                "print(len(bytearray(10**7)))"});
  EXPECT_EQ(survived.exit_status, 0) << survived.err;
  EXPECT_EQ(survived.out, "caught\n10000000\n");
  auto huge = run_vivarium({"run", "--memory-limit", "256M", "-c", "bytearray(4 * 10**9)"});
  EXPECT_NE(huge.exit_status, 0);
  EXPECT_FALSE(huge.timed_out);
}

TEST(RunCli, StreamsOutputWhileTheProgramRuns) {
  LiveProcess process(
      {vivarium_binary(), "run", "-c",
       "import time\nprint('first')\nt = time.time()\nwhile time.time() - t < 3: pass\nprint('second')"});
  const auto seen = process.read_stdout_until("first\n", 30s);
  EXPECT_NE(seen.find("first\n"), std::string::npos);
  EXPECT_EQ(seen.find("second"), std::string::npos);
  EXPECT_TRUE(process.running()) << "the first line must arrive before the program ends";
  EXPECT_EQ(process.wait(), 0);
}

TEST(RunCli, UsageErrorsAreOneLineAndStatusTwo) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"run", "--bogus"},
                                             {"run", "--timeout", "abc", "-c", "1"},
                                             {"run", "--memory-limit", "12X", "-c", "1"},
                                             {"run", "/nonexistent/script.py"},
                                             {"run"},
                                             {"nosuchcommand"},
                                             {"run", "--file", "x:../up", "-c", "1"},
                                             {"run", "--file", "/nonexistent/data.csv", "-c", "1"}}) {
    auto result = run_vivarium(args);
    EXPECT_EQ(result.exit_status, 2) << args.back() << ": " << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
}

TEST(RunCli, MissingAssetsAreRefusedWithHowToFixThem) {
  auto result = run_vivarium({"run", "--assets", "/nonexistent/pyodide", "-c", "print(1)"});
  EXPECT_EQ(result.exit_status, 125);
  EXPECT_NE(result.err.find("make setup"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1);
}

TEST(RunCli, CorruptAssetsAreRefused) {
  const fs::path assets = fs::path(make_temp_dir()) / "pyodide";
  fs::copy(fs::path(source_dir()) / "assets" / "pyodide", assets, fs::copy_options::recursive);
  fs::resize_file(assets / "pyodide.asm.wasm", 100);
  auto result = run_vivarium({"run", "--assets", assets.string(), "-c", "print(1)"});
  EXPECT_EQ(result.exit_status, 125);
  EXPECT_NE(result.err.find("corrupt"), std::string::npos) << result.err;
}

TEST(RunCli, CopiesFilesInAndWritesCreatedOrChangedFilesOut) {
  const fs::path dir = make_temp_dir();
  std::ofstream(dir / "data.csv") << "a,b\n1,2\n";
  std::ofstream(dir / "keep.txt") << "unchanged";
  std::ofstream(dir / "edit.txt") << "v1";
  const auto out = dir / "out";
  auto result = run_vivarium({"run", "--file", (dir / "data.csv").string(), "--file",
                              (dir / "keep.txt").string() + ":inputs/keep.txt", "--file", (dir / "edit.txt").string(),
                              "--output-dir", out.string(), "-c",
                              "import os\n"
                              "rows = open('data.csv').read().splitlines()\n"
                              "assert open('inputs/keep.txt').read() == 'unchanged'\n"
                              "open('edit.txt', 'a').write('+v2')\n"
                              "os.makedirs('results', exist_ok=True)\n"
                              "open('results/count.txt', 'w').write(str(len(rows)))\n"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(slurp(out / "results" / "count.txt"), "2");
  EXPECT_EQ(slurp(out / "edit.txt"), "v1+v2");
  EXPECT_FALSE(fs::exists(out / "data.csv")) << "unchanged uploads are not written back";
  EXPECT_FALSE(fs::exists(out / "inputs"));
}

TEST(RunCli, OutputFilesAreWrittenEvenWhenTheProgramFails) {
  const fs::path out = fs::path(make_temp_dir()) / "out";
  auto result = run_vivarium(
      {"run", "--output-dir", out.string(), "-c", "open('saved.txt','w').write('ok')\nraise SystemError('x')"});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_EQ(slurp(out / "saved.txt"), "ok");
}

TEST(RunCli, OutputDirDoesNotFollowHostSymlinks) {
  const fs::path dir = make_temp_dir();
  const fs::path out = dir / "out";
  fs::create_directories(out);
  fs::create_directories(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", out / "sub");
  auto result = run_vivarium(
      {"run", "--output-dir", out.string(), "-c", "import os\nos.makedirs('sub')\nopen('sub/f.txt','w').write('x')"});
  EXPECT_NE(result.exit_status, 0);
  EXPECT_FALSE(fs::exists(dir / "elsewhere" / "f.txt"));
}

TEST(RunCli, JsonPrintsTheApiResultObject) {
  auto result = run_vivarium({"run", "--json", "-c", "print('hi')\nopen('o.txt','w').write('Hello World')\n21 * 2"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("\"success\":true"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"final_expression\":42"), std::string::npos);
  EXPECT_NE(result.out.find("\"std_out\":\"hi\\n\""), std::string::npos);
  EXPECT_NE(result.out.find("{\"b64_data\":\"SGVsbG8gV29ybGQ=\",\"filename\":\"o.txt\"}"), std::string::npos);
  EXPECT_NE(result.out.find("\"code_runtime\":"), std::string::npos);

  auto failed = run_vivarium({"run", "--json", "-c", "print('x')\nundefined"});
  EXPECT_EQ(failed.exit_status, 1);
  EXPECT_NE(failed.out.find("\"success\":false"), std::string::npos);
  EXPECT_NE(failed.out.find("\"type\":\"execution\""), std::string::npos);
  EXPECT_NE(failed.out.find("\"exception\":\"NameError\""), std::string::npos);
  EXPECT_NE(failed.out.find("\"std_out\":\"x\\n\""), std::string::npos);
}

TEST(RunCli, VersionNamesEveryComponent) {
  auto result = run_vivarium({"--version"});
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_NE(result.out.find("vivarium "), std::string::npos);
  EXPECT_NE(result.out.find("Pyodide 314.0.7"), std::string::npos);
  EXPECT_NE(result.out.find("Python 3.14.2"), std::string::npos);
  EXPECT_NE(result.out.find("V8 10.2.154"), std::string::npos);
}

TEST(RunCli, HelpDocumentsEveryRunFlag) {
  auto result = run_vivarium({"run", "--help"});
  EXPECT_EQ(result.exit_status, 0);
  for (const char* flag :
       {"-c", "--file", "--output-dir", "--json", "--timeout", "--memory-limit", "--assets", "--cache-dir", "124"})
    EXPECT_NE(result.out.find(flag), std::string::npos) << flag;
}

TEST(RunCli, EachRunGetsDifferentRandomness) {
  auto first = run_vivarium({"run", "-c", "import random, os; print(random.random(), os.urandom(8).hex())"});
  auto second = run_vivarium({"run", "-c", "import random, os; print(random.random(), os.urandom(8).hex())"});
  EXPECT_NE(first.out, second.out);
}

TEST(RunCli, ImportsLoadFromThePackageFolder) {
  const std::string good = std::string(VIVARIUM_TEST_PACKAGES) + "/good";
  auto result = run_vivarium({"run", "--packages-dir", good, "-c", "import vivtest_app\nprint(vivtest_app.answer())"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "42\n");
  auto env = run_vivarium({"run", "-c", "import vivtest_base\nprint(vivtest_base.VALUE)"},
                          {.env = {{"VIVARIUM_PACKAGES_DIR", good}}});
  EXPECT_EQ(env.out, "42\n") << env.err;
}

TEST(RunCli, MissingPreloadsGiveOneWarning) {
  const std::string good = std::string(VIVARIUM_TEST_PACKAGES) + "/good";
  auto result = run_vivarium({"run", "--packages-dir", good, "--preload", "vivtest-base,numpy", "-c",
                              "import sys\nprint('vivtest_base' in sys.modules)"});
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_EQ(result.out, "True\n");
  EXPECT_NE(result.err.find("preload packages not available: numpy (looked in " + good), std::string::npos)
      << result.err;
}

TEST(PackagesCli, ListsPackagesVersionsAndPreloads) {
  const std::string good = std::string(VIVARIUM_TEST_PACKAGES) + "/good";
  auto result = run_vivarium({"packages", "--packages-dir", good, "--preload", "vivtest-base,numpy"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("vivtest-app"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2.0"), std::string::npos);
  EXPECT_NE(result.out.find("vivtest-base                     1.0              available, preloaded by serve"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("not available: numpy"), std::string::npos);
  EXPECT_NE(result.out.find("micropip                         0.9              not used: vivarium has its own "
                            "offline micropip"),
            std::string::npos)
      << result.out;
  auto none = run_vivarium({"packages", "--packages-dir", "/nonexistent/packages", "--wheels-dir", "/nonexistent/w"});
  EXPECT_EQ(none.exit_status, 0);
  EXPECT_NE(none.out.find("only Python's standard library"), std::string::npos);
  EXPECT_NE(none.out.find("No wheel folder at /nonexistent/w"), std::string::npos) << none.out;
}

TEST(PackagesCli, ListsTheWheelFolderAndWhatItCannotUse) {
  const std::string wheels = std::string(VIVARIUM_TEST_PACKAGES) + "/wheels";
  auto result = run_vivarium({"packages", "--wheels-dir", wheels});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("Wheel folder: " + wheels + " (6 pure-Python wheels for micropip.install)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("vivtest_pure                     1.9rc1           vivtest_pure-1.9rc1-py3-none-any.whl"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("vivtest_native-1.0-cp312-cp312-linux_x86_64.whl: not a pure-Python 3 wheel"),
            std::string::npos)
      << result.out;
}

TEST(RunCli, MicropipInstallsFromTheWheelFolder) {
  const std::string good = std::string(VIVARIUM_TEST_PACKAGES) + "/good";
  const std::string wheels = std::string(VIVARIUM_TEST_PACKAGES) + "/wheels";
  auto result = run_vivarium({"run", "--packages-dir", good, "--wheels-dir", wheels, "-c",
                              "import micropip\nawait micropip.install('vivtest-extra')\n"
                              "import vivtest_extra\nprint(vivtest_extra.describe())"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "['1.5', 42]\n");
  // The wheel that cannot be used is named once, with the reason.
  EXPECT_NE(result.err.find("vivtest_native-1.0-cp312-cp312-linux_x86_64.whl: not a pure-Python 3 wheel"),
            std::string::npos)
      << result.err;
  auto env = run_vivarium({"run", "-c",
                           "import micropip\nawait micropip.install('vivtest-pure')\n"
                           "import vivtest_pure\nprint(vivtest_pure.VERSION)"},
                          {.env = {{"VIVARIUM_WHEELS_DIR", wheels}}});
  EXPECT_EQ(env.out, "2.0\n") << env.err;
  auto missing = run_vivarium({"run", "-c", "import micropip\nawait micropip.install('requests')"});
  EXPECT_EQ(missing.exit_status, 1);
  EXPECT_NE(missing.err.find("ValueError: Can't find a pure Python 3 wheel for 'requests'"), std::string::npos)
      << missing.err;
}

TEST(RunCli, AWheelFolderThatIsThePackageFolderIsNotListedTwice) {
  const std::string good = std::string(VIVARIUM_TEST_PACKAGES) + "/good";
  auto result = run_vivarium({"run", "--packages-dir", good, "--wheels-dir", good + "/.", "-c",
                              "import micropip\nawait micropip.install('vivtest-base')\nimport vivtest_base\n"
                              "print(vivtest_base.VALUE)"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "42\n");
  EXPECT_NE(result.err.find("the wheel folder is the package folder"), std::string::npos) << result.err;
}

TEST(RunCli, WorksWithStandardDescriptorsClosed) {
  auto result = run_process({"/bin/sh", "-c", "\"$0\" run -c 'print(\"ok\")' <&- 2>&-", vivarium_binary()});
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_EQ(result.out, "ok\n");
}

// Sets $child to the program of the `vivarium run` whose pid is $pid: the process named
// vivarium-prog whose stdout is a pipe that the client holds the other end of. It is the
// client's child with --no-daemon and the warm zygote's otherwise.
#define VIVARIUM_FIND_PROGRAM                                                      \
  "child=; for p in $(pgrep -x vivarium-prog); do t=$(readlink /proc/$p/fd/1) && " \
  "ls -l /proc/$pid/fd 2>/dev/null | grep -qF \"$t\" && child=$p; done; "

TEST(RunCli, TheProgramRunsUnderASeccompFilter) {
  // The shell starts vivarium, waits until the program says it is running, and reads the
  // kernel's view of the process that runs it (vivarium's child with --no-daemon, the
  // warm zygote's otherwise; the client relays, unconfined: docs/run-relay.md): mode 2 is
  // a seccomp-bpf filter.
  const char* script =
      "fifo=$(mktemp -u); mkfifo \"$fifo\" || exit 1; "
      "\"$0\" run -c 'import time; print(\"running\", flush=True); time.sleep(30)' > \"$fifo\" & "
      "pid=$!; read line < \"$fifo\"; rm -f \"$fifo\"; echo \"$line\"; " VIVARIUM_FIND_PROGRAM
      "grep '^Seccomp:' /proc/$child/status; kill $pid; wait $pid; exit 0";
  auto result = run_process({"/bin/sh", "-c", script, vivarium_binary()});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("running\nSeccomp:\t2\n"), std::string::npos) << result.out << result.err;
}

TEST(RunCli, TheProgramHasNoCapabilitiesAndItsOwnNamespaces) {
  // As above, from the outside: the confined child's capability sets, no_new_privs, and
  // whether its user, network, IPC, UTS, (as root) pid and mount namespaces differ from
  // the relaying parent's, and that no page is writable and executable at once.
  const char* script =
      "fifo=$(mktemp -u); mkfifo \"$fifo\" || exit 1; "
      "\"$0\" run -c 'import time; print(\"running\", flush=True); time.sleep(30)' > \"$fifo\" & "
      "pid=$!; read line < \"$fifo\"; rm -f \"$fifo\"; " VIVARIUM_FIND_PROGRAM
      "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/$child/status; "
      "for ns in user net ipc uts pid mnt; do "
      "  [ \"$(readlink /proc/$child/ns/$ns)\" != \"$(readlink /proc/$pid/ns/$ns)\" ] && echo \"own $ns\"; "
      "done; echo \"rwx pages $(grep -c ' rwx' /proc/$child/maps)\"; kill $pid; wait $pid; exit 0";
  auto result = run_process({"/bin/sh", "-c", script, vivarium_binary()});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, std::string("CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                                    "CapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n"
                                    "own user\nown net\nown ipc\nown uts\n") +
                            (::geteuid() == 0 ? "own pid\n" : "") + "own mnt\nrwx pages 0\n")
      << result.err;
}

TEST(RunCli, CtrlCRaisesKeyboardInterruptAndExitsWith130) {
  // As python3: the traceback of the KeyboardInterrupt, then exit status 130. (exec: the
  // shell does not stay between, so SIGINT reaches vivarium with its default action.)
  LiveProcess client({"/bin/sh", "-c", "exec \"$0\" run -c \"$1\" 2>&1", vivarium_binary(),
                      "import time\nprint('running', flush=True)\ntime.sleep(60)\n"});
  ASSERT_EQ(client.read_stdout_until("running\n", std::chrono::seconds(60)), "running\n");
  client.send_signal(SIGINT);
  const std::string rest = client.read_stdout_until("KeyboardInterrupt\n", std::chrono::seconds(30));
  EXPECT_EQ(client.wait(), 130);
  EXPECT_NE(rest.find("Traceback (most recent call last):\n"), std::string::npos) << rest;
  // Where it landed: in the sleep, or in the print's last steps (it may come that early).
  EXPECT_NE(rest.find("  File \"<string>\", line "), std::string::npos) << rest;
  EXPECT_TRUE(rest.ends_with("KeyboardInterrupt\n")) << rest;
}

TEST(RunCli, AProgramMayCatchCtrlCAndCarryOn) {
  LiveProcess client({"/bin/sh", "-c", "exec \"$0\" run -c \"$1\" 2>&1", vivarium_binary(),
                      "import time\n"
                      "try:\n    print('running', flush=True)\n    time.sleep(60)\n"
                      "except KeyboardInterrupt:\n    print('caught', flush=True)\n"});
  ASSERT_EQ(client.read_stdout_until("running\n", std::chrono::seconds(60)), "running\n");
  client.send_signal(SIGINT);
  EXPECT_EQ(client.read_stdout_until("caught\n", std::chrono::seconds(30)), "running\ncaught\n");
  EXPECT_EQ(client.wait(), 0);
}
