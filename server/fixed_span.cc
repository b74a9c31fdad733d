#include "server/fixed_span.h"

#include <time.h>

#include <cerrno>

namespace registry::server {
namespace {

class SteadyPacer final : public Pacer {
 public:
  absl::Duration Elapsed() const override {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return absl::DurationFromTimespec(now);
  }

  void WaitUntil(absl::Duration until) const override {
    const timespec at = absl::ToTimespec(until);
    // An absolute deadline: a signal that interrupts the sleep does not move it.
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
    }
  }
};

}  // namespace

const Pacer* Pacer::Steady() {
  static const SteadyPacer* const pacer = new SteadyPacer();
  return pacer;
}

bool FixedSpan::Close() const {
  if (pacer_->Elapsed() >= end_) return false;
  pacer_->WaitUntil(end_);
  return true;
}

}  // namespace registry::server
