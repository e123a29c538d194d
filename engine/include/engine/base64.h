// Base64 (RFC 4648, standard alphabet, padded) over OpenSSL: the one implementation, for
// the engine (btoa/atob, os.system's random bytes) and for the API's b64_data fields.
// Plain data, no V8.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace vivarium::engine {

std::string base64_encode(std::string_view bytes);

// Strict: the length is a multiple of 4, every character is in the alphabet, and '='
// appears only as one or two final characters. No whitespace. The error says which rule
// the text breaks and where.
std::expected<std::string, std::string> base64_decode(std::string_view text);

}  // namespace vivarium::engine
