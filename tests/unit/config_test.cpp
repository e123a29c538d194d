// `vivarium serve` settings from a .env file (server/config.h). The quoting cases are
// from tests/fuzz/dotenv_fuzz.cpp.
#include "server/config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "packages/packages.h"

using namespace vivarium::server;

TEST(ParseDotenv, ReadsKeysValuesCommentsExportAndQuotes) {
  const auto values =
      parse_dotenv("# settings\n\nexport PORT=8080\n  HOST = '0.0.0.0'  \nLOG_LEVEL=warn # quiet\r\n").value();
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"PORT", "8080"}, {"HOST", "0.0.0.0"}, {"LOG_LEVEL", "warn"}}));
}

TEST(ParseDotenv, AQuotedValueMayBeFollowedByAComment) {
  // Was '"512M" # per session' kept whole, quotes and all, so MEMORY_LIMIT was invalid
  // and a quoted path silently gained quotes and a comment.
  const auto values = parse_dotenv("MEMORY_LIMIT=\"512M\" # per session\nVIVARIUM_WHEELS_DIR='/srv/w # 2'#x\n").value();
  EXPECT_EQ(values.at("MEMORY_LIMIT"), "512M");
  EXPECT_EQ(values.at("VIVARIUM_WHEELS_DIR"), "/srv/w # 2");
}

TEST(ParseDotenv, AQuotedValueEndsAtItsClosingQuote) {
  // Was accepted as a value holding an inner quote: a"b. There are no escapes, so a
  // quoted value cannot hold its own quote, and a .env written back is unambiguous.
  EXPECT_EQ(parse_dotenv("A=1\nK=\"a\"b\"\n").error(),
            ".env line 2: text after the closing quote; put a # before a comment");
  // Was accepted as the value "abc with its opening quote.
  EXPECT_EQ(parse_dotenv("K=\"abc\n").error(),
            ".env line 1: the value has no closing \"; end it with the quote it starts with");
  EXPECT_EQ(parse_dotenv("K=\"it's\"\n").value().at("K"), "it's");
}

TEST(ParseDotenv, ALineWithoutKeyAndEqualsIsAnErrorNamingIt) {
  EXPECT_EQ(parse_dotenv("PORT=1\nPORT\n").error(), ".env line 2: expected KEY=VALUE");
  EXPECT_EQ(parse_dotenv("=1\n").error(), ".env line 1: expected KEY=VALUE");
}

TEST(ResolveConfig, SandboxUidsAreARangeLargerThanTheSessionCapAndTheSpares) {
  auto config = resolve_config({{"SANDBOX_UIDS", "200000-200099"}, {"MAX_SESSIONS", "97"}}, {}, {});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->sandbox_ids.first, 200000u);
  EXPECT_EQ(config->sandbox_ids.count, 100u);
  // Each spare holds a uid of its own, like a session (2 by default).
  auto small = resolve_config({{"SANDBOX_UIDS", "200000-200099"}, {"MAX_SESSIONS", "98"}}, {}, {});
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().find("fewer than MAX_SESSIONS + SPARE_SESSIONS + 1 (101)"), std::string::npos)
      << small.error();
  EXPECT_TRUE(
      resolve_config({{"SANDBOX_UIDS", "200000-200099"}, {"MAX_SESSIONS", "99"}, {"SPARE_SESSIONS", "0"}}, {}, {}));
  auto root = resolve_config({{"SANDBOX_UIDS", "0-1000"}}, {}, {});
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().find("SANDBOX_UIDS: invalid uid range '0-1000': uid 0 is root"), std::string::npos)
      << root.error();
}

TEST(ResolveConfig, SpareSessionsDefaultToTwoAndZeroTurnsThemOff) {
  EXPECT_EQ(resolve_config({}, {}, {})->spare_sessions, 2);
  EXPECT_EQ(resolve_config({}, {{"SPARE_SESSIONS", "0"}}, {})->spare_sessions, 0);
  EXPECT_EQ(resolve_config({{"SPARE_SESSIONS", "8"}}, {}, {})->spare_sessions, 8);
  auto bad = resolve_config({}, {{"SPARE_SESSIONS", "-1"}}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "SPARE_SESSIONS='-1': expected a whole number from 0 to 64");
}

TEST(ResolveConfig, RequireFullSandboxIsASwitchWithBooleanEnvironmentValues) {
  EXPECT_FALSE(resolve_config({}, {}, {})->require_full_sandbox);
  EXPECT_TRUE(resolve_config({{"REQUIRE_FULL_SANDBOX", "1"}}, {}, {})->require_full_sandbox);
  EXPECT_TRUE(resolve_config({}, {{"REQUIRE_FULL_SANDBOX", "yes"}}, {})->require_full_sandbox);
  EXPECT_FALSE(resolve_config({}, {}, {{"REQUIRE_FULL_SANDBOX", "off"}})->require_full_sandbox);
  auto bad = resolve_config({}, {{"REQUIRE_FULL_SANDBOX", "maybe"}}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "REQUIRE_FULL_SANDBOX='maybe': expected 1, true, yes or on (or 0, false, no, off)");
}

