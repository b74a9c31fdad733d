// RateLimiter: one token bucket per vetting organisation.
//
//   RateLimiter limiter(&clock);
//   if (!limiter.Allow("school-7", org.rate_limit())) -> RESOURCE_EXHAUSTED
#ifndef REGISTRY_SERVER_RATE_LIMITER_H_
#define REGISTRY_SERVER_RATE_LIMITER_H_

#include <map>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "registry/v1/policy.pb.h"

namespace registry::server {

// Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(const Clock* clock) : clock_(clock) {}

  // Takes one token from the organisation's bucket (capacity burst or per_minute, refilled at
  // per_minute per minute). False when the bucket is empty or the limit is zero.
  bool Allow(absl::string_view organisation, const registry::v1::RateLimit& limit);

 private:
  // Tokens are counted in whole units of 1/60e9 of a token: a limit of N per minute earns N units
  // a nanosecond, exactly, so a token is never late by a rounding error however time is sliced.
  struct Bucket {
    absl::int128 units = 0;
    absl::Time last;
  };
  const Clock* clock_;
  absl::Mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_RATE_LIMITER_H_
