// Clock: the one source of "now" for code that decides by time (rate limits, visibility,
// retention, certificate validity), so tests can inject a FakeClock.
//
//   FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
//   limiter.Allow("org", clock.Now());
//   clock.Advance(absl::Minutes(1));
#ifndef REGISTRY_COMMON_CLOCK_H_
#define REGISTRY_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace registry {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance.
  static SystemClock* Get();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry

#endif  // REGISTRY_COMMON_CLOCK_H_
