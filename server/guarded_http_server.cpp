#include "server/guarded_http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "log/logger.h"
#include "server/connection_task_queue.h"
#include "server/deadline_stream.h"
#include "server/log_escape.h"
#include "server/request_id.h"

namespace vivarium::server {
namespace {

using Clock = std::chrono::steady_clock;

struct ConnectionState {
  DeadlineStream* stream = nullptr;
  bool reserved = false;
  bool close_after = false;
  std::shared_ptr<void> gate_hold;  // what the request gate keeps until the response is written
  Clock::time_point request_started = Clock::now();
};
thread_local ConnectionState* t_connection = nullptr;

std::string error_json(const char* type, const std::string& message) {
  return nlohmann::json{{"success", false}, {"error", {{"type", type}, {"message", message}}}}.dump();
}

const std::string& over_capacity_message() {
  static const std::string message =
      error_json("resource_limit", "the server has its maximum of open connections; retry after " +
                                       std::to_string(kRetryAfterSeconds) + " s or reuse a kept-alive connection");
  return message;
}

// Past every thread: one non-blocking write from the accept thread, which must never
// wait. A fresh socket's send buffer always takes these few hundred bytes.
void answer_over_capacity_now(int sock) {
  const std::string& body = over_capacity_message();
  const std::string response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: " +
                               std::to_string(kRetryAfterSeconds) + "\r\nX-Request-Id: " + new_request_id() +
                               "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                               body;
  (void)!::send(sock, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(sock, SHUT_WR);
  char scratch[4096];
  while (::recv(sock, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
  }
}

// Closing with unread input sends a reset, which can destroy the answer (a 413, a 503)
// before the client reads it: send FIN, then discard what still comes, for a bounded
// time, like nginx's lingering close.
void linger_and_close(int sock) {
  ::shutdown(sock, SHUT_WR);
  const auto deadline = Clock::now() + std::chrono::milliseconds(1000);
  char scratch[16384];
  std::uint64_t discarded = 0;
  while (discarded < (std::uint64_t{4} << 20)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd fd{sock, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t n = ::recv(sock, scratch, sizeof scratch, MSG_DONTWAIT);
    if (n <= 0) break;
    discarded += static_cast<std::uint64_t>(n);
  }
  ::close(sock);
}

}  // namespace

GuardedHttpServer::GuardedHttpServer(const HttpLimits& limits) : limits_(limits) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  const std::size_t max_threads = limits_.max_connections + kReservedConnections;
  new_task_queue = [this, max_threads] { return new ConnectionTaskQueue(max_threads, [this] { stop_connections(); }); };
  set_payload_max_length(limits_.max_body_size);
  // Only what httplib's Keep-Alive response header announces; our loop enforces it.
  set_keep_alive_timeout(
      std::max<time_t>(1, std::chrono::ceil<std::chrono::seconds>(limits_.keep_alive_timeout).count()));

  set_socket_options([](socket_t sock) {
    httplib::default_socket_options(sock);  // SO_REUSEADDR, as before
    ::fcntl(sock, F_SETFD, FD_CLOEXEC);     // no zygote or session inherits the listening socket
  });

  // Past the connection cap, a reserved connection answers only its reserved paths.
  set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    if (t_connection != nullptr && t_connection->reserved &&
        !(request.method == "GET" && reserved_paths_.contains(request.path))) {
      response.status = 503;
      response.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
      response.set_content(over_capacity_message(), "application/json");
      return HandlerResponse::Handled;
    }
    if (!gate_) return HandlerResponse::Unhandled;
    // What the gate decides is held by the connection for the routes to read: without
    // one, a route would run with no caller at all, so refuse rather than fail open.
    if (t_connection == nullptr) {
      response.status = 500;
      response.set_content(
          error_json("internal", "the server failed to answer this request; the detail is in the server log"),
          "application/json");
      log::error("a request reached the gate outside a guarded connection; refused");
      return HandlerResponse::Handled;
    }
    return gate_(request, response, t_connection->gate_hold);
  });

