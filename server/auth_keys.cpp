#include "server/auth_keys.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/random.h>

#include <cctype>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace vivarium::server {

bool valid_key_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

Sha256 sha256(const std::string& text) {
  Sha256 digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

std::string to_hex(const Sha256& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 15];
  }
  return hex;
}

namespace {

std::optional<Sha256> parse_hex_digest(const std::string& hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256 digest{};
  for (std::size_t i = 0; i < 32; ++i) {
    int value = 0;
    for (char c : {hex[2 * i], hex[2 * i + 1]}) {
      const int lower = std::tolower(static_cast<unsigned char>(c));
      int nibble;
      if (lower >= '0' && lower <= '9')
        nibble = lower - '0';
      else if (lower >= 'a' && lower <= 'f')
        nibble = lower - 'a' + 10;
      else
        return std::nullopt;
      value = value * 16 + nibble;
    }
    digest[i] = static_cast<unsigned char>(value);
  }
  return digest;
}

}  // namespace

std::expected<std::vector<ApiKey>, std::string> parse_api_keys(const std::string& text) {
  std::vector<ApiKey> keys;
  std::set<std::string> names;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    const auto at = "line " + std::to_string(number) + ": ";
    const auto colon = line.find(':');
    if (colon == std::string::npos)
      return std::unexpected(at + "expected NAME:SHA256-HEX; `vivarium keys new NAME` prints such a line");
    ApiKey key{line.substr(0, colon), {}};
    if (!valid_key_name(key.name))
      return std::unexpected(at + "the key name must be 1-64 characters from A-Z a-z 0-9 . _ -");
    auto digest = parse_hex_digest(line.substr(colon + 1));
    if (!digest)
      return std::unexpected(at + "the digest must be 64 hex digits (the sha256 of the key, not the key itself)");
    if (!names.insert(key.name).second) return std::unexpected(at + "the key name '" + key.name + "' is given twice");
    key.digest = *digest;
    keys.push_back(std::move(key));
  }
  return keys;
}

std::expected<std::vector<ApiKey>, std::string> read_api_keys(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected(path.string() + ": cannot read the API key file; check its path and permissions");
  std::ostringstream text;
  text << in.rdbuf();
  auto keys = parse_api_keys(text.str());
  if (!keys) return std::unexpected(path.string() + " " + keys.error());
  if (keys->empty())
    return std::unexpected(path.string() + ": the API key file has no key; add one from `vivarium keys new NAME`");
  return keys;
}

std::expected<std::string, std::string> new_api_key() {
  Sha256 bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    return std::unexpected("the kernel's random source (getrandom) failed; retry");
  return "viv_" + to_hex(bytes);
}

void KeyRing::replace(std::vector<ApiKey> keys) {
  auto next = std::make_shared<const std::vector<ApiKey>>(std::move(keys));
  std::unique_lock lock(mutex_);
  keys_ = std::move(next);
}

std::size_t KeyRing::size() const {
  std::shared_lock lock(mutex_);
  return keys_->size();
}

std::optional<std::string> KeyRing::match(const std::string& presented) const {
  std::shared_ptr<const std::vector<ApiKey>> keys;
  {
    std::shared_lock lock(mutex_);
    keys = keys_;
  }
  const Sha256 digest = sha256(presented);
  const ApiKey* found = nullptr;
  for (const auto& key : *keys)
    if (CRYPTO_memcmp(key.digest.data(), digest.data(), digest.size()) == 0) found = &key;
  if (found == nullptr) return std::nullopt;
  return found->name;
}

}  // namespace vivarium::server
