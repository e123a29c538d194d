#include "sessions/sandbox_ids.h"

#include <gtest/gtest.h>

#include <set>

using namespace vivarium::sessions;

TEST(SandboxIds, LiveSessionsNeverShareAnIdAndAFreedOneIsReused) {
  SandboxIds ids({.first = 1879048192, .count = 3});
  auto a = ids.acquire(), b = ids.acquire(), c = ids.acquire();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(std::set<uid_t>({(*a)->uid, (*b)->uid, (*c)->uid}).size(), 3u);
  EXPECT_EQ((*a)->uid, 1879048192u);
  EXPECT_EQ((*a)->gid, (*a)->uid);
  EXPECT_FALSE(ids.acquire()) << "every id of the range is held";
  const uid_t freed = (*b)->uid;
  auto copy = *b;  // the handle is copied with the session process: the id stays held
  b.reset();
  EXPECT_FALSE(ids.acquire());
  copy.reset();
  auto d = ids.acquire();
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)->uid, freed);
  EXPECT_EQ(ids.in_use(), 3u);
}

TEST(SandboxIds, ALeaseMayOutliveThePool) {
  std::optional<SandboxIds::Lease> lease;
  {
    SandboxIds ids({.first = 1000000, .count = 1});
    lease = ids.acquire();
  }
  EXPECT_EQ((*lease)->uid, 1000000u);
  lease->reset();  // returns its id to a pool that is gone: no crash
}
