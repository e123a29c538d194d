#include "server/http_body.h"

#include "server/exec_reply.h"
#include "server/guarded_http_server.h"
#include "server/result_json.h"
#include "units/units.h"

namespace vivarium::server {

void reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(to_json_text(body), "application/json");
}

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
    return std::unexpected("request body is larger than the limit of " + units::format_size(limit));
  if (!complete) return std::unexpected(std::string());
  return body;
}

std::optional<std::string> read_body_or_reply(const httplib::ContentReader& reader, httplib::Response& response,
                                              std::uint64_t limit) {
  auto body = read_body(reader, response, limit);
  if (body) return std::move(*body);
  GuardedHttpServer::close_after_response();
  response.set_header("Connection", "close");
  if (body.error().empty())
    reply(response, 400, error_body("validation", "malformed HTTP request"));
  else
    reply(response, 413, error_body("resource_limit", body.error()));
  return std::nullopt;
}

void never_compress(const httplib::Request& request) {
  // The request is httplib's own object, not const.
  const_cast<httplib::Request&>(request).headers.erase("Accept-Encoding");
}

httplib::Server::HandlerResponse refuse_before_routing(const httplib::Request& request, httplib::Response& response,
                                                       int status, const char* type, const std::string& message) {
  reply(response, status, error_body(type, message));
  const std::string length = request.get_header_value("Content-Length");
  if (request.has_header("Transfer-Encoding") || (!length.empty() && length != "0")) {
    // Said in the reply too: a client that reuses its connections (fetch, requests)
    // would otherwise send its next request into the closing socket and see a reset.
    GuardedHttpServer::close_after_response();
    response.set_header("Connection", "close");
  }
  return httplib::Server::HandlerResponse::Handled;
}

}  // namespace vivarium::server
