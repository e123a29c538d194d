#include "server/request_id.h"

#include <openssl/rand.h>

#include <array>
#include <random>

namespace vivarium::server {

bool is_sane_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (const unsigned char c : id) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

std::string new_request_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // An id only has to be unique enough to match log lines, not secret.
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (auto& byte : bytes) byte = static_cast<unsigned char>(fallback());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (const unsigned char byte : bytes) {
    id += kHex[byte >> 4];
    id += kHex[byte & 15];
  }
  return id;
}

std::string request_id_for(const std::string& given) { return is_sane_request_id(given) ? given : new_request_id(); }

}  // namespace vivarium::server
