// Hashing over OpenSSL, for the engine's own use (base64 is in engine/base64.h).
#pragma once

#include <string>
#include <string_view>

namespace vivarium::engine::detail {
std::string sha256_hex(std::string_view bytes);
}  // namespace vivarium::engine::detail
