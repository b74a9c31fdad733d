// ClockGuard: what erases for good (the retention run's expunges and audit pruning) does not
// trust a clock that moved further than time did.
//
// A clock set years ahead (a wrong NTP answer, a replaced battery, someone with root) made the
// start-up retention run erase every record "due" by it, and the erasure ledger then kept them
// erased through any restore. The guard compares the registry clock with two witnesses:
//
// - at start, the time erasures last trusted (RecordStore::ErasureClockMark; without one, the
//   newest audit event's): a clock more than kMaxStopGap past it (a stop longer than a week, or a
//   jump) is not trusted;
// - while running, the monotonic clock: a registry clock that ran more than kMaxDrift ahead of
//   it since the clock was last trusted is not trusted.
//
// An untrusted clock holds erasures (FailedPrecondition, saying by how much and what to do) until
// it comes back within bounds, or until an operator who checked it runs
// `registryd --confirm_clock`, which stores the clock's reading as the trusted time. A clock
// behind is trusted: erasures come late, never early.
//
//   ClockGuard guard(clock, Pacer::Steady(), *mark);
//   ASSIGN_OR_RETURN(absl::Time trusted_now, guard.Check());  // before erasing
//   RETURN_IF_ERROR(records->SetErasureClockMark(trusted_now));
#ifndef REGISTRY_SERVER_CLOCK_GUARD_H_
#define REGISTRY_SERVER_CLOCK_GUARD_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/fixed_span.h"

namespace registry::server {

// Thread-safe.
class ClockGuard {
 public:
  // The longest stop after which the clock is trusted at start without a confirmation.
  static constexpr absl::Duration kMaxStopGap = absl::Hours(24 * 7);
  // How far the registry clock may run ahead of the monotonic one while registryd runs (NTP
  // corrections of a drifting clock).
  static constexpr absl::Duration kMaxDrift = absl::Hours(24);

  // `trusted`: the time erasures last trusted; absl::InfinitePast() for none (a new registry,
  // whose clock is trusted). `clock` and `elapsed` are not owned.
  ClockGuard(const Clock* clock, const Pacer* elapsed, absl::Time trusted);

  // When erasing by the clock's reading is safe, the time to store as the trusted time (the
  // reading, or the trusted time moved on by the monotonic clock when the reading is behind);
  // FailedPrecondition saying how far ahead the clock is otherwise.
  absl::StatusOr<absl::Time> Check();

 private:
  const Clock* clock_;
  const Pacer* elapsed_;
  absl::Mutex mu_;
  // The last trusted reading, and the monotonic clock then.
  absl::Time trusted_ ABSL_GUARDED_BY(mu_);
  absl::Duration trusted_elapsed_ ABSL_GUARDED_BY(mu_);
  // Whether trusted_ was read from the clock in this process (else it is the stored one).
  bool accepted_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_CLOCK_GUARD_H_
