// A streamed /exec (Accept: text/event-stream): output goes out as Server-Sent Events
// while the code runs, then one `result` event with the very body a plain /exec returns.
// A client that goes away interrupts its execution; the session keeps its state.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "engine/execution.h"
#include "sessions/executor.h"

namespace vivarium::server {

// How often a comment is written when the code prints nothing: a write is the only way
// to notice a client that went away, and the first write after it left still succeeds,
// so it is noticed within two of these.
inline constexpr std::chrono::milliseconds kStreamHeartbeat{400};

// Sets up `response` to stream the execution of `code` in `session_id`.
void stream_execution(httplib::Response& response, sessions::Executor& executor, std::string session_id,
                      sessions::ExecInput input, std::uint64_t max_output_bytes);

// Whether an Accept header asks for an event stream.
bool wants_event_stream(const std::string& accept);

}  // namespace vivarium::server
