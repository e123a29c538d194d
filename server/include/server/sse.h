// Server-Sent Events framing (the WHATWG HTML standard, "server-sent events"): an event
// is `event:` and `data:` lines and a blank line; a line starting with ':' is a comment.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "server/output_queue.h"

namespace vivarium::server {

// One event whose data is JSON on one line (JSON text escapes every newline).
std::string sse_event(std::string_view name, const nlohmann::json& data);
// A comment: ignored by clients, written so that a gone client is noticed.
std::string sse_comment(std::string_view text);
// `stdout` / `stderr` with {"text"}, or `dropped` with {"stream", "bytes"}.
std::string sse_output_event(const StreamEvent& event);

}  // namespace vivarium::server
