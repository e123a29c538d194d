// Reads a streamed /exec (Server-Sent Events) as it arrives, for the streaming tests.
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/serve_process.h"

namespace vivarium::test_support {

struct SseEvent {
  std::string name;  // "" for a comment
  std::string data;  // the data line, or the comment's text
  std::chrono::steady_clock::time_point at;
  nlohmann::json json() const { return nlohmann::json::parse(data, nullptr, false); }
};

struct SseReply {
  int status = 0;
  std::string content_type;
  std::vector<SseEvent> events;  // comments included
  std::string unframed;          // what was not an event (e.g. a plain JSON error reply)
  std::vector<SseEvent> named(const std::string& name) const {
    std::vector<SseEvent> out;
    for (const auto& e : events)
      if (e.name == name) out.push_back(e);
    return out;
  }
};

// POSTs body to /exec?sessionId=session with Accept: text/event-stream. on_event sees each
// event as it arrives; when it returns false the client disconnects there.
inline SseReply stream_exec(const ServeProcess& server, const std::string& session, const nlohmann::json& body,
                            const std::function<bool(const SseEvent&)>& on_event = {}) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(120, 0);
  SseReply reply;
  std::string buffer;
  httplib::Request request;
  request.method = "POST";
  request.path = "/exec?sessionId=" + session;
  request.body = body.dump();
  request.set_header("Content-Type", "application/json");
  request.set_header("Accept", "text/event-stream");
  request.response_handler = [&](const httplib::Response& response) {
    reply.status = response.status;
    reply.content_type = response.get_header_value("Content-Type");
    return true;
  };
  request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    buffer.append(data, size);
    for (std::size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
      const std::string block = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      SseEvent event;
      event.at = std::chrono::steady_clock::now();
      std::size_t start = 0;
      while (start <= block.size()) {
        std::size_t stop = block.find('\n', start);
        if (stop == std::string::npos) stop = block.size();
        const std::string line = block.substr(start, stop - start);
        if (line.starts_with("event: ")) event.name = line.substr(7);
        if (line.starts_with("data: ")) event.data = line.substr(6);
        if (line.starts_with(": ")) event.data = line.substr(2);
        start = stop + 1;
      }
      reply.events.push_back(event);
      if (on_event && !on_event(event)) return false;
    }
    return true;
  };
  auto result = client.send(request);
  if (result && reply.status == 0) reply.status = result->status;
  reply.unframed = buffer;
  return reply;
}

}  // namespace vivarium::test_support
