// POST /exec: one execution in a session, answered as JSON, or as Server-Sent Events
// when the client accepts text/event-stream (exec_stream.h).
#include "server/auth_scope.h"
#include "server/exec_reply.h"
#include "server/exec_request.h"
#include "server/exec_stream.h"
#include "server/http_body.h"
#include "server/result_json.h"
#include "server/routes.h"

namespace vivarium::server {

void install_exec_routes(const RouteContext& context) {
  context.http.Post("/exec", [context](const httplib::Request& request, httplib::Response& response,
                                       const httplib::ContentReader& reader) {
    const auto& config = context.config;
    auto body = read_body_or_reply(reader, response, config.max_body_size);
    if (!body) return;
    auto input = parse_exec_request(request.get_param_value("sessionId"), *body,
                                    static_cast<std::size_t>(config.max_json_depth));
    body->clear();
    body->shrink_to_fit();
    if (!input) return reply(response, 400, error_body(input.error().type, input.error().message));
    // With API keys, the key's own session of that id (auth_scope.h).
    input->session_id = scoped_session_id(input->session_id);
    if (session_quota_reached(context.sessions.registry(), input->session_id, config.max_sessions_per_key))
      return reply_session_quota(response, config.max_sessions_per_key);
    auto& executor = context.sessions.executor();
    sessions::ExecInput exec{std::move(input->code), std::move(input->files), {}, {}, {}};
    if (wants_event_stream(request.get_header_value("Accept")))
      return stream_execution(request, response, executor, input->session_id, std::move(exec), config.max_output_size);
    auto result = exec_reply(executor.execute(input->session_id, exec), config.max_output_size);
    release_execution_slot();
    reply(response, result.status, result.body);
  });
}

}  // namespace vivarium::server
