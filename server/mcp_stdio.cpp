#include "server/mcp_stdio.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <thread>

#include "log/logger.h"
#include "packages/boot_setup.h"
#include "packages/packages.h"
#include "server/mcp_http_sessions.h"
#include "server/mcp_jsonrpc.h"
#include "server/mcp_outgoing_queue.h"
#include "server/mcp_session.h"
#include "server/session_options.h"
#include "units/units.h"

namespace vivarium::server {
namespace {

using namespace mcp;

// tools/call requests wait here, in arrival order, for the one thread that runs them,
// so that ping and cancellations are answered while one runs; past this many waiting
// calls, stdin is not read until one ends.
constexpr std::size_t kMaxCallsWaiting = 16;

// The MCP stream gets descriptors of its own; 0 becomes /dev/null and 1 a copy of
// stderr, so that nothing else in this process or its children can read the client's
// messages or write into the stream.
struct StdioChannel {
  int in = -1, out = -1;
};
StdioChannel take_over_stdio() {
  StdioChannel channel{::fcntl(0, F_DUPFD_CLOEXEC, 3), ::fcntl(1, F_DUPFD_CLOEXEC, 3)};
  ::dup2(2, 1);
  if (int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC); null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::close(null_fd);
  }
  return channel;
}

// Writes each message as one line, in order; a client that went away costs nothing.
void write_messages(int fd, OutgoingQueue& queue) {
  bool broken = false;
  while (!queue.closed()) {
    auto next = queue.pop(std::chrono::seconds(1));
    if (!next || broken) continue;
    next->text += '\n';
    std::string_view left = next->text;
    while (!left.empty()) {
      const ssize_t n = ::write(fd, left.data(), left.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken = true;
        break;
      }
      left.remove_prefix(static_cast<std::size_t>(n));
    }
  }
}

// The tools/call requests not started yet, first come first served.
class CallQueue {
 public:
  void push(Message message) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_.size() < kMaxCallsWaiting; });
    waiting_.push_back(std::move(message));
    changed_.notify_all();
  }
  // A cancelled request that has not started is dropped: it gets no response.
  bool cancel(const json& id) {
    std::lock_guard lock(mutex_);
    const auto erased = std::erase_if(waiting_, [&](const Message& m) { return m.id == id; });
    changed_.notify_all();
    return erased > 0;
  }
  // The next call, or nothing once closed and empty.
  std::optional<Message> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !waiting_.empty() || closed_; });
    if (waiting_.empty()) return std::nullopt;
    Message next = std::move(waiting_.front());
    waiting_.pop_front();
    changed_.notify_all();
    return next;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Message> waiting_;
  bool closed_ = false;
};

class StdioServer {
 public:
  StdioServer(const ServerConfig& config, sessions::SessionService& service)
      : config_(config),
        session_id_(new_session_id()),
        session_({{config.max_output_size, config.execution_timeout}, VIVARIUM_VERSION},
                 {[&service, id = session_id_](const sessions::ExecInput& input) {
                    return service.executor().execute(id, input);
                  },
                  [&service, id = session_id_] { service.executor().interrupt(id); }}) {}

  // Reads messages until stdin closes, then waits for the calls still running.
  void run(StdioChannel channel);

 private:
  void dispatch(std::string_view line);
  void run_calls();

  const ServerConfig& config_;
  const std::string session_id_;
  Session session_;
  OutgoingQueue outgoing_;
  CallQueue calls_;
};

void StdioServer::dispatch(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  auto parsed = parse_message(line, static_cast<std::size_t>(config_.max_json_depth));
  if (!parsed) return outgoing_.push_response(parsed.error());
  auto message = to_message(*parsed);
  if (!message) return outgoing_.push_response(message.error());
  if (message->kind == Message::Kind::request && message->method == "tools/call")
    return calls_.push(std::move(*message));
  if (message->kind == Message::Kind::notification && message->method == "notifications/cancelled")
    if (auto id = message->params.find("requestId"); id != message->params.end() && calls_.cancel(*id)) return;
  if (auto answer = session_.handle(*message, {})) outgoing_.push_response(*answer);
}

void StdioServer::run_calls() {
  auto notify = [this](const json& note) { outgoing_.push_notification(note); };
  while (auto message = calls_.pop()) {
    try {
      if (auto answer = session_.handle(*message, notify)) outgoing_.push_response(*answer);
    } catch (const std::exception& e) {
      log::error(std::string("internal error in an MCP tools/call: ") + e.what());
      outgoing_.push_response(error_response(message->id, error_code::internal_error,
                                             "Internal error: the server failed to answer; the detail is on stderr"));
    }
  }
}

