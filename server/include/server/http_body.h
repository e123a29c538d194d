// Request bodies and JSON replies, the same for every route.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>

namespace vivarium::server {

// Sets status and a JSON body (result_json.h's text form).
void reply(httplib::Response& response, int status, const nlohmann::json& body);

// A request body, read through httplib's content reader so that a chunked body counts
// against the limit too (httplib checks only Content-Length). Not reserved from
// Content-Length: a client announcing 50 MB and sending nothing must cost nothing.
// An error is the 413 message, or empty when the body was cut short or malformed.
std::expected<std::string, std::string> read_body(const httplib::ContentReader& reader, httplib::Response& response,
                                                  std::uint64_t limit);

// read_body, and on failure the 400 or 413 reply, with the connection closed (the rest
// of the body is still on its way). Nothing when the reply was made.
std::optional<std::string> read_body_or_reply(const httplib::ContentReader& reader, httplib::Response& response,
                                              std::uint64_t limit);

// A refusal made before routing (a pre-routing gate): the API's error body, and the
// connection ends after it when the request's body was left unread (it would be taken for
// the next request). Returns Handled.
httplib::Server::HandlerResponse refuse_before_routing(const httplib::Request& request, httplib::Response& response,
                                                       int status, const char* type, const std::string& message);

// cpp-httplib 0.11.4 compresses every text/* response the client accepts compressed,
// text/event-stream included, and its compressor holds data back until the end: the
// events would arrive all at once. Call before answering with a stream.
void never_compress(const httplib::Request& request);

}  // namespace vivarium::server
