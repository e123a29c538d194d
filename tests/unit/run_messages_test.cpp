// `vivarium run`'s messages (sessions/run_messages.h): what one side encodes the other
// decodes to the same value, and what a hostile program or client sends is refused with
// the error that names the field.
#include "sessions/run_messages.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "sessions/frame_io.h"

namespace vivarium::sessions {
namespace {

Bytes cbor(const nlohmann::json& message) { return nlohmann::json::to_cbor(message); }

TEST(RunMessages, ARunRequestRoundTrips) {
  RunRequest request;
  request.code = "import sys\nprint(sys.argv)";
  request.filename = "script.py";
  request.argv = {"script.py", "a b", ""};
  request.files = {{"data/in.csv", std::string("1,2\n\0", 5)}};
  request.timeout_ms = 2500;
  request.json = true;
  request.stdin_is_free = false;
  request.send_output_files = true;
  request.uid = 1879048200;
  request.gid = 1879048200;
  request.pid_namespace_missing = "not root";
  auto decoded = decode_to_daemon(encode(request));
  ASSERT_TRUE(decoded) << decoded.error().message;
  const auto& got = std::get<RunRequest>(*decoded);
  EXPECT_EQ(got.code, request.code);
  EXPECT_EQ(got.filename, "script.py");
  EXPECT_EQ(got.argv, request.argv);
  ASSERT_EQ(got.files.size(), 1u);
  EXPECT_EQ(got.files[0].data, request.files[0].data);
  EXPECT_EQ(got.timeout_ms, 2500);
  EXPECT_TRUE(got.json);
  EXPECT_FALSE(got.verbose);
  EXPECT_FALSE(got.stdin_is_free);
  EXPECT_TRUE(got.send_output_files);
  EXPECT_EQ(got.uid, 1879048200u);
  EXPECT_EQ(got.pid_namespace_missing, "not root");
}

TEST(RunMessages, TheProgramsMessagesRoundTrip) {
  auto started = decode_from_program(encode(RunStarted{42}));
  ASSERT_TRUE(started);
  EXPECT_EQ(std::get<RunStarted>(*started).pid, 42);
  auto ended = decode_from_program(encode(RunEnded{130, {{"out.txt", "x"}}}));
  ASSERT_TRUE(ended);
  EXPECT_EQ(std::get<RunEnded>(*ended).status, 130);
  EXPECT_EQ(std::get<RunEnded>(*ended).output_files.at(0).path, "out.txt");
  auto wheel = decode_from_program(encode(PackageRequest{engine::WheelSource::wheel_folder, "a-1-py3-none-any.whl"}));
  ASSERT_TRUE(wheel);
  EXPECT_EQ(std::get<PackageRequest>(*wheel).file_name, "a-1-py3-none-any.whl");
  auto interrupt = decode_to_program(encode(InterruptRequest{}));
  ASSERT_TRUE(interrupt);
  EXPECT_TRUE(std::holds_alternative<InterruptRequest>(*interrupt));
}

TEST(RunMessages, TheHostsAndTheDaemonsMessagesRoundTrip) {
  RunHostBoot boot{
      {256u << 20, "/a", "/c", "/p", "/w", {"numpy"}}, "/run/user/1/vivarium/run-k.sock", 600000, "k", "memory 256M"};
  auto decoded_boot = decode_run_host_boot(encode(boot));
  ASSERT_TRUE(decoded_boot) << decoded_boot.error().message;
  EXPECT_EQ(decoded_boot->boot.memory_limit, 256u << 20);
  EXPECT_EQ(decoded_boot->boot.preload, std::vector<std::string>{"numpy"});
  EXPECT_EQ(decoded_boot->socket_path, boot.socket_path);
  EXPECT_EQ(decoded_boot->idle_ms, 600000);
  auto notice = decode_run_host_report(encode(RunHostNotice{"compiling"}));
  ASSERT_TRUE(notice);
  EXPECT_EQ(std::get<RunHostNotice>(*notice).text, "compiling");
  auto failed = decode_run_host_report(encode(RunHostFailed{2, "bad package folder"}));
  ASSERT_TRUE(failed);
  EXPECT_EQ(std::get<RunHostFailed>(*failed).status, 2);
  DaemonStatus status{77, "k", "memory 1G", 1000, 599000, 1, 9, 1u << 27};
  auto decoded_status = decode_from_daemon(encode(status));
  ASSERT_TRUE(decoded_status);
  EXPECT_EQ(std::get<DaemonStatus>(*decoded_status).served, 9);
  EXPECT_TRUE(std::holds_alternative<DaemonStopRequest>(*decode_to_daemon(encode(DaemonStopRequest{}))));
}

TEST(RunMessages, HostileFieldsAreRefusedByName) {
  // A program claims an exit status no process can have.
  auto status = decode_from_program(cbor({{"type", "run_ended"}, {"status", 256}, {"files", nlohmann::json::array()}}));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, WireErrorKind::out_of_range);
  EXPECT_NE(status.error().message.find("'status'"), std::string::npos) << status.error().message;
  // An output file that climbs out of the output folder.
  auto climbing =
      decode_from_program(cbor({{"type", "run_ended"},
                                {"status", 0},
                                {"files", {{{"path", "../../etc/passwd"}, {"data", nlohmann::json::binary({1})}}}}}));
  ASSERT_FALSE(climbing);
  EXPECT_EQ(climbing.error().kind, WireErrorKind::bad_name);
  // A wheel request for a path, not a file name.
  auto path = decode_from_program(cbor({{"type", "package_request"}, {"from", "packages"}, {"file_name", "../x"}}));
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().kind, WireErrorKind::bad_name);
  // What a program never sends.
  auto exec = decode_from_program(encode(ExecResult{}));
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.error().kind, WireErrorKind::unknown_type);
  // A socket path longer than a Unix socket allows.
  RunHostBoot boot{{1u << 20, {}, {}, {}, {}, {}}, std::string(108, 'x'), 1, "k", ""};
  auto long_path = decode_run_host_boot(encode(boot));
  ASSERT_FALSE(long_path);
  EXPECT_EQ(long_path.error().kind, WireErrorKind::out_of_range);
  // A run request without its argv.
  auto no_argv = decode_to_daemon(cbor({{"type", "run"}, {"code", "1"}, {"filename", "<string>"}}));
  ASSERT_FALSE(no_argv);
  EXPECT_NE(no_argv.error().message.find("'argv'"), std::string::npos) << no_argv.error().message;
}

