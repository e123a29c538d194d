#include "server/ipc.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vivarium::server::ipc {
namespace {

std::expected<void, std::string> wait_readable(int fd, std::optional<std::chrono::steady_clock::time_point> deadline) {
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::unexpected("timeout");
      wait_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready > 0) return {};
    if (ready < 0 && errno != EINTR) return std::unexpected(std::string("poll: ") + std::strerror(errno));
  }
}

// Reads exactly size bytes; the first read may also collect a passed descriptor.
std::expected<void, std::string> read_exact(int fd, char* data, std::size_t size, int* passed_fd,
                                            std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::size_t done = 0;
  while (done < size) {
    if (auto ready = wait_readable(fd, deadline); !ready) return ready;
    iovec io{data + done, size - done};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    if (passed_fd) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
    }
    const ssize_t got = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::unexpected(std::string("recvmsg: ") + std::strerror(errno));
    if (got == 0) return std::unexpected("closed");
    if (passed_fd) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(passed_fd, CMSG_DATA(c), sizeof(int));
      passed_fd = nullptr;  // descriptors only ride on the first chunk
    }
    done += static_cast<std::size_t>(got);
  }
  return {};
}

}  // namespace

std::expected<void, std::string> send(int fd, const nlohmann::json& message, int pass_fd) {
  const std::vector<std::uint8_t> body = nlohmann::json::to_cbor(message);
  if (body.size() > kMaxMessageBytes) return std::unexpected("message too large");
  const std::uint32_t length = static_cast<std::uint32_t>(body.size());
  std::string frame(reinterpret_cast<const char*>(&length), sizeof length);
  frame.append(reinterpret_cast<const char*>(body.data()), body.size());
  std::size_t done = 0;
  bool first = true;
  while (done < frame.size()) {
    iovec io{frame.data() + done, frame.size() - done};
    msghdr msg{};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (first && pass_fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    const ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) return std::unexpected(std::string("sendmsg: ") + std::strerror(errno));
    done += static_cast<std::size_t>(sent);
    first = false;
  }
  return {};
}

std::expected<Received, std::string> receive(int fd, std::optional<std::chrono::steady_clock::time_point> deadline) {
  Received received;
  std::uint32_t length = 0;
  if (auto header = read_exact(fd, reinterpret_cast<char*>(&length), sizeof length, &received.passed_fd, deadline);
      !header)
    return std::unexpected(header.error());
  if (length > kMaxMessageBytes) return std::unexpected("message too large");
  // Grown as the bytes arrive: a peer that announces a huge message but does not send
  // it cannot make us allocate the announced size.
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::string body;
  while (body.size() < length) {
    const std::size_t offset = body.size();
    body.resize(offset + std::min<std::size_t>(kChunk, length - offset));
    if (auto rest = read_exact(fd, body.data() + offset, body.size() - offset, nullptr, deadline); !rest)
      return std::unexpected(rest.error());
  }
  received.message = nlohmann::json::from_cbor(body, true, false);
  if (received.message.is_discarded()) return std::unexpected("malformed message");
  return received;
}

}  // namespace vivarium::server::ipc
