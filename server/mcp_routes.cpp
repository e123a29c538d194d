// /mcp: MCP over the Streamable HTTP transport (docs/mcp.md). POST carries one JSON-RPC
// message; a tools/call whose code prints is answered as Server-Sent Events (the output
// as logging notifications, then the result), everything else as one JSON object. GET
// offers no stream (405, which the specification allows); DELETE ends the session.
#include <httplib.h>

#include <memory>
#include <thread>

#include "log/logger.h"
#include "server/auth_scope.h"
#include "server/guarded_http_server.h"
#include "server/http_body.h"
#include "server/mcp_http_sessions.h"
#include "server/mcp_jsonrpc.h"
#include "server/mcp_origin.h"
#include "server/mcp_outgoing_queue.h"
#include "server/mcp_versions.h"
#include "server/routes.h"

namespace vivarium::server {
namespace {

using namespace mcp;
using Clock = std::chrono::steady_clock;

constexpr auto kKeepAliveInterval = std::chrono::seconds(15);

void reply_message(httplib::Response& response, int status, const json& message, const std::string& session_id = {}) {
  response.status = status;
  if (!session_id.empty()) response.set_header("Mcp-Session-Id", session_id);
  response.set_content(to_text(message), "application/json");
}

void reply_error(httplib::Response& response, int status, int code, const std::string& message) {
  reply_message(response, status, error_response(nullptr, code, message));
}

// What the POST may be answered with (Accept lists both; a client that sends neither
// gets JSON).
struct Accepts {
  bool json = true, sse = false;
};
Accepts accepts_of(const httplib::Request& request) {
  if (!request.has_header("Accept")) return {};
  const auto accept = request.get_header_value("Accept");
  const bool any = accept.find("*/*") != std::string::npos;
  return {any || accept.find("application/json") != std::string::npos,
          any || accept.find("text/event-stream") != std::string::npos};
}

class McpEndpoint {
 public:
  McpEndpoint(const RouteContext& context)
      : config_(context.config),
        sessions_(context.sessions,
                  SessionOptions{{config_.max_output_size, config_.execution_timeout}, VIVARIUM_VERSION},
                  config_.instance_id) {}

  void post(const httplib::Request& request, httplib::Response& response, const httplib::ContentReader& reader);
  void remove(const httplib::Request& request, httplib::Response& response);
  bool origin_ok(const httplib::Request& request, httplib::Response& response) const;

 private:
  void answer_streaming(const httplib::Request& request, httplib::Response& response,
                        std::shared_ptr<HttpSession> session, const Message& message);
  // The session, if the caller's key initialized it: another key's is absent (404).
  std::shared_ptr<HttpSession> owned(const std::string& id) {
    auto session = sessions_.find(id);
    return session && session->owner == current_key() ? session : nullptr;
  }

