#include "sessions/frame_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace vivarium::sessions {
namespace {

std::string errno_text(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

// Waits until fd is ready for events or the deadline passes.
std::expected<void, WireError> wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::unexpected(wire_error(WireErrorKind::timeout, "the exchange's deadline passed"));
      wait_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready > 0) return {};
    if (ready < 0 && errno != EINTR) return std::unexpected(wire_error(WireErrorKind::io, errno_text("poll")));
  }
}

// The most descriptors one frame carries (a run request's three pipe ends).
constexpr std::size_t kMaxPassedFds = 4;

// Reads exactly size bytes; the first read may also collect up to max_fds passed
// descriptors (more are closed: the kernel drops those that do not fit the buffer, and
// those that fit but are over max_fds are closed here).
std::expected<void, WireError> read_exact(int fd, std::uint8_t* data, std::size_t size, std::vector<int>* passed_fds,
                                          std::size_t max_fds, Deadline deadline) {
  std::size_t done = 0;
  while (done < size) {
    if (auto ready = wait_for(fd, POLLIN, deadline); !ready) return ready;
    iovec io{data + done, size - done};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
    msghdr msg{};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    if (passed_fds) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
    }
    const ssize_t got = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (got < 0) return std::unexpected(wire_error(WireErrorKind::io, errno_text("recvmsg")));
    if (got == 0)
      return std::unexpected(wire_error(WireErrorKind::closed, done == 0 && passed_fds
                                                                   ? "the peer closed the socket"
                                                                   : "the peer closed the socket inside a frame"));
    if (passed_fds) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
          int passed;
          std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
          if (passed_fds->size() < max_fds)
            passed_fds->push_back(passed);
          else
            ::close(passed);
        }
      }
      passed_fds = nullptr;  // descriptors only ride on the first chunk
    }
    done += static_cast<std::size_t>(got);
  }
  return {};
}

}  // namespace

std::expected<void, WireError> send_frame_fds(int fd, std::span<const std::uint8_t> body, Deadline deadline,
                                              std::span<const int> pass_fds) {
  if (pass_fds.size() > kMaxPassedFds)
    return std::unexpected(wire_error(WireErrorKind::too_large, "a frame carries at most 4 descriptors"));
  std::uint8_t header[kFrameHeaderBytes];
  std::uint64_t length = body.size();
  for (auto& byte : header) {
    byte = static_cast<std::uint8_t>(length & 0xff);
    length >>= 8;
  }
  iovec parts[2] = {{header, sizeof header}, {const_cast<std::uint8_t*>(body.data()), body.size()}};
  const std::size_t total = sizeof header + body.size();
  std::size_t done = 0;
  bool first = true;
  while (done < total) {
    if (auto ready = wait_for(fd, POLLOUT, deadline); !ready) return ready;
    iovec io[2];
    int count = 0;
    if (done < sizeof header) {
      io[count++] = {header + done, sizeof header - done};
      if (!body.empty()) io[count++] = parts[1];
    } else {
      const std::size_t at = done - sizeof header;
      io[count++] = {const_cast<std::uint8_t*>(body.data()) + at, body.size() - at};
    }
    msghdr msg{};
    msg.msg_iov = io;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
    if (first && !pass_fds.empty()) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * pass_fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * pass_fds.size());
      std::memcpy(CMSG_DATA(c), pass_fds.data(), sizeof(int) * pass_fds.size());
    }
    // Non-blocking after poll: a blocking send of a large frame would wait for the
    // peer to drain all of it, past the deadline.
    const ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (sent < 0) {
      const bool gone = errno == EPIPE || errno == ECONNRESET;
      return std::unexpected(wire_error(gone ? WireErrorKind::closed : WireErrorKind::io, errno_text("sendmsg")));
    }
    done += static_cast<std::size_t>(sent);
    first = false;
  }
  return {};
}

std::expected<void, WireError> send_frame(int fd, std::span<const std::uint8_t> body, Deadline deadline, int pass_fd) {
  if (pass_fd < 0) return send_frame_fds(fd, body, deadline, {});
  return send_frame_fds(fd, body, deadline, std::span(&pass_fd, 1));
}

std::expected<FrameWithFds, WireError> receive_frame_fds(int fd, std::uint64_t max_bytes, Deadline deadline,
                                                         std::size_t max_fds) {
  FrameWithFds frame;
  std::uint8_t header[kFrameHeaderBytes];
  auto fail = [&](WireError error) -> std::expected<FrameWithFds, WireError> {
    for (const int passed : frame.fds) ::close(passed);
    return std::unexpected(std::move(error));
  };
  max_fds = std::min(max_fds, kMaxPassedFds);
  if (auto got = read_exact(fd, header, sizeof header, &frame.fds, max_fds, deadline); !got) return fail(got.error());
  std::uint64_t length = 0;
  for (std::size_t i = sizeof header; i-- > 0;) length = (length << 8) | header[i];
  if (length > max_bytes)
    return fail(wire_error(WireErrorKind::too_large, "a frame header announces " + std::to_string(length) +
                                                         " bytes, over the frame limit of " +
                                                         std::to_string(max_bytes)));
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  while (frame.body.size() < length) {
    const std::size_t offset = frame.body.size();
    frame.body.resize(offset + std::min<std::uint64_t>(kChunk, length - offset));
    if (auto rest = read_exact(fd, frame.body.data() + offset, frame.body.size() - offset, nullptr, 0, deadline); !rest)
      return fail(rest.error());
  }
  return frame;
}

std::expected<Frame, WireError> receive_frame(int fd, std::uint64_t max_bytes, Deadline deadline) {
  auto received = receive_frame_fds(fd, max_bytes, deadline, 1);
  if (!received) return std::unexpected(std::move(received.error()));
  Frame frame;
  frame.body = std::move(received->body);
  if (!received->fds.empty()) frame.passed_fd = received->fds.front();
  return frame;
}

}  // namespace vivarium::sessions
