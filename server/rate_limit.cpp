#include "server/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace vivarium::server {

RateLimiter::RateLimiter(RateLimits limits, Now now) : limits_(limits), now_(std::move(now)) {}

void RateLimiter::refill(Bucket& bucket, Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) bucket.tokens = std::min(limits_.burst, bucket.tokens + elapsed * limits_.per_second);
  bucket.updated = std::max(bucket.updated, now);
}

void RateLimiter::evict(Clock::time_point now) {
  // A full bucket is the same as no bucket: dropping it forgets nothing.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= limits_.burst ? buckets_.erase(it) : std::next(it);
  }
  // Then the fullest: forgetting it lets its caller the fewest extra requests, and a
  // flood of new callers (each a token short of full) cannot push a throttled one out.
  while (buckets_.size() >= limits_.max_callers) {
    auto fullest = std::max_element(buckets_.begin(), buckets_.end(), [](const auto& a, const auto& b) {
      if (a.second.tokens != b.second.tokens) return a.second.tokens < b.second.tokens;
      return a.second.updated > b.second.updated;  // equal: the least recently seen
    });
    buckets_.erase(fullest);
  }
}

RateDecision RateLimiter::take(const std::string& caller) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(caller);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_callers) evict(now);
    it = buckets_.emplace(caller, Bucket{limits_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  refill(bucket, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return {};
  }
  const double wait = (1 - bucket.tokens) / limits_.per_second;
  return {false, std::max(1, static_cast<int>(std::ceil(wait)))};
}

std::shared_ptr<void> RateLimiter::acquire_execution(const std::string& caller) {
  {
    std::lock_guard lock(mutex_);
    int& running = executions_[caller];
    if (running >= limits_.max_executions) {
      if (running == 0) executions_.erase(caller);
      return nullptr;
    }
    ++running;
  }
  // Not null, so that the caller can test it; the deleter only gives the slot back.
  return std::shared_ptr<void>(static_cast<void*>(this), [this, caller](void*) {
    std::lock_guard lock(mutex_);
    if (auto it = executions_.find(caller); it != executions_.end() && --it->second <= 0) executions_.erase(it);
  });
}

std::size_t RateLimiter::tracked_callers() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace vivarium::server
