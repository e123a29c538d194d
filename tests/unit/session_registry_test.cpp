// The session registry without any process: creation on first use, the cap, FIFO turns
// within a session, idle expiry and removal.
#include "sessions/session_registry.h"

#include <gtest/gtest.h>

#include <thread>

using namespace vivarium::sessions;
using namespace std::chrono_literals;

TEST(SessionRegistry, TheSameIdIsTheSameSessionAndTheCapCountsDistinctIds) {
  SessionRegistry registry(2);
  auto a = registry.acquire("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(*registry.acquire("a"), *a);
  ASSERT_TRUE(registry.acquire("b"));
  auto c = registry.acquire("c");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), AcquireError::too_many_sessions);
  EXPECT_EQ(registry.size(), 2u);
  // Removing one makes room again; an unknown id is not there to remove.
  EXPECT_TRUE(registry.remove("a"));
  EXPECT_FALSE(registry.remove("a"));
  EXPECT_TRUE(registry.acquire("c"));
}

TEST(SessionRegistry, ARemovedSessionIsEndedForWhoeverStillHoldsIt) {
  SessionRegistry registry(4);
  auto held = *registry.acquire("a");
  registry.remove("a");
  std::lock_guard lock(held->mutex);
  EXPECT_TRUE(held->ended);
}

TEST(SessionRegistry, ExecutionsInOneSessionTakeTurnsInArrivalOrder) {
  SessionRegistry registry(4);
  auto session = *registry.acquire("a");
  std::vector<int> order;
  std::mutex order_mutex;
  std::vector<std::thread> threads;
  {
    SessionTurn first(*session);  // holds the turn while the others queue up behind it
    for (int i = 1; i <= 3; ++i) {
      threads.emplace_back([&, i] {
        SessionTurn turn(*session);
        std::lock_guard lock(order_mutex);
        order.push_back(i);
      });
      // Each takes its ticket before the next starts.
      for (;;) {
        std::lock_guard lock(session->mutex);
        if (session->next_ticket == static_cast<std::uint64_t>(i) + 1) break;
      }
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(SessionRegistry, OnlyIdleSessionsPastTheTimeoutExpire) {
  SessionRegistry registry(4);
  auto busy = *registry.acquire("busy");
  ASSERT_TRUE(registry.acquire("idle"));
  SessionTurn running(*busy);  // an execution in progress: never expired under it
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(registry.expire(10ms), std::vector<std::string>{"idle"});
  EXPECT_TRUE(registry.expire(10ms).empty());
  ASSERT_EQ(registry.list().size(), 1u);
  EXPECT_EQ(registry.list()[0].id, "busy");
}
