// Making client-chosen text (paths, session ids) safe to put in a log line.
#pragma once

#include <string>
#include <string_view>

namespace vivarium::server {

// Control characters (0x00-0x1f, 0x7f) and '%' become %XX, so a decoded path holding
// "\n" cannot start a forged log line, and the escaped text reads back unambiguously.
std::string escape_for_log(std::string_view text);

}  // namespace vivarium::server
