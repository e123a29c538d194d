// An httplib::Stream over one accepted socket whose reads and writes end at fixed
// deadlines. httplib's own SocketStream restarts its timeout with every byte, so a
// client dripping one byte every few seconds held a thread forever (measured: 64 such
// clients made /health unreachable). Here each phase of a request gets one deadline
// that no amount of trickling extends.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>

namespace vivarium::server {

class DeadlineStream final : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  // `stop_fd` becomes readable when the server stops: waits end early then.
  DeadlineStream(int socket, int stop_fd, std::uint64_t max_raw_body_bytes);

  // Waits up to `idle` for the first byte of the next request (keep-alive or a fresh
  // connection); false when none came, the peer closed, or the server is stopping.
  bool wait_for_request(std::chrono::milliseconds idle);
  // The request line and headers must be complete within `timeout` of this call.
  void start_headers(std::chrono::milliseconds timeout);
  // The body must be complete within `timeout` of this call (made once headers are in).
  void start_body(std::chrono::milliseconds timeout);
  // The first write after reading starts the response deadline.
  void set_write_timeout(std::chrono::milliseconds timeout) { write_timeout_ = timeout; }
  // For the rest of this response each write gets the write timeout of its own: a
  // stream (SSE) may last as long as an execution, but a client must keep reading.
  void restart_deadline_per_write() { deadline_per_write_ = true; }

  bool timed_out() const { return timed_out_; }
  bool failed() const { return failed_; }  // a deadline, a cap or a socket error ended it

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return socket_; }

 private:
  enum class Wait { ready, expired, stopped, error };
  // Reads give up when the server stops; writes do not, so in-flight answers go out.
  Wait wait(short events, Clock::time_point deadline) const;

  int socket_;
  int stop_fd_;
  std::uint64_t max_raw_body_bytes_;
  bool reading_body_ = false;
  std::uint64_t raw_body_bytes_ = 0;
  Clock::time_point read_deadline_;
  Clock::time_point write_deadline_;
  std::chrono::milliseconds write_timeout_{30000};
  bool writing_ = false;
  bool deadline_per_write_ = false;
  bool timed_out_ = false;
  bool failed_ = false;
  // Like SocketStream: one recv() fills this, and the header parser's one-byte reads
  // are served from it.
  char buffer_[4096];
  size_t buffer_begin_ = 0;
  size_t buffer_end_ = 0;
};

}  // namespace vivarium::server
