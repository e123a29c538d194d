#include "server/deadline_stream.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vivarium::server {
namespace {

int milliseconds_until(DeadlineStream::Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - DeadlineStream::Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

void address_of(int socket, bool remote, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  const int rc = remote ? ::getpeername(socket, reinterpret_cast<sockaddr*>(&address), &length)
                        : ::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

}  // namespace

DeadlineStream::DeadlineStream(int socket, int stop_fd, std::uint64_t max_raw_body_bytes)
    : socket_(socket), stop_fd_(stop_fd), max_raw_body_bytes_(max_raw_body_bytes) {
  read_deadline_ = write_deadline_ = Clock::now();
}

DeadlineStream::Wait DeadlineStream::wait(short events, Clock::time_point deadline) const {
  for (;;) {
    pollfd fds[2] = {{socket_, events, 0}, {stop_fd_, POLLIN, 0}};
    const bool watch_stop = stop_fd_ >= 0 && events == POLLIN;
    const int ready = ::poll(fds, watch_stop ? 2 : 1, milliseconds_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Wait::error;
    if (ready == 0) return Wait::expired;
    if (fds[0].revents & (events | POLLHUP | POLLERR)) return Wait::ready;  // recv/send tell errors apart
    if (fds[1].revents) return Wait::stopped;
  }
}

bool DeadlineStream::wait_for_request(std::chrono::milliseconds idle) {
  writing_ = false;
  deadline_per_write_ = false;
  reading_body_ = false;
  if (buffer_begin_ < buffer_end_) return true;  // a pipelined request is already here
  if (wait(POLLIN, Clock::now() + idle) != Wait::ready) return false;
  char byte;
  const ssize_t n = ::recv(socket_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0;  // 0: the peer closed; < 0: reset
}

void DeadlineStream::start_headers(std::chrono::milliseconds timeout) { read_deadline_ = Clock::now() + timeout; }

void DeadlineStream::start_body(std::chrono::milliseconds timeout) {
  read_deadline_ = Clock::now() + timeout;
  reading_body_ = true;
  raw_body_bytes_ = 0;
}

bool DeadlineStream::is_readable() const {
  return buffer_begin_ < buffer_end_ || (!failed_ && wait(POLLIN, read_deadline_) == Wait::ready);
}

bool DeadlineStream::is_writable() const { return !failed_ && wait(POLLOUT, write_deadline_) == Wait::ready; }

ssize_t DeadlineStream::read(char* ptr, size_t size) {
  if (buffer_begin_ == buffer_end_) {
    if (failed_) return -1;
    for (;;) {
      const Wait state = wait(POLLIN, read_deadline_);
      if (state != Wait::ready) {
        timed_out_ = state == Wait::expired;
        failed_ = true;
        return -1;
      }
      const ssize_t n = ::recv(socket_, buffer_, sizeof buffer_, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n < 0) {
        failed_ = true;
        return -1;
      }
      if (n == 0) return 0;
      buffer_begin_ = 0;
      buffer_end_ = static_cast<size_t>(n);
      break;
    }
  }
  const size_t n = std::min(size, buffer_end_ - buffer_begin_);
  if (reading_body_) {
    // A backstop for bodies that no handler counts (httplib reads chunked bodies of
    // other routes whole, with no limit): the raw bytes, framing included.
    raw_body_bytes_ += n;
    if (raw_body_bytes_ > max_raw_body_bytes_) {
      failed_ = true;
      return -1;
    }
  }
  std::memcpy(ptr, buffer_ + buffer_begin_, n);
  buffer_begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t DeadlineStream::write(const char* ptr, size_t size) {
  if (!writing_ || deadline_per_write_) {
    writing_ = true;
    write_deadline_ = Clock::now() + write_timeout_;
  }
  if (failed_) return -1;
  for (;;) {
    const Wait state = wait(POLLOUT, write_deadline_);
    if (state != Wait::ready) {
      timed_out_ = state == Wait::expired;
      failed_ = true;
      return -1;
    }
    // Non-blocking: a blocking send() of a large buffer would wait for all of it,
    // past the deadline, for a client that reads slowly.
    const ssize_t n = ::send(socket_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) failed_ = true;
    return n;
  }
}

void DeadlineStream::get_remote_ip_and_port(std::string& ip, int& port) const { address_of(socket_, true, ip, port); }

void DeadlineStream::get_local_ip_and_port(std::string& ip, int& port) const { address_of(socket_, false, ip, port); }

}  // namespace vivarium::server
