// The per-caller token bucket and execution slots (server/rate_limit.h), on a fake clock.
#include "server/rate_limit.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using namespace vivarium::server;
using namespace std::chrono_literals;

namespace {
struct FakeClock {
  RateLimiter::Clock::time_point now{};
  RateLimiter::Now function() {
    return [this] { return now; };
  }
};
}  // namespace

TEST(RateLimiter, AllowsTheBurstThenRefusesWithRetryAfter) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 2, .burst = 5}, clock.function());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.take("alice").allowed) << i;
  auto refused = limiter.take("alice");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);  // one token at 2/s: 0.5 s, rounded up
}

TEST(RateLimiter, RefillsAtTheRateUpToTheBurst) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 2, .burst = 4}, clock.function());
  for (int i = 0; i < 4; ++i) limiter.take("a");
  EXPECT_FALSE(limiter.take("a").allowed);
  clock.now += 500ms;  // one token
  EXPECT_TRUE(limiter.take("a").allowed);
  EXPECT_FALSE(limiter.take("a").allowed);
  clock.now += 1h;  // never more than the burst
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.take("a").allowed) << i;
  EXPECT_FALSE(limiter.take("a").allowed);
}

TEST(RateLimiter, RetryAfterIsTheTimeToTheNextToken) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 0.2, .burst = 1}, clock.function());  // a token per 5 s
  EXPECT_TRUE(limiter.take("a").allowed);
  EXPECT_EQ(limiter.take("a").retry_after_seconds, 5);
  clock.now += 2s;
  EXPECT_EQ(limiter.take("a").retry_after_seconds, 3);
}

TEST(RateLimiter, CallersHaveBucketsOfTheirOwn) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 1, .burst = 1}, clock.function());
  EXPECT_TRUE(limiter.take("alice").allowed);
  EXPECT_FALSE(limiter.take("alice").allowed);
  EXPECT_TRUE(limiter.take("bob").allowed);
}

TEST(RateLimiter, MemoryIsBoundedWhateverTheNumberOfCallers) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 1, .burst = 2, .max_callers = 100}, clock.function());
  for (int i = 0; i < 10000; ++i) {
    limiter.take("10.0." + std::to_string(i));
    clock.now += 1ms;
    EXPECT_LE(limiter.tracked_callers(), 100u);
  }
}

TEST(RateLimiter, EvictingKeepsABusyCallerLimited) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 1, .burst = 2, .max_callers = 10}, clock.function());
  limiter.take("busy");
  limiter.take("busy");
  for (int i = 0; i < 8; ++i) limiter.take("idle" + std::to_string(i));
  clock.now += 10s;  // the idle ones refill and are dropped first; busy is refilled too
  limiter.take("busy");
  limiter.take("busy");
  for (int i = 0; i < 20; ++i) {
    clock.now += 1ms;
    limiter.take("new" + std::to_string(i));
  }
  EXPECT_FALSE(limiter.take("busy").allowed);
}

TEST(RateLimiter, ExecutionSlotsAreCountedPerCallerAndGivenBack) {
  RateLimiter limiter({.max_executions = 2});
  auto a1 = limiter.acquire_execution("alice");
  auto a2 = limiter.acquire_execution("alice");
  ASSERT_TRUE(a1);
  ASSERT_TRUE(a2);
  EXPECT_FALSE(limiter.acquire_execution("alice"));
  EXPECT_TRUE(limiter.acquire_execution("bob"));
  a1.reset();
  EXPECT_TRUE(limiter.acquire_execution("alice"));
}

TEST(RateLimiter, IsSafeFromManyThreads) {
  FakeClock clock;  // still: no refill, so exactly the burst is allowed
  RateLimiter limiter({.per_second = 1, .burst = 1000, .max_executions = 1000000}, clock.function());
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.take("shared").allowed) ++allowed;
        auto slot = limiter.acquire_execution("shared");
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);  // 4000 takes against a burst of 1000
  EXPECT_TRUE(limiter.acquire_execution("shared"));
}
