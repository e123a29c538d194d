// The check before routing (docs/auth.md): the bearer key (401), then the caller's
// request rate and executions in flight (429 with Retry-After). It sets current_key()
// for the routes, which scope session ids with it (auth_scope.h).
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "server/auth_keys.h"
#include "server/config.h"
#include "server/guarded_http_server.h"
#include "server/rate_limit.h"
#include "server/trust_proxy.h"

namespace vivarium::server {

class AuthGate {
 public:
  // Reads the key file, if one is configured; its error names the file and the line.
  static std::expected<std::unique_ptr<AuthGate>, std::string> create(const ServerConfig& config);
  // The request gate (GuardedHttpServer::set_request_gate): 401, 429, or on to the route
  // with the caller's key held in `hold`.
  httplib::Server::HandlerResponse check(const httplib::Request& request, httplib::Response& response,
                                         std::shared_ptr<void>& hold);
  // SIGHUP: rereads the key file. A bad file keeps the keys in force; the error says why.
  std::expected<std::size_t, std::string> reload();
  bool has_keys() const { return config_.api_keys_file.has_value(); }

 private:
  AuthGate(const ServerConfig& config, std::vector<ApiKey> keys, std::vector<Cidr> proxies);

  const ServerConfig& config_;
  KeyRing keys_;
  const std::vector<Cidr> proxies_;
  RateLimiter limiter_;
};

// 127.0.0.0/8, ::1 (and ::ffff:127.x), "localhost": where serve may listen without keys.
bool is_loopback_host(const std::string& host);
// Paths that never need a key.
bool is_public_path(const std::string& path, bool metrics_public);

}  // namespace vivarium::server
