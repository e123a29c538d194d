// Server-Sent Events framing (server/sse.h).
#include "server/sse.h"

#include <gtest/gtest.h>

using namespace vivarium::server;

TEST(Sse, AnEventIsItsNameAndOneDataLine) {
  EXPECT_EQ(sse_event("result", {{"success", true}}), "event: result\ndata: {\"success\":true}\n\n");
  // Newlines inside the data stay escaped in JSON: the event cannot be cut short.
  EXPECT_EQ(sse_output_event({StreamEvent::Kind::text, vivarium::engine::OutputStream::out, "a\n\nb", 0}),
            "event: stdout\ndata: {\"text\":\"a\\n\\nb\"}\n\n");
}

TEST(Sse, DroppedOutputAndCommentsHaveTheirOwnForm) {
  EXPECT_EQ(sse_output_event({StreamEvent::Kind::dropped, vivarium::engine::OutputStream::err, "", 42}),
            "event: dropped\ndata: {\"bytes\":42,\"stream\":\"stderr\"}\n\n");
  EXPECT_EQ(sse_comment("running"), ": running\n\n");
}

TEST(Sse, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(sse_event("stdout", {{"text", std::string("\xff")}}),
            "event: stdout\ndata: {\"text\":\"\xef\xbf\xbd\"}\n\n");
}
