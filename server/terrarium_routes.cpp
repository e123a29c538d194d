// POST /: cohere-terrarium's API, so that its clients (cohere-toolkit's Python
// interpreter tool, terrarium_client.py) work unchanged (docs/api.md, "POST /").
#include <atomic>

#include "server/auth_scope.h"
#include "server/exec_reply.h"
#include "server/http_body.h"
#include "server/routes.h"
#include "server/terrarium_reply.h"
#include "server/terrarium_request.h"

namespace vivarium::server {
namespace {

void reply_line(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(terrarium_text(body), "application/json");
}

// terrarium recycles its interpreter after every request: without a sessionId, each
// request gets a session of its own, removed on every way out of the handler
// (exceptions included) and before the reply is sent, so GET /sessions never keeps it.
class OneShotSession {
 public:
  explicit OneShotSession(sessions::SessionRegistry& registry)
      : registry_(registry), id_(one_shot_session_id(next_serial_.fetch_add(1))) {}
  ~OneShotSession() { registry_.remove(id_); }
  OneShotSession(const OneShotSession&) = delete;
  OneShotSession& operator=(const OneShotSession&) = delete;
  const std::string& id() const { return id_; }

 private:
  static inline std::atomic<std::uint64_t> next_serial_{1};
  sessions::SessionRegistry& registry_;
  const std::string id_;
};

}  // namespace

void install_terrarium_routes(const RouteContext& context) {
  context.http.Post(
      "/", [context](const httplib::Request&, httplib::Response& response, const httplib::ContentReader& reader) {
        const auto& config = context.config;
        auto body = read_body_or_reply(reader, response, config.max_body_size);
        if (!body) {
          // Already answered (413 or 400) in the shared error form; terrarium's ends in a newline.
          response.set_content(response.body + "\n", "application/json");
          return;
        }
        auto input = parse_terrarium_request(*body, static_cast<std::size_t>(config.max_json_depth));
        body->clear();
        body->shrink_to_fit();
        if (!input)
          return reply_line(response, input.error().status, error_body(input.error().type, input.error().message));

        const sessions::ExecInput exec{std::move(input->code), std::move(input->files), {}, {}, {}};
        auto& executor = context.sessions.executor();
        HttpReply result;
        if (input->session_id) {
          const std::string id = scoped_session_id(*input->session_id);  // auth_scope.h
          if (session_quota_reached(context.sessions.registry(), id, config.max_sessions_per_key)) {
            reply_session_quota(response, config.max_sessions_per_key);
            response.set_content(response.body + "\n", "application/json");  // terrarium's replies end in a newline
            return;
          }
          result = exec_reply(executor.execute(id, exec), config.max_output_size);
        } else {
          OneShotSession session(context.sessions.registry());
          result = exec_reply(executor.execute(session.id(), exec), config.max_output_size);
        }
        release_execution_slot();
        reply_line(response, result.status, terrarium_body(result.body, config.execution_timeout));
      });
}

}  // namespace vivarium::server
