// Base64 (RFC 4648, standard alphabet, padded) through OpenSSL.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace vivarium::server {
std::string base64_encode(std::string_view bytes);
// Rejects anything that is not valid padded base64 (whitespace is not accepted).
std::expected<std::string, std::string> base64_decode(std::string_view text);
}  // namespace vivarium::server
