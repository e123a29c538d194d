#include "server/base64.h"

#include <openssl/evp.h>

namespace vivarium::server {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::expected<std::string, std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::unexpected("base64 data length is not a multiple of 4");
  for (char c : text) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
    if (!ok) return std::unexpected("base64 data contains an invalid character");
  }
  const auto first_pad = text.find('=');
  if (first_pad != std::string_view::npos &&
      (first_pad < text.size() - 2 || text.find_first_not_of('=', first_pad) != std::string_view::npos))
    return std::unexpected("base64 padding is misplaced");
  std::string out(3 * (text.size() / 4) + 1, '\0');
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (length < 0) return std::unexpected("base64 data is invalid");
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

}  // namespace vivarium::server
