// Output files as MCP content: images as image content, other files as embedded
// resources with their MIME type.
#include "server/mcp_content.h"

#include <gtest/gtest.h>

using namespace vivarium;
using namespace vivarium::server::mcp;

TEST(McpContent, MimeTypesFollowTheExtension) {
  EXPECT_EQ(mime_type_of("plot.png"), "image/png");
  EXPECT_EQ(mime_type_of("a/b/photo.JPEG"), "image/jpeg");
  EXPECT_EQ(mime_type_of("chart.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type_of("data.csv"), "text/csv");
  EXPECT_EQ(mime_type_of("noext"), "application/octet-stream");
  EXPECT_EQ(mime_type_of(".hidden"), "application/octet-stream");
  EXPECT_EQ(mime_type_of("dir.d/file"), "application/octet-stream");
}

TEST(McpContent, ImagesAreImageContent) {
  const auto item = file_content({"figure-1.png", std::string("\x89PNG\r\n", 6)});
  EXPECT_EQ(item["type"], "image");
  EXPECT_EQ(item["mimeType"], "image/png");
  EXPECT_EQ(item["data"], "iVBORw0K");
}

TEST(McpContent, TextFilesAreTextResourcesAndOthersBlobs) {
  const auto text = file_content({"out/my data.csv", "a,b\n1,2\n"});
  EXPECT_EQ(text["type"], "resource");
  EXPECT_EQ(text["resource"]["uri"], "file:///home/earth/out/my%20data.csv");
  EXPECT_EQ(text["resource"]["mimeType"], "text/csv");
  EXPECT_EQ(text["resource"]["text"], "a,b\n1,2\n");
  EXPECT_FALSE(text["resource"].contains("blob"));

  const auto binary = file_content({"model.bin", std::string("\x00\x01", 2)});
  EXPECT_EQ(binary["resource"]["mimeType"], "application/octet-stream");
  EXPECT_EQ(binary["resource"]["blob"], "AAE=");

  // A .txt that is not UTF-8 still arrives whole, as base64.
  const auto latin1 = file_content({"old.txt", "caf\xe9"});
  EXPECT_EQ(latin1["resource"]["blob"], "Y2Fm6Q==");
}
