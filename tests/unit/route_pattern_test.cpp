// The `route` label: a fixed set of patterns, so that no client can create series.
#include "server/route_pattern.h"

#include <gtest/gtest.h>

using vivarium::server::route_pattern;

TEST(RoutePattern, EachRouteIsItsPattern) {
  EXPECT_STREQ(route_pattern("/exec"), "/exec");
  EXPECT_STREQ(route_pattern("/"), "/");
  EXPECT_STREQ(route_pattern("/sessions"), "/sessions");
  EXPECT_STREQ(route_pattern("/health"), "/health");
  EXPECT_STREQ(route_pattern("/ready"), "/ready");
  EXPECT_STREQ(route_pattern("/metrics"), "/metrics");
  EXPECT_STREQ(route_pattern("/openapi.json"), "/openapi.json");
  EXPECT_STREQ(route_pattern("/mcp"), "/mcp");
}

TEST(RoutePattern, SessionIdsNeverBecomeLabelValues) {
  EXPECT_STREQ(route_pattern("/sessions/abc"), "/sessions/{id}");
  EXPECT_STREQ(route_pattern("/sessions/a/b"), "/sessions/{id}");  // ids are ".+" in the routes
  EXPECT_STREQ(route_pattern("/sessions/abc/interrupt"), "/sessions/{id}/interrupt");
  EXPECT_STREQ(route_pattern("/sessions/a/b/interrupt"), "/sessions/{id}/interrupt");
}

TEST(RoutePattern, UnknownPathsAreOther) {
  EXPECT_STREQ(route_pattern("/sessions/"), "other");
  EXPECT_STREQ(route_pattern("/exec/x"), "other");
  EXPECT_STREQ(route_pattern("/wp-admin"), "other");
  EXPECT_STREQ(route_pattern(""), "other");
  EXPECT_STREQ(route_pattern("/EXEC"), "other");
}
