// The bounded buffer between a streamed execution and its client (server/output_queue.h).
#include "server/output_queue.h"

#include <gtest/gtest.h>

#include <thread>

using namespace vivarium::server;
using vivarium::engine::OutputStream;
using namespace std::chrono_literals;

TEST(OutputQueue, JoinsChunksOfOneStreamAndKeepsTheOrderAcrossStreams) {
  OutputQueue queue(100);
  queue.push(OutputStream::out, "a");
  queue.push(OutputStream::out, "b");
  queue.push(OutputStream::err, "c");
  queue.push(OutputStream::out, "d");
  auto batch = queue.take(0ms);
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.events[0].text, "ab");
  EXPECT_EQ(batch.events[1].stream, OutputStream::err);
  EXPECT_EQ(batch.events[1].text, "c");
  EXPECT_EQ(batch.events[2].text, "d");
  EXPECT_FALSE(batch.finished);
}

TEST(OutputQueue, PastItsCapacityWholeChunksAreDroppedAndCounted) {
  OutputQueue queue(10);
  queue.push(OutputStream::out, "12345678");
  queue.push(OutputStream::out, "abc");   // would make 11: dropped
  queue.push(OutputStream::out, "defg");  // dropped too
  queue.push(OutputStream::err, "xy");    // fits
  auto batch = queue.take(0ms);
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.events[0].text, "12345678");
  EXPECT_EQ(batch.events[1].kind, StreamEvent::Kind::dropped);
  EXPECT_EQ(batch.events[1].dropped, 7u);
  EXPECT_EQ(batch.events[2].text, "xy");
  // Taken, the room is back.
  queue.push(OutputStream::out, "0123456789");
  EXPECT_EQ(queue.take(0ms).events.at(0).text, "0123456789");
}

TEST(OutputQueue, TakeWaitsForOutputOrTheEnd) {
  OutputQueue queue;
  EXPECT_TRUE(queue.take(10ms).events.empty());
  std::thread writer([&] {
    queue.push(OutputStream::out, "late");
    queue.close();
  });
  std::string seen;
  bool finished = false;
  while (!finished) {
    auto batch = queue.take(5s);
    for (const auto& event : batch.events) seen += event.text;
    finished = batch.finished;
  }
  writer.join();
  EXPECT_EQ(seen, "late");
}