  // Without this, httplib answers 500 with the exception's text in an EXCEPTION_WHAT
  // header. The detail goes to the log only.
  set_exception_handler([](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
    std::string what = "an unknown exception";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::error("internal error answering " + escape_for_log(request.method) + " " + escape_for_log(request.path) +
               ": " + escape_for_log(what));
    response.status = 500;
    response.headers.clear();
    response.set_header("Connection", "close");
    response.set_content(
        error_json("internal", "the server failed to answer this request; the detail is in the server log"),
        "application/json");
    if (t_connection != nullptr) t_connection->close_after = true;
  });
}

GuardedHttpServer::~GuardedHttpServer() {
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

bool GuardedHttpServer::prepare_listening_socket() {
  const int sock = svr_sock_;
  if (sock < 0) return false;
  ::fcntl(sock, F_SETFD, FD_CLOEXEC);
  // Calling listen() again on a listening socket only changes its backlog.
  return ::listen(sock, kListenBacklog) == 0;
}

void GuardedHttpServer::close_after_response() {
  if (t_connection != nullptr) t_connection->close_after = true;
}

void GuardedHttpServer::stream_response() {
  if (t_connection != nullptr && !t_connection->reserved) t_connection->stream->restart_deadline_per_write();
}

std::chrono::steady_clock::time_point GuardedHttpServer::request_started() {
  return t_connection != nullptr ? t_connection->request_started : Clock::now();
}

void GuardedHttpServer::stop_connections() {
  const std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  // accept() in httplib does not set it; this narrows the window a fork+exec could inherit it.
  ::fcntl(sock, F_SETFD, FD_CLOEXEC);
  if (ConnectionTaskQueue::running_inline()) {
    answer_over_capacity_now(sock);
    ::close(sock);
    return true;
  }
  if (open_connections_.fetch_add(1) < limits_.max_connections) {
    serve_connection(sock, false);
    open_connections_.fetch_sub(1);
    return true;
  }
  open_connections_.fetch_sub(1);
  if (reserved_in_use_.fetch_add(1) < kReservedConnections) {
    serve_connection(sock, true);
  } else {
    answer_over_capacity_now(sock);
    ::close(sock);
  }
  reserved_in_use_.fetch_sub(1);
  return true;
}

void GuardedHttpServer::serve_connection(int sock, bool reserved) {
  // Raw body bytes, chunk framing included: a backstop for routes whose bodies httplib
  // reads whole. /exec counts its decoded body against max_body_size itself.
  DeadlineStream stream(sock, stop_fd_, 2 * limits_.max_body_size + (std::uint64_t{64} << 10));
  ConnectionState state;
  state.reserved = reserved;
  state.stream = &stream;
  t_connection = &state;
  const auto idle = reserved ? kReservedDeadline : limits_.keep_alive_timeout;
  const auto headers = reserved ? kReservedDeadline : limits_.header_timeout;
  const auto body = reserved ? kReservedDeadline : limits_.body_timeout;
  stream.set_write_timeout(reserved ? kReservedDeadline : limits_.write_timeout);

  bool clean = true;  // ended by the client or at a request boundary: nothing left unread
  for (std::size_t served = 0;; ++served) {
    if (!stream.wait_for_request(idle)) break;
    state.request_started = Clock::now();
    state.close_after = false;
    stream.start_headers(headers);
    const bool last = reserved || served + 1 >= keep_alive_max_count_;
    bool client_closes = false;
    bool written = false;
    try {
      written = process_request(stream, last, client_closes, [&stream, body](httplib::Request& request) {
        // RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has no
        // body. httplib reads a POST's body until the connection closes instead, so
        // `curl -X POST .../interrupt` waited the whole body timeout.
        if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding"))
          request.headers.emplace("Content-Length", "0");
        stream.start_body(body);
      });
    } catch (const std::exception& e) {  // outside routing: httplib's own parsing ran out of memory
      log::error(std::string("internal error reading a request: ") + escape_for_log(e.what()));
      written = false;
    }
    state.gate_hold.reset();
    if (!written || stream.failed() || state.close_after) {
      clean = false;
      break;
    }
    if (last || client_closes) break;
  }
  t_connection = nullptr;
  if (reserved) clean = false;  // its request may have had a body that nobody read
  if (clean) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  } else {
    linger_and_close(sock);
  }
}

}  // namespace vivarium::server
