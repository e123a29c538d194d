// The Origin rule of /mcp against DNS rebinding.
#include "server/mcp_origin.h"

#include <gtest/gtest.h>

using namespace vivarium::server::mcp;

TEST(McpOrigin, NoOriginAndLocalhostOriginsPass) {
  EXPECT_TRUE(origin_allowed(false, "", {}));
  for (const char* origin : {"http://localhost", "http://localhost:6274", "https://localhost:3000", "http://127.0.0.1",
                             "http://127.0.0.1:8080", "http://127.1.2.3:1", "http://[::1]:3000", "HTTP://LOCALHOST/"})
    EXPECT_TRUE(origin_allowed(true, origin, {})) << origin;
}

TEST(McpOrigin, OtherOriginsAreRefusedUnlessAllowed) {
  for (const char* origin : {"http://evil.example", "http://localhost.evil.example", "http://127.0.0.1.evil.example",
                             "null", "", "http://localhost:80x", "file://", "http://128.0.0.1", "http://127.0.0.256"})
    EXPECT_FALSE(origin_allowed(true, origin, {})) << origin;
  EXPECT_TRUE(origin_allowed(true, "https://app.example.com", {"https://App.example.com/"}));
  EXPECT_FALSE(origin_allowed(true, "https://app.example.com:8443", {"https://app.example.com"}));
  EXPECT_TRUE(origin_allowed(true, "http://anything", {"*"}));
}
