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
#include "packages/package_reader.h"
#include "packages/packages.h"
#include "sandbox/layer_probe.h"
#include "server/exec_reply.h"
#include "server/exec_request.h"
#include "server/guarded_http_server.h"
#include "server/log_escape.h"
#include "server/result_json.h"
#include "sessions/executor.h"
#include "sessions/session_cgroups.h"
#include "sessions/zygote.h"
#include "units/units.h"

namespace vivarium::server {

using units::format_size;
namespace {

using packages::BootSetup;
using packages::missing_packages_warning;
using packages::prepare_boot;
using packages::skipped_wheels_warning;
using sessions::epoch_ms;
using sessions::Executor;
using sessions::kill_session_process;
using sessions::SessionCgroups;
using sessions::SessionRegistry;
using sessions::Zygote;
using sessions::ZygoteOptions;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr auto kShutdownGrace = std::chrono::seconds(10);

void reply(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(to_json_text(body), "application/json");
}

std::uint64_t resident_bytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

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

// The /exec body, read through httplib's content reader so that a chunked body counts
// against --max-body-size too (httplib checks only Content-Length). Not reserved from
// Content-Length: a client announcing 50 MB and sending nothing must cost nothing.
// An error is the 413 message, or empty when the body was cut short or malformed.
std::expected<std::string, std::string> read_body(const httplib::ContentReader& reader, httplib::Response& response,
                                                  std::uint64_t limit) {
  std::string body;
  bool over = false;
  const bool complete = reader([&](const char* data, std::size_t length) {
    if (body.size() + length > limit) {
      over = true;
      return false;
    }
    body.append(data, length);
    return true;
  });
  // httplib itself refuses a Content-Length over the limit, with status 413.
  if (over || response.status == 413)
    return std::unexpected("request body is larger than the limit of " + format_size(limit));
  if (!complete) return std::unexpected(std::string());
  return body;
}

sessions::ExecutorLimits executor_limits(const ServerConfig& config) {
  return {config.execution_timeout, config.max_output_size, config.max_output_files_size, config.max_output_files,
          config.max_sessions};
}

// The frame limits of both directions for this configuration (docs/wire-protocol.md).
sessions::FrameLimits session_frame_limits(const ServerConfig& config, const packages::BootSetup& setup) {
  const packages::PackageReader reader{setup.options.packages, setup.options.wheels};
  return sessions::frame_limits({config.max_body_size, reader.largest_wheel(), config.max_output_size,
                                 config.max_output_files_size, config.max_output_files});
}

class Server {
 public:
  // The zygote gets the very folders that `setup` located, and the server serves the
  // same wheels to sessions.
  Server(const ServerConfig& config, const std::filesystem::path& executable, BootSetup setup)
      : config_(config),
        setup_(std::move(setup)),
        registry_(config.max_sessions),
        zygote_(ZygoteOptions{executable, setup_.options.assets_dir, config.cache_dir, config.memory_limit,
                              setup_.packages_dir, setup_.wheels_dir, config.preload, config.sandbox_ids,
                              config.require_full_sandbox}),
        executor_(registry_, zygote_, &cgroups_, executor_limits(config),
                  packages::PackageReader{setup_.options.packages, setup_.options.wheels},
                  session_frame_limits(config, setup_)),
        http_(http_limits(config)) {}

  int run();

 private:
  void install_routes();
  void background_loop();
  void handle_signals(sigset_t signals);

  const ServerConfig& config_;
  const BootSetup setup_;
  SessionRegistry registry_;
  SessionCgroups cgroups_;  // before the zygote and the executor, which use it
  Zygote zygote_;
  Executor executor_;
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

