#include "sessions/wire_error.h"

#include <cstdio>

namespace vivarium::sessions {

const char* wire_error_kind_name(WireErrorKind kind) {
  switch (kind) {
    case WireErrorKind::closed:
      return "closed";
    case WireErrorKind::timeout:
      return "timeout";
    case WireErrorKind::io:
      return "io";
    case WireErrorKind::too_large:
      return "too_large";
    case WireErrorKind::truncated:
      return "truncated";
    case WireErrorKind::too_deep:
      return "too_deep";
    case WireErrorKind::malformed:
      return "malformed";
    case WireErrorKind::unknown_type:
      return "unknown_type";
    case WireErrorKind::wrong_type:
      return "wrong_type";
    case WireErrorKind::out_of_range:
      return "out_of_range";
    case WireErrorKind::bad_name:
      return "bad_name";
  }
  return "unknown";
}

WireError wire_error(WireErrorKind kind, std::string_view message) {
  constexpr std::size_t kMaxMessage = 300;
  std::string safe;
  for (unsigned char c : message) {
    if (safe.size() >= kMaxMessage) {
      safe += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      safe += escaped;
    } else {
      safe += static_cast<char>(c);
    }
  }
  return {kind, std::move(safe)};
}

}  // namespace vivarium::sessions
