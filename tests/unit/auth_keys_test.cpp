// The API key file and the key check (server/auth_keys.h).
#include "server/auth_keys.h"

#include <gtest/gtest.h>

using namespace vivarium::server;

namespace {
std::string line_for(const std::string& name, const std::string& key) { return name + ":" + to_hex(sha256(key)); }
}  // namespace

TEST(ApiKeyFile, ReadsNamesAndDigestsSkippingCommentsAndBlankLines) {
  auto keys =
      parse_api_keys("# team keys\n\n" + line_for("alice", "a-key") + "\r\n  " + line_for("bob.ci", "b") + "  \n");
  ASSERT_TRUE(keys) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].name, "alice");
  EXPECT_EQ((*keys)[0].digest, sha256("a-key"));
  EXPECT_EQ((*keys)[1].name, "bob.ci");
}

TEST(ApiKeyFile, UppercaseHexIsAccepted) {
  std::string hex = to_hex(sha256("k"));
  for (auto& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_api_keys("k:" + hex).value().at(0).digest, sha256("k"));
}

TEST(ApiKeyFile, AMalformedLineIsAnErrorNamingItsNumber) {
  const std::string good = line_for("a", "x");
  EXPECT_EQ(parse_api_keys(good + "\n\nno-colon-here\n").error(),
            "line 3: expected NAME:SHA256-HEX; `vivarium keys new NAME` prints such a line");
  EXPECT_EQ(parse_api_keys("a/b:" + to_hex(sha256("x"))).error(),
            "line 1: the key name must be 1-64 characters from A-Z a-z 0-9 . _ -");
  EXPECT_EQ(parse_api_keys("# c\na:viv_the_key_itself").error(),
            "line 2: the digest must be 64 hex digits (the sha256 of the key, not the key itself)");
  EXPECT_EQ(parse_api_keys(good + "\n" + line_for("a", "y")).error(), "line 2: the key name 'a' is given twice");
  EXPECT_FALSE(parse_api_keys("a:" + to_hex(sha256("x")).substr(1) + "g"));
}

TEST(ApiKeyFile, AnEmptyOrMissingFileIsAnError) {
  EXPECT_NE(read_api_keys("/nonexistent/keys").error().find("cannot read the API key file"), std::string::npos);
}

TEST(ApiKeyName, AllowsOnlyTheRestrictedCharset) {
  EXPECT_TRUE(valid_key_name("ci-runner_2.prod"));
  EXPECT_TRUE(valid_key_name(std::string(64, 'k')));
  EXPECT_FALSE(valid_key_name(""));
  EXPECT_FALSE(valid_key_name(std::string(65, 'k')));
  for (const char* bad : {"a/b", "a@b", "a b", "a:b", "é"}) EXPECT_FALSE(valid_key_name(bad)) << bad;
}

TEST(NewApiKey, IsFreshAndShapedViv64Hex) {
  const auto a = new_api_key().value(), b = new_api_key().value();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 4u + 64u);
  EXPECT_TRUE(a.starts_with("viv_"));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 4), std::string::npos);
}

TEST(KeyRing, MatchesTheKeyWhoseDigestIsListedAndNothingElse) {
  KeyRing ring(parse_api_keys(line_for("alice", "ka") + "\n" + line_for("bob", "kb")).value());
  EXPECT_EQ(ring.match("ka"), "alice");
  EXPECT_EQ(ring.match("kb"), "bob");
  EXPECT_EQ(ring.match("kc"), std::nullopt);
  EXPECT_EQ(ring.match(""), std::nullopt);
  EXPECT_EQ(ring.match(to_hex(sha256("ka"))), std::nullopt);  // the digest is not the key
}

TEST(KeyRing, ReplaceSwapsTheWholeSet) {
  KeyRing ring(parse_api_keys(line_for("alice", "ka")).value());
  ring.replace(parse_api_keys(line_for("bob", "kb")).value());
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.match("ka"), std::nullopt);
  EXPECT_EQ(ring.match("kb"), "bob");
}
