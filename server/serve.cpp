#include "server/serve.h"

#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "log/logger.h"
#include "packages/boot_setup.h"
#include "packages/packages.h"
#include "server/exec_reply.h"
#include "server/guarded_http_server.h"
#include "server/http_body.h"
#include "server/log_escape.h"
#include "server/result_json.h"
#include "server/routes.h"
#include "server/session_options.h"
#include "units/units.h"

namespace vivarium::server {

using units::format_size;
namespace {

using packages::BootSetup;
using packages::missing_packages_warning;
using packages::prepare_boot;
using packages::skipped_wheels_warning;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr auto kShutdownGrace = std::chrono::seconds(10);

HttpLimits http_limits(const ServerConfig& config) {
  return {config.header_timeout,
          config.body_timeout,
          config.write_timeout,
          config.keep_alive_timeout,
          static_cast<std::size_t>(config.max_connections),
          config.max_body_size};
}

// Every connection holds a descriptor: the default soft limit of 1024 would end
// --max-connections 1024 early, with accept() failing. The hard limit is ours to use.
void raise_descriptor_limit(int max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kReservedConnections + 256;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted)
    log::warn("open files are limited to " + std::to_string(limit.rlim_cur) + ", fewer than --max-connections " +
              std::to_string(max_connections) + " needs; raise `ulimit -n`");
}

class Server {
 public:
  // The zygote gets the very folders that `setup` located, and the server serves the
  // same wheels to sessions.
  Server(const ServerConfig& config, const std::filesystem::path& executable, const BootSetup& setup)
      : config_(config),
        setup_(setup),
        service_(session_service_options(config, executable, setup)),
        http_(http_limits(config)) {}

  int run();

 private:
  void install_routes();
  void shutdown_watch();
  void handle_signals(sigset_t signals);

  const ServerConfig& config_;
  const BootSetup& setup_;
  sessions::SessionService service_;
  GuardedHttpServer http_;
  std::atomic<bool> stopping_{false};     // a signal asked us to stop
  std::atomic<bool> listen_done_{false};  // no request is in flight any more
  Clock::time_point stop_requested_at_;
  std::mutex stop_mutex_;
  std::condition_variable stop_condition_;
};

void Server::install_routes() {
  http_.set_keep_alive_max_count(1000);
  // httplib writes headers and body separately: without TCP_NODELAY every response on a
  // kept-alive connection waits ~40 ms for Nagle's algorithm and delayed ACKs.
  http_.set_tcp_nodelay(true);
  // Which instance answered, behind a load balancer (INSTANCE_ID): on every reply.
  if (!config_.instance_id.empty()) http_.set_default_headers({{"X-Vivarium-Instance", config_.instance_id}});

  http_.set_logger([](const httplib::Request& request, const httplib::Response& response) {
    const auto ms =
        std::chrono::duration<double, std::milli>(Clock::now() - GuardedHttpServer::request_started()).count();
    std::string session = request.get_param_value("sessionId");
    if (session.empty() && request.path.starts_with("/sessions/")) session = request.path.substr(10);
    if (session.empty()) session = request.get_header_value("Mcp-Session-Id");
    char line[96];
    std::snprintf(line, sizeof line, " %d %.1fms", response.status, ms);
    // The path is URL-decoded: "%0a" in it would otherwise start a forged log line.
    log::info(escape_for_log(request.method) + " " + escape_for_log(request.path) +
              (session.empty() ? "" : " session=" + escape_for_log(session)) + line);
  });
  // Answers httplib's own errors (413 body too large, 400 malformed, 404) in API form.
  http_.set_error_handler([this](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    if (response.status == 413)
      reply(response, 413,
            error_body("resource_limit",
                       "request body is larger than the limit of " + format_size(config_.max_body_size)));
    else if (response.status == 404)
      reply(response, 404, error_body("not_found", "no such endpoint"));
    else
      reply(response, response.status, error_body("validation", "malformed HTTP request"));
  });

  const RouteContext context{http_, service_, config_};
  install_exec_routes(context);
  install_session_routes(context);
  install_mcp_routes(context);
  install_terrarium_routes(context);
  install_openapi_routes(context);
}

// In-flight executions get a grace period after a stop signal; then their processes
// die, ending them.
void Server::shutdown_watch() {
  std::unique_lock lock(stop_mutex_);
  stop_condition_.wait(lock, [&] { return listen_done_ || stopping_; });
  if (listen_done_) return;
  if (!stop_condition_.wait_until(lock, stop_requested_at_ + kShutdownGrace, [&] { return listen_done_.load(); })) {
    log::warn("shutdown grace period over: killing the sessions still running");
    service_.end_all_sessions();
  }
}

void Server::handle_signals(sigset_t signals) {
  int signal_number = 0;
  ::sigwait(&signals, &signal_number);
  log::info(std::string("received ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT") +
            ": finishing in-flight executions, then stopping");
  {
    std::lock_guard lock(stop_mutex_);
    stop_requested_at_ = Clock::now();
    stopping_ = true;
  }
  stop_condition_.notify_all();
  http_.stop();
}

int Server::run() {
  // Orphaned session processes (a dead zygote's children) come back to us to be reaped.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it
  ::signal(SIGPIPE, SIG_IGN);

  if (auto started = service_.start(); !started) {
    log::error(started.error());
    return 1;
  }
  if (auto warning = missing_packages_warning(service_.missing_preloads(), setup_.packages_dir); !warning.empty())
    log::warn(warning);
  if (auto warning = skipped_wheels_warning(setup_.skipped_wheels, setup_.wheels_dir); !warning.empty())
    log::warn(warning);

  install_routes();
  raise_descriptor_limit(config_.max_connections);
  int port = config_.port;
  if (port == 0) {
    port = http_.bind_to_any_port(config_.host);
  } else if (!http_.bind_to_port(config_.host, port)) {
    port = -1;
  }
  if (port < 0) {
    log::error("cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
               " (address in use, or not an address of this machine)");
    return 1;
  }
  if (!http_.prepare_listening_socket()) log::warn("could not widen the listen backlog: bursts may be refused");
  // Said at every log level: what it enforces, then how to reach it. "listening" comes
  // last, because whoever waits for it (a test, a supervisor) reads the log up to it.
  log::always("limits: " + describe(config_));
  log::always("listening on http://" + config_.host + ":" + std::to_string(port));

  std::thread signal_thread([this, signals] { handle_signals(signals); });
  std::thread background([this] { shutdown_watch(); });
  http_.listen_after_bind();  // returns after stop(), once in-flight handlers finished

  {
    std::lock_guard lock(stop_mutex_);
    listen_done_ = true;
  }
  stop_condition_.notify_all();
  background.join();
  service_.stop();
  if (signal_thread.joinable()) {
    // A stop that did not come from a signal: wake the signal thread so it can end.
    ::kill(::getpid(), SIGTERM);
    signal_thread.join();
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  log::info("stopped");
  return 0;
}

}  // namespace

int serve(const ServerConfig& config, const std::filesystem::path& executable) {
  log::set_level(config.log_level);
  // Located once here; the zygote gets the very same folders.
  auto setup =
      prepare_boot({config.assets_dir, config.cache_dir, config.packages_dir, config.wheels_dir, config.preload,
                    /*measure_wheels=*/false});
  if (!setup) {
    log::error(setup.error().message);
    return 1;
  }
  Server server(config, executable, *setup);
  return server.run();
}

}  // namespace vivarium::server
