// A session that left the engine's path, played by tests/http/fake_session.py (the
// TEST-ONLY VIVARIUM_TEST_FAKE_SESSION): whatever it sends, the server resets only that
// session, logs one line naming the defect, and /health and other sessions carry on.
#include <gtest/gtest.h>

#include <thread>

#include "http/http_helpers.h"

using namespace vivarium::test_support;
using nlohmann::json;

namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

class HostileSession : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServeProcess({"--execution-timeout", "4", "--max-output-files", "3"},
                               {{"VIVARIUM_TEST_FAKE_SESSION", VIVARIUM_SOURCE_DIR "/tests/http/fake_session.py"}});
    // Every session runs behind the fake, which relays honest requests to a real one.
    auto kept = exec_code(*server_, "bystander", "kept = 41");
    ASSERT_EQ(kept.body["success"], true) << kept.raw;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // The log line comes from the thread that answered; the test reads stderr through a
  // pipe, so it may need a moment to arrive.
  static std::string log_after(std::size_t lines_before, const std::string& line) {
    for (int i = 0; i < 100 && count_of(server_->log(), line) <= lines_before; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return server_->log();
  }

  static void expect_everything_else_carries_on(const std::string& session) {
    EXPECT_EQ(get(*server_, "/health").status, 200);
    auto other = exec_code(*server_, "bystander", "kept + 1");
    EXPECT_EQ(other.body["result"]["final_expression"], 42) << other.raw;
    // The reset session works again, in a fresh process.
    auto again = exec_code(*server_, session, "1 + 1");
    EXPECT_EQ(again.body["result"]["final_expression"], 2) << again.raw;
  }

  static void expect_bad_frame(const std::string& mode, const std::string& defect) {
    const std::string session = "hostile-" + mode;
    const std::string line = "sent a bad frame (" + defect + ":";
    const auto before = count_of(server_->log(), "sent a bad frame");
    const auto before_this = count_of(server_->log(), line);
    auto reply = exec_code(*server_, session, "#hostile:" + mode + "#");
    EXPECT_EQ(reply.status, 200) << reply.raw;
    EXPECT_EQ(reply.body["success"], false) << reply.raw;
    EXPECT_EQ(reply.body["error"]["type"], "execution") << reply.raw;
    EXPECT_EQ(reply.body["error"]["session_reset"], true) << reply.raw;
    const auto log = log_after(before_this, line);
    EXPECT_EQ(count_of(log, line), before_this + 1) << log;
    EXPECT_EQ(count_of(log, "sent a bad frame"), before + 1) << log;
    expect_everything_else_carries_on(session);
  }

  static ServeProcess* server_;
};
ServeProcess* HostileSession::server_ = nullptr;

TEST_F(HostileSession, TwoMillionNestedArrays) { expect_bad_frame("deep", "too_deep"); }
TEST_F(HostileSession, AHeaderAnnouncingOneTebibyte) { expect_bad_frame("oversized", "too_large"); }
TEST_F(HostileSession, AHundredMebibytesOfStdOut) { expect_bad_frame("big_stdout", "too_large"); }
TEST_F(HostileSession, ATruncatedMessage) { expect_bad_frame("truncated", "truncated"); }
TEST_F(HostileSession, WrongTypedFields) { expect_bad_frame("wrong_types", "wrong_type"); }
TEST_F(HostileSession, AnOutputFileOutsideTheSandbox) { expect_bad_frame("bad_name_relative", "bad_name"); }
TEST_F(HostileSession, AnAbsoluteOutputFileName) { expect_bad_frame("bad_name_absolute", "bad_name"); }

TEST_F(HostileSession, ADrippedResultEndsAtTheDeadline) {
  // The deadline (execution timeout 1 s plus the grace period) covers the whole frame,
  // however steadily its bytes arrive.
  auto reply = exec_code(*server_, "hostile-drip", "#hostile:drip#");
  EXPECT_EQ(reply.body["error"]["type"], "timeout") << reply.raw;
  EXPECT_EQ(reply.body["error"]["session_reset"], true) << reply.raw;
  expect_everything_else_carries_on("hostile-drip");
}

TEST_F(HostileSession, ASessionThatStopsReadingEndsTheSendAtTheDeadline) {
  auto first = exec_code(*server_, "hostile-deaf", "#hostile:stop_reading#");
  EXPECT_EQ(first.body["result"]["std_out"], "not reading any more\n") << first.raw;
  // Far more than the socket buffers hold: sending it needs a reader.
  auto reply = exec_code(*server_, "hostile-deaf", "#" + std::string(16 << 20, 'x'));
  EXPECT_EQ(reply.body["error"]["type"], "timeout") << reply.raw;
  EXPECT_EQ(reply.body["error"]["session_reset"], true) << reply.raw;
  expect_everything_else_carries_on("hostile-deaf");
}

TEST_F(HostileSession, OutputPastTheLimitsIsCutByTheServer) {
  auto reply = exec_code(*server_, "hostile-long", "#hostile:long_output#");
  ASSERT_EQ(reply.body["success"], true) << reply.raw.substr(0, 300);
  const auto& result = reply.body["result"];
  const std::string marker = "\n[vivarium: output truncated, 1951424 more bytes dropped]\n";
  // Compared by size and ends: a failure must not print megabytes.
  const std::string std_out = result["std_out"];
  EXPECT_EQ(std_out.size(), (1u << 20) + marker.size());
  EXPECT_TRUE(std_out.ends_with(std::string(10, 'o') + marker));
  const std::string std_err = result["std_err"];
  EXPECT_EQ(std_err.find(marker), std::size_t{1} << 20);
  EXPECT_TRUE(
      std_err.ends_with("[vivarium: output file 'f3.txt' left out: the limit is 3 output files]\n"
                        "[vivarium: output file 'f4.txt' left out: the limit is 3 output files]\n"))
      << std_err.substr(std::min<std::size_t>(std_err.size(), 1 << 20));
  EXPECT_EQ(result["output_files"].size(), 3u);
}

}  // namespace
