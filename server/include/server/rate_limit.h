// Per-caller quotas (docs/auth.md): requests per second as a token bucket with a burst,
// and executions in flight. A caller is a key's name, or without keys a client address.
// Thread-safe; memory is bounded: past max_callers buckets, the full ones (callers idle
// long enough to have refilled) are dropped first, then the fullest.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vivarium::server {

struct RateLimits {
  double per_second = 20;
  double burst = 40;
  int max_executions = 4;
  std::size_t max_callers = 10000;
};

struct RateDecision {
  bool allowed = true;
  int retry_after_seconds = 0;  // when refused: until the bucket holds one token again
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;
  explicit RateLimiter(RateLimits limits, Now now = Clock::now);

  // Takes one token from the caller's bucket, if it holds one.
  RateDecision take(const std::string& caller);
  // An execution slot, given back when the returned handle is destroyed; nullptr when
  // the caller has max_executions in flight.
  std::shared_ptr<void> acquire_execution(const std::string& caller);
  std::size_t tracked_callers() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  void refill(Bucket& bucket, Clock::time_point now) const;
  void evict(Clock::time_point now);

  const RateLimits limits_;
  const Now now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, int> executions_;  // only callers with one in flight
};

}  // namespace vivarium::server
