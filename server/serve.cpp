#include "server/serve.h"

#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>

#include "log/logger.h"
#include "packages/boot_setup.h"
#include "packages/packages.h"
#include "server/auth_gate.h"
#include "server/exec_reply.h"
#include "server/guarded_http_server.h"
#include "server/http_body.h"
#include "server/log_escape.h"
#include "server/request_id.h"
#include "server/result_json.h"
#include "server/route_pattern.h"
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

sessions::SessionServiceOptions counted_in(sessions::SessionServiceOptions options, metrics::Metrics& metrics) {
  options.metrics = &metrics;
  return options;
}

class Server {
 public:
  // The zygote gets the very folders that `setup` located, and the server serves the
  // same wheels to sessions.
  Server(const ServerConfig& config, const std::filesystem::path& executable, const BootSetup& setup,
         std::unique_ptr<AuthGate> gate)
      : config_(config),
        setup_(setup),
        gate_(std::move(gate)),
        service_(counted_in(session_service_options(config, executable, setup), metrics_)),
        http_(http_limits(config)) {}

  int run();

 private:
  void install_routes();
  void shutdown_watch();
  void handle_signals(sigset_t signals);

  const ServerConfig& config_;
  const BootSetup& setup_;
  metrics::Metrics metrics_;  // before the service, which counts into it
  std::unique_ptr<AuthGate> gate_;
  sessions::SessionService service_;
  GuardedHttpServer http_;
  std::atomic<bool> stopping_{false};  // a signal asked us to stop
  std::atomic<Readiness> readiness_{Readiness::booting};
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

