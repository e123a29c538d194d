#include "server/sse.h"

#include "server/result_json.h"

namespace vivarium::server {

std::string sse_event(std::string_view name, const nlohmann::json& data) {
  std::string event = "event: ";
  event.append(name);
  event += "\ndata: ";
  event += to_json_text(data);  // invalid UTF-8 from a hostile session becomes U+FFFD
  event += "\n\n";
  return event;
}

std::string sse_comment(std::string_view text) {
  std::string comment = ": ";
  comment.append(text);
  comment += "\n\n";
  return comment;
}

std::string sse_output_event(const StreamEvent& event) {
  const char* stream = event.stream == engine::OutputStream::out ? "stdout" : "stderr";
  if (event.kind == StreamEvent::Kind::dropped)
    return sse_event("dropped", {{"stream", stream}, {"bytes", event.dropped}});
  return sse_event(stream, {{"text", event.text}});
}

}  // namespace vivarium::server
