// API keys (docs/auth.md): the key file holds one `name:sha256-hex` per line, so it holds
// no secret; a request's bearer key is hashed and compared with every digest in
// constant time, so neither the match nor its position leaks through timing.
#pragma once

#include <array>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace vivarium::server {

using Sha256 = std::array<unsigned char, 32>;

struct ApiKey {
  std::string name;
  Sha256 digest{};
};

// 1-64 characters from A-Z a-z 0-9 . _ -: no "/" or "@", which scope session ids.
bool valid_key_name(const std::string& name);
Sha256 sha256(const std::string& text);
std::string to_hex(const Sha256& digest);

// Comments (#) and blank lines are skipped; a malformed line or a name given twice is
// an error naming the line's number.
std::expected<std::vector<ApiKey>, std::string> parse_api_keys(const std::string& text);
std::expected<std::vector<ApiKey>, std::string> read_api_keys(const std::filesystem::path& path);

// "viv_" and 64 hex digits: 256 bits from getrandom.
std::expected<std::string, std::string> new_api_key();

// The keys in force, replaced whole on SIGHUP; readers on every request.
class KeyRing {
 public:
  explicit KeyRing(std::vector<ApiKey> keys = {}) : keys_(std::make_shared<std::vector<ApiKey>>(std::move(keys))) {}
  void replace(std::vector<ApiKey> keys);
  std::size_t size() const;
  // The name of the key whose digest is sha256(presented); every digest is compared,
  // with CRYPTO_memcmp, whatever matches.
  std::optional<std::string> match(const std::string& presented) const;

 private:
  mutable std::shared_mutex mutex_;
  std::shared_ptr<const std::vector<ApiKey>> keys_;
};

}  // namespace vivarium::server
