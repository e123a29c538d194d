// SHA-256 over OpenSSL, as lowercase hex: how wheels and asset files are checked.
#pragma once

#include <string>
#include <string_view>

namespace vivarium::engine {
std::string sha256_hex(std::string_view bytes);
}  // namespace vivarium::engine