  const ServerConfig& config_;
  HttpSessions sessions_;
};

bool McpEndpoint::origin_ok(const httplib::Request& request, httplib::Response& response) const {
  const bool present = request.has_header("Origin");
  const auto origin = request.get_header_value("Origin");
  if (origin_allowed(present, origin, config_.mcp_allowed_origins)) return true;
  log::warn("refused /mcp from origin " + origin + " (DNS rebinding protection; see --mcp-allowed-origins)");
  reply_error(response, 403, error_code::bad_request,
              "Forbidden: the Origin " + origin +
                  " may not use this MCP server; start vivarium with --mcp-allowed-origins to allow it");
  return false;
}

// A refusal before the body was read: the connection ends after it, else the unread
// body would be taken for the next request.
void close_unread(httplib::Response& response) {
  GuardedHttpServer::close_after_response();
  response.set_header("Connection", "close");
}

void McpEndpoint::post(const httplib::Request& request, httplib::Response& response,
                       const httplib::ContentReader& reader) {
  if (!origin_ok(request, response)) return close_unread(response);
  const auto accepts = accepts_of(request);
  if (!accepts.json && !accepts.sse) {
    close_unread(response);
    return reply_error(response, 406, error_code::bad_request,
                       "Not Acceptable: the client must accept application/json and text/event-stream");
  }
  if (request.has_header("Content-Type") && !request.get_header_value("Content-Type").starts_with("application/json")) {
    close_unread(response);
    return reply_error(response, 415, error_code::bad_request,
                       "Unsupported Media Type: the body must be application/json");
  }
  auto body = read_body(reader, response, config_.max_body_size);
  if (!body) {
    close_unread(response);
    if (body.error().empty())
      return reply_error(response, 400, error_code::parse_error, "Parse error: the body was cut short");
    return reply_error(response, 413, error_code::bad_request, body.error());
  }
  auto parsed = parse_message(*body, static_cast<std::size_t>(config_.max_json_depth));
  if (!parsed) return reply_message(response, 400, parsed.error());
  auto message = to_message(*parsed);
  if (!message) return reply_message(response, 400, message.error());
  if (request.has_header("MCP-Protocol-Version")) {
    const auto version = request.get_header_value("MCP-Protocol-Version");
    if (!is_supported_version(version))
      return reply_error(response, 400, error_code::bad_request,
                         "Bad Request: unsupported MCP-Protocol-Version " + version +
                             " (supported: " + supported_versions_text() + ")");
  }

  const bool initializing = message->kind == Message::Kind::request && message->method == "initialize";
  const auto session_id = request.get_header_value("Mcp-Session-Id");
  std::shared_ptr<HttpSession> session;
  if (initializing) {
    if (!session_id.empty() && owned(session_id))
      return reply_message(response, 400,
                           error_response(message->id, error_code::invalid_request,
                                          "Invalid Request: this session is already initialized; send initialize "
                                          "without Mcp-Session-Id to start a new one"));
    auto created = sessions_.create();
    if (!created) return reply_error(response, 503, error_code::bad_request, created.error());
    session = *created;
    session->owner = current_key();
    auto answer = session->mcp->handle(*message, {});
    if (!session->mcp->initialized()) {  // refused (bad params): no session was started
      sessions_.remove(session->id);
      return reply_message(response, 200, *answer);
    }
    log::debug("MCP session " + session->id + " initialized, protocol " + session->mcp->protocol_version());
    return reply_message(response, 200, *answer, session->id);
  }
  if (session_id.empty())
    return reply_error(response, 400, error_code::bad_request,
                       "Bad Request: Mcp-Session-Id header is required; send initialize first to get one");
  session = owned(session_id);
  if (!session)
    return reply_error(response, 404, error_code::session_not_found,
                       "Session not found: it ended, expired or never existed; send initialize to start a new one");

  if (message->kind != Message::Kind::request) {
    session->mcp->handle(*message, {});
    response.status = 202;
    return;
  }
  if (message->method == "tools/call" && accepts.sse) return answer_streaming(request, response, session, *message);
  auto answer = session->mcp->handle(*message, {});
  release_execution_slot();
  if (!answer) {  // cancelled: the specification says no response
    response.status = 200;
    response.set_content("", "text/event-stream");
    return;
  }
  reply_message(response, 200, *answer, session->id);
}

// One tools/call on a thread of its own, so that this connection's thread can choose
// the answer: JSON when the result comes before any notification, else a stream of
// events that starts with the first notification and ends with the result.
void McpEndpoint::answer_streaming(const httplib::Request& request, httplib::Response& response,
                                   std::shared_ptr<HttpSession> session, const Message& message) {
  struct Call {
    OutgoingQueue queue;
    std::thread worker;
    ~Call() {
      if (worker.joinable()) worker.join();
    }
  };
  auto call = std::make_shared<Call>();
  call->worker = std::thread([queue = &call->queue, session, message] {
    try {
      auto answer = session->mcp->handle(message, [queue](const json& note) { queue->push_notification(note); });
      if (answer) queue->push_response(*answer);
    } catch (const std::exception& e) {
      log::error(std::string("internal error in an MCP tools/call: ") + e.what());
      queue->push_response(error_response(message.id, error_code::internal_error,
                                          "Internal error: the server failed to answer; the detail is in its log"));
    }
    queue->close();
  });

  std::optional<Outgoing> first;
  while (!first && !call->queue.closed()) first = call->queue.pop(std::chrono::seconds(1));
  response.set_header("Mcp-Session-Id", session->id);
  if (first && first->is_response) {
    response.status = 200;
    response.set_content(first->text, "application/json");
    return;
  }
  never_compress(request);
  response.set_header("Cache-Control", "no-cache");
  if (!first) {  // cancelled before anything was sent
    response.set_content("", "text/event-stream");
    return;
  }
  // A stream lasts as long as the execution: each write gets the write timeout instead.
  GuardedHttpServer::stream_response();
  response.set_chunked_content_provider(
      "text/event-stream", [call, first = std::move(*first)](std::size_t, httplib::DataSink& sink) mutable {
        auto event = [&sink](const std::string& text) {
          const std::string frame = "event: message\ndata: " + text + "\n\n";
          return sink.write(frame.data(), frame.size());
        };
        // One call writes the whole stream: httplib stops calling a provider once the
        // server stops, and this stream must still end with its result.
        if (!event(first.text)) return false;
        for (bool done = first.is_response; !done;) {
          auto next = call->queue.pop(kKeepAliveInterval);
          if (!next) {
            if (call->queue.closed()) break;
            static constexpr char kComment[] = ": keep-alive\n\n";
            if (!sink.write(kComment, sizeof kComment - 1)) return false;
            continue;
          }
          if (!event(next->text)) return false;
          done = next->is_response;
        }
        sink.done();
        return true;
      });
}

void McpEndpoint::remove(const httplib::Request& request, httplib::Response& response) {
  if (!origin_ok(request, response)) return;
  const auto session_id = request.get_header_value("Mcp-Session-Id");
  if (session_id.empty())
    return reply_error(response, 400, error_code::bad_request, "Bad Request: Mcp-Session-Id header is required");
  if (!owned(session_id) || !sessions_.remove(session_id))
    return reply_error(response, 404, error_code::session_not_found,
                       "Session not found: it ended, expired or never existed");
  log::debug("MCP session " + session_id + " deleted");
  response.status = 200;
}

}  // namespace

void install_mcp_routes(const RouteContext& context) {
  auto endpoint = std::make_shared<McpEndpoint>(context);
  context.http.Post("/mcp",
                    [endpoint](const httplib::Request& request, httplib::Response& response,
                               const httplib::ContentReader& reader) { endpoint->post(request, response, reader); });
  context.http.Delete("/mcp", [endpoint](const httplib::Request& request, httplib::Response& response) {
    endpoint->remove(request, response);
  });
  // vivarium sends nothing that is not an answer to a request, so it offers no stream.
  auto not_allowed = [endpoint](const httplib::Request& request, httplib::Response& response) {
    if (!endpoint->origin_ok(request, response)) return;
    response.set_header("Allow", "POST, DELETE");
    reply_error(response, 405, error_code::bad_request,
                "Method Not Allowed: this server offers no SSE stream on GET; POST JSON-RPC messages to /mcp");
  };
  context.http.Get("/mcp", not_allowed);
  context.http.Put("/mcp", not_allowed);
  context.http.Patch("/mcp", not_allowed);
}

}  // namespace vivarium::server
