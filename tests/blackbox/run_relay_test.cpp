// `vivarium run` runs the program in a confined child that holds only pipes; the
// unconfined vivarium process relays (docs/run-relay.md). Checked from the outside.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <string>

#include "support/subprocess.h"

using namespace vivarium::test_support;
using namespace std::chrono_literals;

namespace {

// 0, 1, 2, ... as 32-bit little-endian words: every byte value (NULs, newlines, invalid
// UTF-8), and no two words alike, so a lost, doubled or reordered piece shows.
std::string counting_words(std::size_t words) {
  std::string bytes;
  bytes.reserve(words * 4);
  for (std::uint32_t i = 0; i < words; ++i)
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>((i >> shift) & 0xff));
  return bytes;
}
}  // namespace

TEST(RunRelay, OnATerminalTheProgramHoldsOnlyPipesAndStillTalksToTheUser) {
  const auto helper = std::filesystem::path(source_dir()) / "tests" / "blackbox" / "run_under_pty.py";
  auto result = run_process({"/bin/sh", "-c", "exec python3 \"$0\" \"$1\"", helper.string(), vivarium_binary()});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out,
            "program found: True\n"
            "parent holds the terminal: True\n"
            "fd 0: pipe\n"
            "fd 1: pipe\n"
            "fd 2: pipe\n"
            "terminal descriptors: []\n"
            "controlling terminal: 0\n"
            "output: 'ready\\n> hello\\ngot olleh\\n'\n"
            "exit: 0\n")
      << result.err;
}

TEST(RunRelay, BinaryStdoutAndStderrArriveByteForByte) {
  auto result = run_vivarium({"run", "-c",
                              "import array, sys\n"
                              "sys.stdout.buffer.write(array.array('I', range(10 << 18)).tobytes())\n"
                              "sys.stdout.flush()\n"
                              "print('to stderr', file=sys.stderr)\n"});
  EXPECT_EQ(result.exit_status, 0) << result.err.substr(0, 2000);
  EXPECT_EQ(result.out.size(), std::size_t{10} << 20);
  EXPECT_TRUE(result.out == counting_words(std::size_t{10} << 18)) << "stdout differs from what the program wrote";
  EXPECT_EQ(result.err, "to stderr\n");
}

TEST(RunRelay, StdinReachesTheProgramAndItsEndIsSeen) {
  auto result = run_vivarium({"run", "-c", "import sys\ndata = sys.stdin.read()\nprint(len(data), data.count('\\n'))"},
                             {.stdin_data = std::string(300000, 'x') + "\n" + std::string(1000, 'y') + "\n"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "301002 2\n");
}

TEST(RunRelay, ExitStatusesPassThroughTheRelay) {
  EXPECT_EQ(run_vivarium({"run", "-c", "pass"}).exit_status, 0);
  EXPECT_EQ(run_vivarium({"run", "-c", "raise ValueError('x')"}).exit_status, 1);
  EXPECT_EQ(run_vivarium({"run", "-c", "import sys; sys.exit(42)"}).exit_status, 42);
  EXPECT_EQ(run_vivarium({"run", "--timeout", "0.5", "-c", "while True: pass"}).exit_status, 124);
}

TEST(RunRelay, SigintToVivariumEndsTheProgramWith130) {
  LiveProcess process({vivarium_binary(), "run", "-c", "import time\nprint('ready', flush=True)\ntime.sleep(60)"});
  ASSERT_NE(process.read_stdout_until("ready\n", 60s).find("ready\n"), std::string::npos);
  process.send_signal(SIGINT);
  EXPECT_EQ(process.wait(), 130);
}

TEST(RunRelay, SigtermToVivariumEndsTheProgram) {
  LiveProcess process({vivarium_binary(), "run", "-c", "import time\nprint('ready', flush=True)\ntime.sleep(60)"});
  ASSERT_NE(process.read_stdout_until("ready\n", 60s).find("ready\n"), std::string::npos);
  process.send_signal(SIGTERM);
  EXPECT_EQ(process.wait(), 128 + SIGTERM);
}

TEST(RunRelay, AClosedPipeEndsTheProgramQuietlyAsSigpipe) {
  // `| head -1`: vivarium ends as `yes | head -1` does, killed by SIGPIPE (141 in the
  // shell), with nothing on stderr; the program does not run on.
  auto result =
      run_process({"/bin/sh", "-c", "{ \"$0\" run -c 'while True: print(1)'; echo \"status $?\" >&2; } | head -1",
                   vivarium_binary()},
                  {.limit = 60000ms});
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.out, "1\n");
  EXPECT_EQ(result.err, "status 141\n");
}

TEST(RunRelay, TheParentWritesTheOutputDirectory) {
  const std::filesystem::path out = std::filesystem::path(make_temp_dir()) / "out";
  auto result = run_vivarium({"run", "--output-dir", out.string(), "-c",
                              "import os\nos.makedirs('a/b')\nopen('a/b/c.bin','wb').write(bytes(range(256)) * 4096)"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(std::filesystem::file_size(out / "a" / "b" / "c.bin"), 256u * 4096u);
}