TEST(FrameFds, ThreePipeEndsRideOnOneFrameAndExtrasAreClosed) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  int pipes[2][2];
  ASSERT_EQ(::pipe(pipes[0]), 0);
  ASSERT_EQ(::pipe(pipes[1]), 0);
  const int sent[4] = {pipes[0][0], pipes[0][1], pipes[1][0], pipes[1][1]};
  ASSERT_TRUE(send_frame_fds(pair[0], encode(RunStarted{1}), {}, sent));
  // The receiver keeps three; the fourth is closed on arrival.
  auto frame = receive_frame_fds(pair[1], 1024, {}, 3);
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->fds.size(), 3u);
  struct stat a {
  }, b{};
  ASSERT_EQ(::fstat(frame->fds[0], &a), 0);
  ASSERT_EQ(::fstat(pipes[0][0], &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  for (const int fd : frame->fds) ::close(fd);
  // One frame carries at most four.
  const int five[5] = {0, 0, 0, 0, 0};
  EXPECT_FALSE(send_frame_fds(pair[0], encode(RunStarted{1}), {}, five));
  for (auto& p : pipes) ::close(p[0]), ::close(p[1]);
  ::close(pair[0]);
  ::close(pair[1]);
}

}  // namespace
}  // namespace vivarium::sessions
