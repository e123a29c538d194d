#include "engine/base64.h"

#include <openssl/evp.h>

namespace vivarium::engine {
namespace {
bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::expected<std::string, std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::unexpected("base64 data has " + std::to_string(text.size()) +
                           " characters, which is not a multiple of 4 (is its '=' padding missing?)");
  // EVP_DecodeBlock alone would skip whitespace and accept '=' in the middle.
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  const std::size_t body = text.size() - padding;
  for (std::size_t i = 0; i < body; ++i) {
    if (in_alphabet(text[i])) continue;
    if (text[i] == '=')
      return std::unexpected("base64 padding '=' at offset " + std::to_string(i) +
                             " is misplaced: it may only end the data");
    return std::unexpected("base64 data has a character outside the alphabet at offset " + std::to_string(i) +
                           " (byte " + std::to_string(static_cast<unsigned char>(text[i])) + ")");
  }
  std::string out(3 * (text.size() / 4) + 1, '\0');
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (length < 0) return std::unexpected(std::string("base64 data is invalid"));
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

}  // namespace vivarium::engine
