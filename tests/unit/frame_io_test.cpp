// Frames over a socket pair: limits refuse a header before allocating, and one deadline
// bounds a whole frame in both directions, however the peer drips or stalls.
#include "sessions/frame_io.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace vivarium::sessions {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0); }
  ~SocketPair() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

std::vector<std::uint8_t> header(std::uint64_t length) {
  std::vector<std::uint8_t> bytes(8);
  for (auto& byte : bytes) {
    byte = static_cast<std::uint8_t>(length & 0xff);
    length >>= 8;
  }
  return bytes;
}

TEST(FrameIo, AFrameArrivesWhole) {
  SocketPair pair;
  const std::vector<std::uint8_t> body = {1, 2, 3, 0, 255};
  ASSERT_TRUE(send_frame(pair.fds[0], body));
  auto frame = receive_frame(pair.fds[1], 100, std::chrono::steady_clock::now() + 5s);
  ASSERT_TRUE(frame) << frame.error().message;
  EXPECT_EQ(frame->body, body);
  EXPECT_EQ(frame->passed_fd, -1);
}

TEST(FrameIo, ADescriptorRidesAlong) {
  SocketPair pair, passed;
  ASSERT_TRUE(send_frame(pair.fds[0], std::vector<std::uint8_t>{7}, {}, passed.fds[0]));
  auto frame = receive_frame(pair.fds[1], 100);
  ASSERT_TRUE(frame);
  EXPECT_GE(frame->passed_fd, 0);
  ::close(frame->passed_fd);
}

TEST(FrameIo, AHeaderOverTheLimitIsRefusedBeforeItsBody) {
  SocketPair pair;
  write_all(pair.fds[0], header(std::uint64_t{100} << 20));  // 100 MiB announced, nothing sent
  auto frame = receive_frame(pair.fds[1], 1 << 20, std::chrono::steady_clock::now() + 5s);
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().kind, WireErrorKind::too_large);
  EXPECT_EQ(frame.error().message, "a frame header announces 104857600 bytes, over the frame limit of 1048576");
}

TEST(FrameIo, APeerThatClosesInsideAFrameIsClosed) {
  SocketPair pair;
  write_all(pair.fds[0], header(10));
  write_all(pair.fds[0], {1, 2, 3});
  ::close(pair.fds[0]);
  pair.fds[0] = -1;
  auto frame = receive_frame(pair.fds[1], 100);
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().kind, WireErrorKind::closed);
  EXPECT_EQ(frame.error().message, "the peer closed the socket inside a frame");
}

TEST(FrameIo, AHalfSentFrameEndsAtTheDeadline) {
  SocketPair pair;
  write_all(pair.fds[0], header(10));
  write_all(pair.fds[0], {1});
  auto frame = receive_frame(pair.fds[1], 100, std::chrono::steady_clock::now() + 200ms);
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().kind, WireErrorKind::timeout);
}

TEST(FrameIo, DrippedBytesDoNotExtendTheDeadline) {
  SocketPair pair;
  std::thread dripper([fd = pair.fds[0]] {
    auto bytes = header(1000);
    bytes.resize(bytes.size() + 1000, 'x');
    for (auto byte : bytes) {
      if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) return;  // the receiver gave up
      std::this_thread::sleep_for(5ms);
    }
  });
  auto frame = receive_frame(pair.fds[1], 2000, std::chrono::steady_clock::now() + 300ms);
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().kind, WireErrorKind::timeout);
  ::shutdown(pair.fds[1], SHUT_RDWR);
  dripper.join();
}

TEST(FrameIo, APeerThatStopsReadingEndsTheSendAtTheDeadline) {
  SocketPair pair;
  const std::vector<std::uint8_t> body(16 << 20, 'x');  // far more than the socket buffers
  auto sent = send_frame(pair.fds[0], body, std::chrono::steady_clock::now() + 300ms);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, WireErrorKind::timeout);
}

}  // namespace
}  // namespace vivarium::sessions
