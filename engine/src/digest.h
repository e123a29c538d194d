// Hashing and encoding helpers over OpenSSL, for the engine's own use (the engine does
// not depend on server/, which has the API-facing base64).
#pragma once

#include <string>
#include <string_view>

namespace vivarium::engine::detail {
std::string sha256_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
}  // namespace vivarium::engine::detail
