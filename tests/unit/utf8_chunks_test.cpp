// Output cut into chunks that never split a UTF-8 sequence (sessions/utf8_chunks.h).
#include "sessions/utf8_chunks.h"

#include <gtest/gtest.h>

using vivarium::sessions::Utf8Chunker;
using Chunks = std::vector<std::string>;

TEST(Utf8Chunker, WholeTextPassesInOneChunk) {
  Utf8Chunker chunker(64);
  EXPECT_EQ(chunker.add("hello\n"), Chunks{"hello\n"});
  EXPECT_EQ(chunker.finish(), "");
}

TEST(Utf8Chunker, ASequenceSplitAcrossWritesWaitsForItsEnd) {
  Utf8Chunker chunker(64);
  EXPECT_EQ(chunker.add("caf\xc3"), Chunks{"caf"});
  EXPECT_EQ(chunker.add("\xa9!"), Chunks{"\xc3\xa9!"});
  // A four-byte emoji in three writes.
  EXPECT_EQ(chunker.add("\xf0\x9f"), Chunks{});
  EXPECT_EQ(chunker.add("\x98"), Chunks{});
  EXPECT_EQ(chunker.add("\x80"), Chunks{"\xf0\x9f\x98\x80"});
}

TEST(Utf8Chunker, LongTextIsCutBetweenSequencesAtMostMaxBytes) {
  Utf8Chunker chunker(4);
  // "aé" is 3 bytes; "aéé" is 5: the cut falls before the second é, not inside it.
  EXPECT_EQ(chunker.add("a\xc3\xa9\xc3\xa9"), (Chunks{"a\xc3\xa9", "\xc3\xa9"}));
  EXPECT_EQ(chunker.add("abcdefghij"), (Chunks{"abcd", "efgh", "ij"}));
}

TEST(Utf8Chunker, BytesThatAreNotUtf8PassThroughAndTheEndIsFlushed) {
  Utf8Chunker chunker(4);
  EXPECT_EQ(chunker.add("\x80\x80\x80\x80\x80"), (Chunks{"\x80\x80\x80\x80", "\x80"}));
  EXPECT_EQ(chunker.add("x\xe2\x82"), Chunks{"x"});
  EXPECT_EQ(chunker.finish(), "\xe2\x82");
  EXPECT_EQ(chunker.finish(), "");
}
