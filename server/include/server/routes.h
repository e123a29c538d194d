// The HTTP API's routes, a file per group (docs/api.md). Each install_* function adds
// its routes to the server; serve.cpp calls them all.
#pragma once

#include <atomic>

#include "metrics/metrics.h"
#include "server/config.h"
#include "server/guarded_http_server.h"
#include "sessions/session_service.h"

namespace vivarium::server {

struct RouteContext {
  GuardedHttpServer& http;
  sessions::SessionService& sessions;
  const ServerConfig& config;
};

void install_exec_routes(const RouteContext& context);       // POST /exec (exec_routes.cpp)
void install_session_routes(const RouteContext& context);    // /health, /sessions, interrupt (session_routes.cpp)
void install_mcp_routes(const RouteContext& context);        // /mcp, MCP's Streamable HTTP (mcp_routes.cpp)
void install_terrarium_routes(const RouteContext& context);  // POST /, terrarium's API (terrarium_routes.cpp)
void install_openapi_routes(const RouteContext& context);    // GET /openapi.json (openapi_routes.cpp)

// What GET /ready answers: 503 "booting" until the zygote has booted, 200 "ready", then
// 503 "stopping" from a stop signal until exit.
enum class Readiness { booting, ready, stopping };
// GET /metrics (Prometheus text) and GET /ready (metrics_routes.cpp).
void install_metrics_routes(const RouteContext& context, metrics::Metrics& metrics,
                            const std::atomic<Readiness>& readiness);

}  // namespace vivarium::server
