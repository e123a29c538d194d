// The HTTP API's routes, a file per group (docs/api.md). Each install_* function adds
// its routes to the server; serve.cpp calls them all.
#pragma once

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

}  // namespace vivarium::server
