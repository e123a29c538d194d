// GET /metrics: the Prometheus text format (docs/metrics.md); GET /ready: readiness for a
// load balancer or an orchestrator, beside /health's liveness.
#include "server/exec_reply.h"
#include "server/http_body.h"
#include "server/routes.h"

namespace vivarium::server {

void install_metrics_routes(const RouteContext& context, metrics::Metrics& metrics,
                            const std::atomic<Readiness>& readiness) {
  auto& sessions = context.sessions;
  context.http.Get("/metrics", [&sessions, &metrics](const httplib::Request&, httplib::Response& response) {
    // The gauges are read from /proc now: a scrape costs one statm read per process.
    sessions.update_gauges();
    response.status = 200;
    response.set_content(metrics.render(), metrics::kContentType);
  });
  context.http.Get("/ready", [&readiness](const httplib::Request&, httplib::Response& response) {
    const Readiness now = readiness.load();
    const char* status = now == Readiness::ready ? "ready" : now == Readiness::booting ? "booting" : "stopping";
    reply(response, now == Readiness::ready ? 200 : 503, nlohmann::json{{"status", status}});
  });
}

}  // namespace vivarium::server
