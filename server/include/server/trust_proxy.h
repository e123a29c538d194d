// Which address a request comes from (docs/auth.md): the socket's peer, unless that peer
// is a proxy named by --trust-proxy; then X-Forwarded-For is read from the right, past
// every trusted proxy, and the first untrusted address is the client's.
#pragma once

#include <array>
#include <expected>
#include <string>
#include <vector>

namespace vivarium::server {

struct Cidr {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> address{};
  int prefix = 0;  // bits
};

// "10.0.0.0/8, 127.0.0.1, ::1/128": comma-separated; an address alone is one host.
std::expected<std::vector<Cidr>, std::string> parse_cidr_list(const std::string& text);
bool cidr_contains(const std::vector<Cidr>& list, const std::string& address);

// The client's address for quotas: `peer` itself when it is not trusted; otherwise the
// rightmost X-Forwarded-For entry that is not trusted (or the leftmost, if all are).
std::string client_address(const std::string& peer, const std::string& forwarded_for, const std::vector<Cidr>& trusted);

}  // namespace vivarium::server