  // httplib runs this for every reply it writes, after the handler, the pre-routing gate
  // or the error handler, and before the headers go out (streams included).
  // Counted here rather than in the logger, which httplib calls after the reply is
  // written: a client that scrapes right after its reply must see that reply counted.
  http_.set_post_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    response.set_header("X-Request-Id", request_id_for(request.get_header_value("X-Request-Id")));
    metrics_.http_request(route_pattern(request.path), response.status);
  });
  http_.set_logger([](const httplib::Request& request, const httplib::Response& response) {
    const auto ms =
        std::chrono::duration<double, std::milli>(Clock::now() - GuardedHttpServer::request_started()).count();
    std::string session = request.get_param_value("sessionId");
    if (session.empty() && request.path.starts_with("/sessions/")) session = request.path.substr(10);
    if (session.empty()) session = request.get_header_value("Mcp-Session-Id");
    const std::string request_id = response.get_header_value("X-Request-Id");
    char line[96];
    std::snprintf(line, sizeof line, " %d %.1fms", response.status, ms);
    // The path is URL-decoded: "%0a" in it would otherwise start a forged log line.
    nlohmann::json fields = {{"method", request.method},
                             {"path", request.path},
                             {"status", response.status},
                             {"ms", std::round(ms * 10) / 10},
                             {"request_id", request_id}};
    if (!session.empty()) fields["session"] = session;
    log::write(log::LogLevel::info,
               escape_for_log(request.method) + " " + escape_for_log(request.path) +
                   (session.empty() ? "" : " session=" + escape_for_log(session)) + line + " request_id=" + request_id,
               fields);
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

  // The port opens before the zygote has booted (seconds), so that GET /ready can say
  // "booting". A request that needs a session waits for the boot (as a first request to a
  // slow server would), so that a client that polled /health, as the original vivarium's
  // clients do, is not refused.
  http_.set_request_gate(
      [this](const httplib::Request& request, httplib::Response& response, std::shared_ptr<void>& hold) {
        if (request.path != "/health" && request.path != "/ready" && request.path != "/openapi.json" &&
            request.path != "/metrics")
          readiness_.wait(Readiness::booting);  // notified once booted, or when the boot failed
        return gate_->check(request, response, hold);
      });
  const RouteContext context{http_, service_, config_};
  install_exec_routes(context);
  install_session_routes(context);
  install_mcp_routes(context);
  install_terrarium_routes(context);
  install_openapi_routes(context);
  install_metrics_routes(context, metrics_, readiness_);
  http_.set_reserved_paths({"/health", "/ready"});
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
  while (::sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    if (auto reloaded = gate_->reload())
      log::info("SIGHUP: reread the API key file, " + std::to_string(*reloaded) + " keys in force");
    else
      log::error("SIGHUP: " + reloaded.error());
  }
  // Both before the log line, which whoever waits for the stop reads: no new execution
  // begins, and GET /ready says "stopping" to whoever balances the load.
  readiness_ = Readiness::stopping;
  service_.executor().refuse_new();
  log::info(std::string("received ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT") +
            ": finishing in-flight executions, then stopping");
  {
    std::lock_guard lock(stop_mutex_);
    stop_requested_at_ = Clock::now();
    stopping_ = true;
  }
  stop_condition_.notify_all();
  // Still listening (/ready, 503 unavailable for new executions) until those under way
  // are done, or the grace period is over (shutdown_watch then kills them). Polled every
  // 20 ms: a stop is rare.
  while (service_.executor().running() > 0 && Clock::now() < stop_requested_at_ + kShutdownGrace)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  http_.stop();
}

int Server::run() {
  // Orphaned session processes (a dead zygote's children) come back to us to be reaped.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);                      // rereads the API key file
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it
  ::signal(SIGPIPE, SIG_IGN);

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
  // Served while the zygote boots: GET /ready says 503 "booting", the rest of the API waits
  // for the boot (the request gate above).
  std::thread http_thread([this] { http_.listen_after_bind(); });  // returns after stop()
  // stop() is a no-op until the loop runs: wait for it, so a failed boot can end it.
  while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto stop_http = [&] {
    http_.stop();
    http_thread.join();
  };
  if (auto started = service_.start(); !started) {
    log::error(started.error());
    service_.executor().refuse_new();  // the requests that waited get 503 unavailable
    readiness_ = Readiness::stopping;
    readiness_.notify_all();
    stop_http();
    return 1;
  }
  if (auto warning = missing_packages_warning(service_.missing_preloads(), setup_.packages_dir); !warning.empty())
    log::warn(warning);
  if (auto warning = skipped_wheels_warning(setup_.skipped_wheels, setup_.wheels_dir); !warning.empty())
    log::warn(warning);
  readiness_ = Readiness::ready;
  readiness_.notify_all();

  // Said at every log level: what it enforces, then how to reach it. "listening" comes
  // last, once code can run, because whoever waits for it (a test, a supervisor) reads
  // the log up to it.
  log::always("limits: " + describe(config_));
  log::always(gate_->has_keys()
                  ? "authentication: API keys from " + config_.api_keys_file->string() + " (SIGHUP rereads it)"
                  : std::string("authentication: none (no --api-keys)"));
  log::always("listening on http://" + config_.host + ":" + std::to_string(port));

  std::thread signal_thread([this, signals] { handle_signals(signals); });
  std::thread background([this] { shutdown_watch(); });
  http_thread.join();  // listen_after_bind returns after stop(), once in-flight handlers finished

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
  log::set_format(config.log_format);
  // The zygote and its sessions write a few lines of their own, in the same format.
  ::setenv("LOG_FORMAT", config.log_format == log::LogFormat::json ? "json" : "text", 1);
  // Secure by default: anyone who can reach a non-loopback address could run code.
  if (!config.api_keys_file && !config.allow_unauthenticated && !is_loopback_host(config.host)) {
    log::error("refusing to listen on " + config.host +
               " without API keys: give --api-keys FILE, or --allow-unauthenticated behind a proxy that authenticates");
    return 1;
  }
  auto gate = AuthGate::create(config);
  if (!gate) {
    log::error(gate.error());
    return 1;
  }
  // Located once here; the zygote gets the very same folders.
  auto setup =
      prepare_boot({config.assets_dir, config.cache_dir, config.packages_dir, config.wheels_dir, config.preload,
                    /*measure_wheels=*/false});
  if (!setup) {
    log::error(setup.error().message);
    return 1;
  }
  Server server(config, executable, *setup, std::move(*gate));
  return server.run();
}

}  // namespace vivarium::server
