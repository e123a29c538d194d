// GET /health, GET /sessions, POST /sessions/ID/interrupt, DELETE /sessions/ID.
#include "log/logger.h"
#include "server/auth_scope.h"
#include "server/exec_reply.h"
#include "server/http_body.h"
#include "server/result_json.h"
#include "server/routes.h"

namespace vivarium::server {

void install_session_routes(const RouteContext& context) {
  auto& registry = context.sessions.registry();
  context.http.Get("/health", [&registry](const httplib::Request&, httplib::Response& response) {
    reply(response, 200, {{"status", "healthy"}, {"activeSessions", registry.size()}});
  });
  context.http.Get("/sessions", [&registry](const httplib::Request&, httplib::Response& response) {
    const auto now = sessions::epoch_ms();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : registry.list()) {
      auto id = client_session_id(s.id);  // with keys: only the caller's own, by their own ids
      if (!id) continue;
      list.push_back({{"id", *id},
                      {"createdAt", s.created_at},
                      {"lastAccessedAt", s.last_accessed_at},
                      {"ageMinutes", static_cast<double>(now - s.created_at) / 60000.0},
                      {"idleMinutes", static_cast<double>(now - s.last_accessed_at) / 60000.0}});
    }
    reply(response, 200, {{"sessions", list}});
  });
  auto& executor = context.sessions.executor();
  context.http.Post(R"(/sessions/(.+)/interrupt)",
                    [&executor](const httplib::Request& request, httplib::Response& response) {
                      const std::string id = request.matches[1];
                      switch (executor.interrupt(scoped_session_id(id))) {
                        case sessions::InterruptOutcome::no_session:
                          return reply(response, 404, error_body("not_found", "no session '" + id + "'"));
                        case sessions::InterruptOutcome::not_running:
                          return reply(response, 200, {{"success", true}, {"interrupted", false}});
                        case sessions::InterruptOutcome::interrupted:
                          log::debug("session " + id + " interrupted");
                          return reply(response, 200, {{"success", true}, {"interrupted", true}});
                      }
                    });
  context.http.Delete(R"(/sessions/(.+))", [&registry](const httplib::Request& request, httplib::Response& response) {
    const std::string id = request.matches[1];
    if (!registry.remove(scoped_session_id(id)))
      return reply(response, 404, error_body("not_found", "no session '" + id + "'"));
    log::debug("session " + id + " deleted");
    reply(response, 200, {{"success", true}});
  });
}

}  // namespace vivarium::server
