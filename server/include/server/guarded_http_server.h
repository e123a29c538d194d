// httplib::Server with what Debian's compiled cpp-httplib 0.11.4 lacks for hostile
// clients (see docs/http-server.md): a deadline for the headers, the body and the
// response of each request, an idle keep-alive timeout, a connection cap answered with
// 503 + Retry-After, a few reserved connections for /health past that cap, a listen
// backlog sized for bursts, and internal errors that never leak through headers.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

namespace vivarium::server {

struct HttpLimits {
  std::chrono::milliseconds header_timeout{10000};     // request line + headers, from the first byte
  std::chrono::milliseconds body_timeout{60000};       // the whole body, once the headers are in
  std::chrono::milliseconds write_timeout{30000};      // the whole response
  std::chrono::milliseconds keep_alive_timeout{5000};  // waiting for a request on an open connection
  std::size_t max_connections = 1024;
  std::uint64_t max_body_size = std::uint64_t{50} << 20;
};

// Past max_connections, this many more connections are served one request each, under
// kReservedDeadline from accept to the last byte written: GET on a reserved path is
// answered, anything else gets 503. Past those, 503 is written at once from the accept
// thread. 16 x 1 s bounds what a flood can hold while /health still answers.
inline constexpr std::size_t kReservedConnections = 16;
inline constexpr std::chrono::milliseconds kReservedDeadline{1000};
inline constexpr int kRetryAfterSeconds = 1;
// Linux caps this at net.core.somaxconn (4096 since 5.4). httplib's fixed 5 reset
// connections in bursts.
inline constexpr int kListenBacklog = 4096;

class GuardedHttpServer : public httplib::Server {
 public:
  explicit GuardedHttpServer(const HttpLimits& limits);
  ~GuardedHttpServer() override;

  // GET paths still answered on reserved connections past the connection cap.
  void set_reserved_paths(std::set<std::string> paths) { reserved_paths_ = std::move(paths); }
  // Call after bind_to_port: marks the listening socket close-on-exec and widens its
  // backlog. False when the socket is not there.
  bool prepare_listening_socket();

  // For handlers, on their own connection's thread: the body was left unread (a limit
  // was hit), so the connection ends after this response.
  static void close_after_response();
  // For handlers, on their own connection's thread: this response is a stream (SSE),
  // so each write gets the write timeout of its own instead of the whole response.
  static void stream_response();
  // When the current request's first byte arrived (for the request log).
  static std::chrono::steady_clock::time_point request_started();

  // Runs before routing on every request a reserved connection does not refuse (the
  // auth gate, server/auth_gate.h). What it leaves in `hold` lives until the response is
  // written, streams included, so a slot it takes is given back only then.
  using RequestGate =
      std::function<HandlerResponse(const httplib::Request&, httplib::Response&, std::shared_ptr<void>& hold)>;
  void set_request_gate(RequestGate gate) { gate_ = std::move(gate); }

  std::size_t open_connections() const { return open_connections_.load(); }

 private:
  bool process_and_close_socket(socket_t sock) override;
  void serve_connection(int sock, bool reserved);
  void stop_connections();

  const HttpLimits limits_;
  std::set<std::string> reserved_paths_ = {"/health"};
  RequestGate gate_;
  int stop_fd_ = -1;  // an eventfd, readable once the server stops
  std::atomic<std::size_t> open_connections_{0};
  std::atomic<std::size_t> reserved_in_use_{0};
};

}  // namespace vivarium::server
