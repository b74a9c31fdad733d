#include "server/rate_limiter.h"

#include <algorithm>
#include <cstdint>

namespace registry::server {

bool RateLimiter::Allow(absl::string_view organisation, const registry::v1::RateLimit& limit) {
  if (limit.per_minute() == 0) return false;
  const absl::int128 token = absl::int128(60) * 1'000'000'000;
  const absl::int128 capacity = token * (limit.burst() != 0 ? limit.burst() : limit.per_minute());
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(organisation);
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string(organisation), Bucket{capacity, now}).first;
  }
  Bucket& b = it->second;
  // Clock steps back earn nothing; a long idle earns at most a full bucket.
  const int64_t elapsed_ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(now - b.last));
  b.units = std::min(capacity, b.units + absl::int128(elapsed_ns) * limit.per_minute());
  b.last = now;
  if (b.units < token) return false;
  b.units -= token;
  return true;
}

}  // namespace registry::server