TEST(ResolveConfig, ThePreloadDefaultIsTheOneListEverywhere) {
  EXPECT_EQ(resolve_config({}, {}, {}).value().preload, vivarium::packages::kDefaultPreload);
  const auto& settings = server_settings();
  const auto preload = std::find_if(settings.begin(), settings.end(),
                                    [](const SettingInfo& setting) { return std::string(setting.env) == "PRELOAD"; });
  ASSERT_NE(preload, settings.end());
  EXPECT_EQ(std::string(preload->default_text), "numpy,pandas,matplotlib");
  EXPECT_EQ(vivarium::packages::parse_package_list(preload->default_text), vivarium::packages::kDefaultPreload);
  EXPECT_EQ(resolve_config({{"PRELOAD", "none"}}, {}, {}).value().preload, std::vector<std::string>{});
}

TEST(ResolveConfig, McpAllowedOriginsAreACommaSeparatedListOfOrigins) {
  EXPECT_TRUE(resolve_config({}, {}, {})->mcp_allowed_origins.empty());
  const auto config =
      resolve_config({{"MCP_ALLOWED_ORIGINS", " https://a.example , http://b.example:8080,*,"}}, {}, {});
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->mcp_allowed_origins, (std::vector<std::string>{"https://a.example", "http://b.example:8080", "*"}));
  const auto bad = resolve_config({}, {{"MCP_ALLOWED_ORIGINS", "a.example"}}, {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("scheme://host[:port]"), std::string::npos);
}

TEST(ResolveConfig, AuthAndQuotaSettingsHaveTheirDocumentedDefaults) {
  auto config = resolve_config({}, {}, {}).value();
  EXPECT_FALSE(config.api_keys_file);
  EXPECT_FALSE(config.allow_unauthenticated);
  EXPECT_FALSE(config.metrics_public);
  EXPECT_EQ(config.trust_proxy, "");
  EXPECT_EQ(config.max_sessions_per_key, 20);
  EXPECT_EQ(config.max_executions_per_key, 4);
  EXPECT_EQ(config.rate_limit, 20);
  EXPECT_EQ(config.rate_burst, 40);
}

TEST(ResolveConfig, AuthAndQuotaSettingsAreChecked) {
  auto config = resolve_config({{"VIVARIUM_API_KEYS_FILE", "/etc/vivarium/keys"},
                                {"ALLOW_UNAUTHENTICATED", "yes"},
                                {"TRUST_PROXY", "10.0.0.0/8,::1"},
                                {"RATE_LIMIT", "0"},
                                {"RATE_BURST", "2.5"}},
                               {}, {})
                    .value();
  EXPECT_EQ(config.api_keys_file, std::filesystem::path("/etc/vivarium/keys"));
  EXPECT_TRUE(config.allow_unauthenticated);
  EXPECT_EQ(config.rate_limit, 0);  // no limit
  EXPECT_EQ(config.rate_burst, 2.5);
  EXPECT_EQ(resolve_config({{"TRUST_PROXY", "nginx"}}, {}, {}).error(),
            "TRUST_PROXY: 'nginx' is not an address or CIDR; write e.g. 10.0.0.0/8 or ::1");
  EXPECT_EQ(resolve_config({{"RATE_LIMIT", "0.5"}}, {}, {}).error(),
            "RATE_LIMIT='0.5': expected a number from 1 (or 0: no limit) to 1000000000");
  EXPECT_EQ(resolve_config({{"RATE_BURST", "0"}}, {}, {}).error(),
            "RATE_BURST='0': expected a number from 1 to 1000000000");
  EXPECT_EQ(resolve_config({{"MAX_EXECUTIONS_PER_KEY", "0"}}, {}, {}).error(),
            "MAX_EXECUTIONS_PER_KEY='0': expected a whole number from 1 to 100000");
  EXPECT_EQ(resolve_config({{"METRICS_PUBLIC", "maybe"}}, {}, {}).error(),
            "METRICS_PUBLIC='maybe': expected 1, true, yes or on (or 0, false, no, off)");
}

TEST(ResolveConfig, InstanceIdIsAShortNameWithoutDots) {
  const auto config = resolve_config({{"INSTANCE_ID", "vivarium-0"}}, {}, {});
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->instance_id, "vivarium-0");
  EXPECT_EQ(resolve_config({}, {}, {})->instance_id, "");
  for (const char* bad : {"a.b", "a b", "x/y", "0123456789012345678901234567890123"}) {
    const auto refused = resolve_config({}, {{"INSTANCE_ID", bad}}, {});
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().find("INSTANCE_ID"), std::string::npos) << refused.error();
  }
}