  http_.set_logger([](const httplib::Request& request, const httplib::Response& response) {
    const auto ms =
        std::chrono::duration<double, std::milli>(Clock::now() - GuardedHttpServer::request_started()).count();
    std::string session = request.get_param_value("sessionId");
    if (session.empty() && request.path.starts_with("/sessions/")) session = request.path.substr(10);
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

  http_.Post("/exec", [this](const httplib::Request& request, httplib::Response& response,
                             const httplib::ContentReader& reader) {
    auto body = read_body(reader, response, config_.max_body_size);
    if (!body) {
      GuardedHttpServer::close_after_response();  // the rest of the body is still on its way
      response.set_header("Connection", "close");
      if (body.error().empty()) return reply(response, 400, error_body("validation", "malformed HTTP request"));
      return reply(response, 413, error_body("resource_limit", body.error()));
    }
    auto input = parse_exec_request(request.get_param_value("sessionId"), *body,
                                    static_cast<std::size_t>(config_.max_json_depth));
    body->clear();
    body->shrink_to_fit();
    if (!input) return reply(response, 400, error_body(input.error().type, input.error().message));
    auto result = exec_reply(executor_.execute(input->session_id, input->code, input->files), config_.max_output_size);
    reply(response, result.status, result.body);
  });
  http_.Get("/health", [this](const httplib::Request&, httplib::Response& response) {
    reply(response, 200, {{"status", "healthy"}, {"activeSessions", registry_.size()}});
  });
  http_.Get("/sessions", [this](const httplib::Request&, httplib::Response& response) {
    const auto now = epoch_ms();
    json sessions = json::array();
    for (const auto& s : registry_.list())
      sessions.push_back({{"id", s.id},
                          {"createdAt", s.created_at},
                          {"lastAccessedAt", s.last_accessed_at},
                          {"ageMinutes", static_cast<double>(now - s.created_at) / 60000.0},
                          {"idleMinutes", static_cast<double>(now - s.last_accessed_at) / 60000.0}});
    reply(response, 200, {{"sessions", sessions}});
  });
  http_.Delete(R"(/sessions/(.+))", [this](const httplib::Request& request, httplib::Response& response) {
    const std::string id = request.matches[1];
    if (!registry_.remove(id)) return reply(response, 404, error_body("not_found", "no session '" + id + "'"));
    log::debug("session " + id + " deleted");
    reply(response, 200, {{"success", true}});
  });
}

// Expires idle sessions and watches session memory, until shutdown.
void Server::background_loop() {
  auto next_expiry = Clock::now();
  const auto expiry_period = std::clamp<std::chrono::milliseconds>(
      config_.session_timeout / 4, std::chrono::milliseconds(200), std::chrono::milliseconds(30000));
  const std::uint64_t memory_cap = config_.process_memory_limit;
  bool grace_over = false;
  std::unique_lock lock(stop_mutex_);
  while (!listen_done_) {
    stop_condition_.wait_for(lock, std::chrono::milliseconds(250));
    if (listen_done_) break;
    if (stopping_) {
      // In-flight executions get a grace period; then their processes die, ending them.
      if (!grace_over && Clock::now() - stop_requested_at_ > kShutdownGrace) {
        log::warn("shutdown grace period over: killing the sessions still running");
        registry_.end_all();
        grace_over = true;
      }
      continue;
    }
    if (Clock::now() >= next_expiry) {
      for (const auto& id : registry_.expire(config_.session_timeout)) log::info("session " + id + " expired");
      next_expiry = Clock::now() + expiry_period;
    }
    for (auto& session : registry_.all()) {
      std::lock_guard session_lock(session->mutex);
      if (!session->process) continue;
      const auto rss = resident_bytes(session->process->pid);
      if (rss > memory_cap) {
        log::warn("session " + session->id + " uses " + format_size(rss) + ", over its cap of " +
                  format_size(memory_cap) + ": killed");
        session->killed_for_memory = true;
        kill_session_process(*session->process);
      }
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {  // orphans re-parented to us (subreaper)
    }
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

  // The wall as a session will build it, tried once on a forked child: what this
  // machine refuses is said now, once, rather than by every session.
  auto layers =
      sandbox::probe_layers({.role = sandbox::Role::session, .identity = sandbox::identity_in(config_.sandbox_ids, 0)});
  if (!layers) {
    log::error("cannot confine a session process here: " + layers.error().message);
    return 1;
  }
  if (auto missing = sandbox::missing_layers(*layers); !missing.empty()) {
    if (config_.require_full_sandbox) {
      log::error("--require-full-sandbox: the process wall misses " + missing);
      return 1;
    }
    log::warn("the process wall misses " + missing + " (vivarium sandbox-check explains each layer)");
  } else {
    log::info("process wall: all " + std::to_string(layers->size()) + " layers active (vivarium sandbox-check)");
  }

  // Stale parents of a crashed server go first; the zygote itself stays outside the budget.
  cgroups_.open(config_.total_memory_limit, config_.process_memory_limit);
  if (cgroups_.enabled()) zygote_.use_cgroups(&cgroups_);
  if (!cgroups_.enabled() && config_.require_full_sandbox) {
    log::error("--require-full-sandbox: no writable memory cgroup here (docs/memory-cgroups.md)");
    return 1;
  }
  const auto boot_started = Clock::now();
  if (auto started = zygote_.start(); !started) {
    cgroups_.close();
    log::error(started.error());
    return 1;
  }
  log::info("Python ready in " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - boot_started).count()) +
            " ms (zygote pid " + std::to_string(zygote_.pid().value_or(-1)) + ")");
  if (auto warning = missing_packages_warning(zygote_.missing_preloads(), setup_.packages_dir); !warning.empty())
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
  std::thread background([this] { background_loop(); });
  http_.listen_after_bind();  // returns after stop(), once in-flight handlers finished

  {
    std::lock_guard lock(stop_mutex_);
    listen_done_ = true;
  }
  stop_condition_.notify_all();
  background.join();
  registry_.end_all();
  zygote_.stop();
  cgroups_.close();
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
  Server server(config, executable, std::move(*setup));
  return server.run();
}

}  // namespace vivarium::server
