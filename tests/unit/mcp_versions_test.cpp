// Version negotiation: the version asked for when vivarium speaks it, else 2025-06-18.
#include "server/mcp_versions.h"

#include <gtest/gtest.h>

using namespace vivarium::server::mcp;

TEST(McpVersions, KnownVersionsAreAnsweredAsAsked) {
  EXPECT_EQ(negotiate_version("2025-11-25"), "2025-11-25");
  EXPECT_EQ(negotiate_version("2025-06-18"), "2025-06-18");
  EXPECT_EQ(negotiate_version("2025-03-26"), "2025-03-26");
  EXPECT_EQ(negotiate_version("2024-11-05"), "2024-11-05");
}

TEST(McpVersions, UnknownVersionsGetTheDefault) {
  EXPECT_EQ(negotiate_version("2099-01-01"), "2025-06-18");
  EXPECT_EQ(negotiate_version(""), "2025-06-18");
  EXPECT_FALSE(is_supported_version("2024-10-07"));
  EXPECT_FALSE(is_supported_version("garbage"));
}

TEST(McpVersions, ArgumentErrorsAreToolResultsFrom20251125) {
  EXPECT_TRUE(argument_errors_are_tool_results("2025-11-25"));
  EXPECT_FALSE(argument_errors_are_tool_results("2025-06-18"));
  EXPECT_FALSE(argument_errors_are_tool_results("2024-11-05"));
}
