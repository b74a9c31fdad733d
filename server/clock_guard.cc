#include "server/clock_guard.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/time_format.h"

namespace registry::server {
namespace {

std::string Days(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Hours(d) / 24, " days ", absl::ToInt64Hours(d) % 24, " hours");
}

}  // namespace

ClockGuard::ClockGuard(const Clock* clock, const Pacer* elapsed, absl::Time trusted)
    : clock_(clock), elapsed_(elapsed) {
  absl::MutexLock lock(&mu_);
  trusted_ = trusted;
  trusted_elapsed_ = elapsed_->Elapsed();
  const absl::Time now = clock_->Now();
  if (trusted == absl::InfinitePast() || now <= trusted + kMaxStopGap) {
    trusted_ = trusted == absl::InfinitePast() ? now : std::max(now, trusted);
    accepted_ = true;
  }
}

absl::StatusOr<absl::Time> ClockGuard::Check() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  const absl::Duration since = elapsed_->Elapsed() - trusted_elapsed_;
  // Not yet trusted in this process: the stop's allowance still applies, counted from start.
  const absl::Duration allowed = accepted_ ? kMaxDrift : kMaxStopGap;
  if (now > trusted_ + since + allowed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the clock reads ", FormatInstant(now), ", ", Days(now - (trusted_ + since)),
        " ahead of the time erasures last trusted (", FormatInstant(trusted_),
        accepted_ ? ") plus the time registryd has run since"
                  : ") plus the time registryd has run: a stop of more than 7 days, or a jump",
        "; nothing is erased by it. If the clock is right, stop registryd and run "
        "`registryd --config ... --confirm_clock`; otherwise correct the clock"));
  }
  // Once trusted in this process, the trusted time moves on with the monotonic clock only, so
  // that a clock running fast cannot add up its allowance, check after check; the first time it
  // absorbs the stop (up to kMaxStopGap). A clock behind is trusted as it reads (erasures come
  // late, never early), but the trusted time does not go back with it.
  trusted_ = accepted_ ? trusted_ + since : std::max(now, trusted_ + since);
  trusted_elapsed_ += since;
  accepted_ = true;
  return trusted_;
}

}  // namespace registry::server