void StdioServer::run(StdioChannel channel) {
  std::thread writer([&] { write_messages(channel.out, outgoing_); });
  std::thread caller([&] { run_calls(); });
  const std::size_t max_line = config_.max_body_size;
  std::string buffer;
  bool skipping = false;  // inside a line longer than the limit
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(channel.in, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view data(chunk, static_cast<std::size_t>(n));
    while (!data.empty()) {
      const auto newline = data.find('\n');
      const auto piece = data.substr(0, newline);
      if (!skipping) buffer.append(piece);
      if (!skipping && buffer.size() > max_line) {
        skipping = true;
        buffer.clear();
        buffer.shrink_to_fit();
        outgoing_.push_response(error_response(nullptr, error_code::invalid_request,
                                               "Invalid Request: a message is larger than the limit of " +
                                                   units::format_size(max_line) + " (--max-body-size)"));
      }
      if (newline == std::string_view::npos) break;
      if (!skipping) dispatch(buffer);
      buffer.clear();
      skipping = false;
      data.remove_prefix(newline + 1);
    }
  }
  if (!skipping && !buffer.empty()) dispatch(buffer);  // a last message without its newline
  calls_.close();                                      // the calls already received still run and are answered
  caller.join();
  outgoing_.close();
  writer.join();
  log::info("stdin closed: ending session " + session_id_);
}

// The settings that apply to one session on stdio (no HTTP, no idle expiry).
std::string describe_limits(const ServerConfig& config) {
  char timeout[32];
  std::snprintf(timeout, sizeof timeout, "%g s", static_cast<double>(config.execution_timeout.count()) / 1000);
  return std::string("execution timeout ") + timeout + ", memory " + units::format_size(config.memory_limit) +
         " (process " + units::format_size(config.process_memory_limit) + "), output " +
         units::format_size(config.max_output_size) + " per stream, output files " +
         units::format_size(config.max_output_files_size) + " in at most " + std::to_string(config.max_output_files) +
         " files, messages up to " + units::format_size(config.max_body_size);
}

}  // namespace

int serve_mcp_stdio(const ServerConfig& given, const std::filesystem::path& executable) {
  log::set_level(given.log_level);
  // The session lives as long as the client keeps stdin open, however idle.
  ServerConfig config = given;
  config.session_timeout = std::chrono::hours(24 * 365 * 100);
  // One session for the life of the process: a spare would only hold memory (a first
  // call from a model arrives seconds after the start, and a fork takes milliseconds).
  config.spare_sessions = 0;
  const auto channel = take_over_stdio();
  if (channel.in < 0 || channel.out < 0) {
    log::error("vivarium mcp needs stdin and stdout: start it from an MCP client, which gives it pipes");
    return 1;
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it

  auto setup = packages::prepare_boot({config.assets_dir, config.cache_dir, config.packages_dir, config.wheels_dir,
                                       config.preload, /*measure_wheels=*/false});
  if (!setup) {
    log::error(setup.error().message);
    return 1;
  }
  sessions::SessionService service(session_service_options(config, executable, *setup));
  if (auto started = service.start(); !started) {
    log::error(started.error());
    return 1;
  }
  if (auto warning = packages::missing_packages_warning(service.missing_preloads(), setup->packages_dir);
      !warning.empty())
    log::warn(warning);
  if (auto warning = packages::skipped_wheels_warning(setup->skipped_wheels, setup->wheels_dir); !warning.empty())
    log::warn(warning);

  // A signal ends the session's process and the zygote at once, and the program.
  std::atomic<bool> finished{false};
  std::thread signal_thread([&service, &finished, signals] {
    int signal_number = 0;
    ::sigwait(&signals, &signal_number);
    if (finished) return;
    log::info("received a signal: ending the session");
    service.stop();
    std::_Exit(0);
  });

  StdioServer server(config, service);
  log::always("limits: " + describe_limits(config));
  log::always("MCP on stdio: ready");
  server.run(channel);
  service.stop();
  finished = true;
  ::kill(::getpid(), SIGTERM);  // wakes the signal thread, which now just ends
  signal_thread.join();
  return 0;
}

}  // namespace vivarium::server
