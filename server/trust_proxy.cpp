#include "server/trust_proxy.h"

#include <arpa/inet.h>

#include <cstring>
#include <sstream>

namespace vivarium::server {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address.
bool parse_address(const std::string& text, int& family, std::array<unsigned char, 16>& bytes) {
  bytes.fill(0);
  if (::inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    family = AF_INET;
    return true;
  }
  if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes.data(), kMapped, 12) == 0) {
      std::memmove(bytes.data(), bytes.data() + 12, 4);
      std::memset(bytes.data() + 4, 0, 12);
      family = AF_INET;
    } else {
      family = AF_INET6;
    }
    return true;
  }
  return false;
}

bool contains(const Cidr& cidr, int family, const std::array<unsigned char, 16>& bytes) {
  if (cidr.family != family) return false;
  const int full = cidr.prefix / 8, rest = cidr.prefix % 8;
  if (std::memcmp(cidr.address.data(), bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (cidr.address[full] & mask) == (bytes[full] & mask);
}

}  // namespace

std::expected<std::vector<Cidr>, std::string> parse_cidr_list(const std::string& text) {
  std::vector<Cidr> list;
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    const auto slash = item.find('/');
    Cidr cidr;
    if (!parse_address(item.substr(0, slash), cidr.family, cidr.address))
      return std::unexpected("'" + item + "' is not an address or CIDR; write e.g. 10.0.0.0/8 or ::1");
    const int width = cidr.family == AF_INET ? 32 : 128;
    cidr.prefix = width;
    if (slash != std::string::npos) {
      const std::string bits = item.substr(slash + 1);
      if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(bits) > width)
        return std::unexpected("'" + item + "': the prefix length must be 0 to " + std::to_string(width));
      cidr.prefix = std::stoi(bits);
    }
    list.push_back(cidr);
  }
  return list;
}

bool cidr_contains(const std::vector<Cidr>& list, const std::string& address) {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  if (!parse_address(trim(address), family, bytes)) return false;
  for (const auto& cidr : list)
    if (contains(cidr, family, bytes)) return true;
  return false;
}

std::string client_address(const std::string& peer, const std::string& forwarded_for,
                           const std::vector<Cidr>& trusted) {
  if (trusted.empty() || !cidr_contains(trusted, peer)) return peer;
  std::vector<std::string> hops;
  std::istringstream items(forwarded_for);
  std::string item;
  while (std::getline(items, item, ',')) hops.push_back(trim(item));
  std::string client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (it->empty()) continue;
    client = *it;
    if (!cidr_contains(trusted, *it)) break;
  }
  return client;
}

}  // namespace vivarium::server
