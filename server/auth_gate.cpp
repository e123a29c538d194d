#include "server/auth_gate.h"

#include <strings.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "server/auth_scope.h"
#include "server/http_body.h"

namespace vivarium::server {
namespace {

using HandlerResponse = httplib::Server::HandlerResponse;

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Routes whose requests run code, for --max-executions-per-key.
bool is_execution(const httplib::Request& request) {
  return request.method == "POST" && (request.path == "/exec" || request.path == "/" || request.path == "/mcp");
}

// RFC 6750 2.1: "Bearer" (any case), one space, the token.
std::string bearer_token(const httplib::Request& request) {
  const std::string header = request.get_header_value("Authorization");
  if (header.size() < 8 || ::strncasecmp(header.c_str(), "Bearer ", 7) != 0) return {};
  const auto first = header.find_first_not_of(' ', 7);
  if (first == std::string::npos) return {};
  return header.substr(first, header.find_last_not_of(" \t") - first + 1);
}

// Gives the execution slot back and forgets the caller once the response is written.
struct RequestHold {
  std::shared_ptr<void> execution;
  ~RequestHold() {
    set_execution_slot(nullptr);
    set_current_key({});
  }
};

}  // namespace

bool is_loopback_host(const std::string& host) {
  static const auto loopback = parse_cidr_list("127.0.0.0/8, ::1");
  return host == "localhost" || cidr_contains(*loopback, host);
}

bool is_public_path(const std::string& path, bool metrics_public) {
  return path == "/health" || path == "/ready" || path == "/openapi.json" || (metrics_public && path == "/metrics");
}

std::expected<std::unique_ptr<AuthGate>, std::string> AuthGate::create(const ServerConfig& config) {
  std::vector<ApiKey> keys;
  if (config.api_keys_file) {
    auto read = read_api_keys(*config.api_keys_file);
    if (!read) return std::unexpected(read.error());
    keys = std::move(*read);
  }
  auto proxies = parse_cidr_list(config.trust_proxy);
  if (!proxies) return std::unexpected("TRUST_PROXY: " + proxies.error());
  return std::unique_ptr<AuthGate>(new AuthGate(config, std::move(keys), std::move(*proxies)));
}

AuthGate::AuthGate(const ServerConfig& config, std::vector<ApiKey> keys, std::vector<Cidr> proxies)
    : config_(config),
      keys_(std::move(keys)),
      proxies_(std::move(proxies)),
      limiter_(RateLimits{config.rate_limit, config.rate_burst, config.max_executions_per_key, 10000}) {}

std::expected<std::size_t, std::string> AuthGate::reload() {
  if (!config_.api_keys_file) return std::unexpected("no API key file is configured (--api-keys); nothing to reload");
  auto read = read_api_keys(*config_.api_keys_file);
  if (!read) return std::unexpected(read.error() + "; the keys in force are kept");
  const std::size_t count = read->size();
  keys_.replace(std::move(*read));
  return count;
}

HandlerResponse AuthGate::check(const httplib::Request& request, httplib::Response& response,
                                std::shared_ptr<void>& hold) {
  set_current_key({});
  set_execution_slot(nullptr);
  if (is_public_path(request.path, config_.metrics_public)) return HandlerResponse::Unhandled;

  std::string caller;
  if (has_keys()) {
    const std::string token = bearer_token(request);
    if (token.empty()) {
      response.set_header("WWW-Authenticate", R"(Bearer realm="vivarium")");
      return refuse_before_routing(request, response, 401, "unauthorized",
                                   "this server needs an API key: send the header Authorization: Bearer KEY");
    }
    auto name = keys_.match(token);
    if (!name) {
      response.set_header("WWW-Authenticate", R"(Bearer realm="vivarium", error="invalid_token")");
      return refuse_before_routing(request, response, 401, "unauthorized",
                                   "the API key is not valid here; check it against the key file");
    }
    caller = "key " + *name;
    set_current_key(*name);
  } else {
    const std::string address =
        client_address(request.remote_addr, request.get_header_value("X-Forwarded-For"), proxies_);
    // Without keys, a client on this machine is not limited: it could run the code
    // itself, and local tools (cohere-toolkit beside the server, parallel agents, the
    // tests) send bursts of parallel executions. Remote addresses are.
    if (is_loopback_host(address)) return HandlerResponse::Unhandled;
    caller = "address " + address;
  }

  const auto rate = config_.rate_limit > 0 ? limiter_.take(caller) : RateDecision{};
  if (!rate.allowed) {
    set_current_key({});
    response.set_header("Retry-After", std::to_string(rate.retry_after_seconds));
    return refuse_before_routing(request, response, 429, "rate_limit",
                                 "more than " + number(config_.rate_burst) + " requests at once or " +
                                     number(config_.rate_limit) + " a second; retry after " +
                                     std::to_string(rate.retry_after_seconds) + " s");
  }
  auto state = std::make_shared<RequestHold>();
  if (is_execution(request)) {
    state->execution = limiter_.acquire_execution(caller);
    if (!state->execution) {
      set_current_key({});
      response.set_header("Retry-After", "1");
      return refuse_before_routing(
          request, response, 429, "rate_limit",
          std::to_string(config_.max_executions_per_key) +
              " executions are already in flight for this caller; retry once one has finished");
    }
  }
  set_execution_slot(&state->execution);
  hold = std::move(state);
  return HandlerResponse::Unhandled;
}

}  // namespace vivarium::server
