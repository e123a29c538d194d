// What is wrong with a frame or a message from a peer: a kind a caller can branch on and
// one sentence naming the defect, fit for one log line.
#pragma once

#include <string>
#include <string_view>

namespace vivarium::sessions {

enum class WireErrorKind {
  closed,        // the peer closed the socket (or went away) before a whole frame
  timeout,       // the exchange's deadline passed
  io,            // the socket failed
  too_large,     // a frame header announced more than the frame limit of its direction
  truncated,     // the CBOR ended inside an item
  too_deep,      // nesting past kMaxNestingDepth
  malformed,     // not well-formed CBOR, or bytes after the message
  unknown_type,  // no "type", or one this direction does not carry
  wrong_type,    // a field is missing or of the wrong CBOR type
  out_of_range,  // a number or a size outside what the field allows
  bad_name,      // an output-file name that validate_sandbox_path refuses
};

struct WireError {
  WireErrorKind kind;
  std::string message;
};

const char* wire_error_kind_name(WireErrorKind kind);
// Builds an error whose message has control characters escaped and is at most ~300
// bytes: it names peer-chosen text (file names) and ends up in a log line.
WireError wire_error(WireErrorKind kind, std::string_view message);

}  // namespace vivarium::sessions
