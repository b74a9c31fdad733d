#include "server/rate_limiter.h"

#include <algorithm>

namespace registry::server {

bool RateLimiter::Allow(absl::string_view organisation, const registry::v1::RateLimit& limit) {
  if (limit.per_minute() == 0) return false;
  const double capacity = limit.burst() != 0 ? limit.burst() : limit.per_minute();
  const double per_second = limit.per_minute() / 60.0;
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(organisation);
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string(organisation), Bucket{capacity, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.last));
  b.tokens = std::min(capacity, b.tokens + elapsed * per_second);
  b.last = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace registry::server
