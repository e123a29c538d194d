// --trust-proxy's list and the client address taken from X-Forwarded-For (server/trust_proxy.h).
#include "server/trust_proxy.h"

#include <gtest/gtest.h>

using namespace vivarium::server;

TEST(TrustProxy, ParsesAddressesAndCidrsOfBothFamilies) {
  auto list = parse_cidr_list("10.0.0.0/8, 192.168.1.7 ,::1, fd00::/8").value();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_TRUE(cidr_contains(list, "10.200.3.4"));
  EXPECT_FALSE(cidr_contains(list, "11.0.0.1"));
  EXPECT_TRUE(cidr_contains(list, "192.168.1.7"));
  EXPECT_FALSE(cidr_contains(list, "192.168.1.8"));
  EXPECT_TRUE(cidr_contains(list, "::1"));
  EXPECT_TRUE(cidr_contains(list, "fd12:3456::1"));
  EXPECT_FALSE(cidr_contains(list, "fe80::1"));
  EXPECT_TRUE(cidr_contains(list, "::ffff:10.1.2.3"));  // IPv4-mapped is IPv4
  EXPECT_FALSE(cidr_contains(list, "not-an-address"));
}

TEST(TrustProxy, OddPrefixesMaskTheRightBits) {
  auto list = parse_cidr_list("172.16.0.0/12").value();
  EXPECT_TRUE(cidr_contains(list, "172.31.255.255"));
  EXPECT_FALSE(cidr_contains(list, "172.32.0.0"));
  EXPECT_TRUE(cidr_contains(parse_cidr_list("0.0.0.0/0").value(), "8.8.8.8"));
}

TEST(TrustProxy, RejectsWhatIsNotACidr) {
  EXPECT_EQ(parse_cidr_list("10.0.0.0/33").error(), "'10.0.0.0/33': the prefix length must be 0 to 32");
  EXPECT_EQ(parse_cidr_list("proxy.local").error(),
            "'proxy.local' is not an address or CIDR; write e.g. 10.0.0.0/8 or ::1");
  EXPECT_FALSE(parse_cidr_list("10.0.0.0/"));
  EXPECT_FALSE(parse_cidr_list("10.0.0.0/-1"));
  EXPECT_TRUE(parse_cidr_list("").value().empty());
}

TEST(ClientAddress, IgnoresXForwardedForWithoutTrustedProxies) {
  EXPECT_EQ(client_address("203.0.113.9", "1.2.3.4", {}), "203.0.113.9");
}

TEST(ClientAddress, IgnoresXForwardedForFromAnUntrustedPeer) {
  EXPECT_EQ(client_address("203.0.113.9", "1.2.3.4", parse_cidr_list("10.0.0.0/8").value()), "203.0.113.9");
}

TEST(ClientAddress, TakesTheRightmostUntrustedHop) {
  const auto trusted = parse_cidr_list("10.0.0.0/8").value();
  // The client forged "6.6.6.6"; its real address is what the first trusted proxy appended.
  EXPECT_EQ(client_address("10.0.0.2", "6.6.6.6, 198.51.100.4, 10.0.0.1", trusted), "198.51.100.4");
  EXPECT_EQ(client_address("10.0.0.2", "", trusted), "10.0.0.2");
  EXPECT_EQ(client_address("10.0.0.2", "10.0.0.5, 10.0.0.1", trusted), "10.0.0.5");  // all trusted: the leftmost
}
