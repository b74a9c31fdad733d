// ClockGuard: erasures trust the registry clock only as far as the time they last trusted and the
// monotonic clock allow.
#include "server/clock_guard.h"

#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/recording_pacer.h"

namespace registry {
namespace {

using server::ClockGuard;
using testing::RecordingPacer;
using ::testing::HasSubstr;

const absl::Time kTrusted = absl::FromUnixSeconds(1'800'000'000);

TEST(ClockGuardTest, ANewRegistryTrustsItsClock) {
  FakeClock clock(kTrusted);
  RecordingPacer elapsed(absl::ZeroDuration());
  ClockGuard guard(&clock, &elapsed, absl::InfinitePast());
  absl::StatusOr<absl::Time> trusted = guard.Check();
  ASSERT_TRUE(trusted.ok()) << trusted.status();
  EXPECT_EQ(*trusted, kTrusted);
}

TEST(ClockGuardTest, AStopOfUpToAWeekIsTrustedAndALongerOneIsHeld) {
  RecordingPacer elapsed(absl::ZeroDuration());
  FakeClock week(kTrusted + ClockGuard::kMaxStopGap);
  EXPECT_TRUE(ClockGuard(&week, &elapsed, kTrusted).Check().ok());
  FakeClock longer(kTrusted + ClockGuard::kMaxStopGap + absl::Minutes(1));
  ClockGuard guard(&longer, &elapsed, kTrusted);
  absl::StatusOr<absl::Time> held = guard.Check();
  EXPECT_EQ(held.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(held.status().message()), HasSubstr("7 days 0 hours ahead"));
  EXPECT_THAT(std::string(held.status().message()), HasSubstr("--confirm_clock"));
  // Set right again: trusted.
  longer.Set(kTrusted + absl::Hours(1));
  EXPECT_TRUE(guard.Check().ok());
}

TEST(ClockGuardTest, WhileRunningTheClockMayNotOutrunTheMonotonicClock) {
  FakeClock clock(kTrusted);
  RecordingPacer elapsed(absl::ZeroDuration());
  ClockGuard guard(&clock, &elapsed, kTrusted);
  ASSERT_TRUE(guard.Check().ok());
  // Two days on the clock in one hour.
  clock.Advance(absl::Hours(48));
  elapsed.WaitUntil(absl::Hours(1));
  EXPECT_EQ(guard.Check().status().code(), absl::StatusCode::kFailedPrecondition);
  // A day of drift is allowed: once time has caught up, trusted again.
  elapsed.WaitUntil(absl::Hours(25));
  absl::StatusOr<absl::Time> trusted = guard.Check();
  ASSERT_TRUE(trusted.ok()) << trusted.status();
  EXPECT_EQ(*trusted, kTrusted + absl::Hours(25));  // moved on by the monotonic clock
}

TEST(ClockGuardTest, AClockBehindIsTrustedButTheTrustedTimeDoesNotGoBack) {
  FakeClock clock(kTrusted);
  RecordingPacer elapsed(absl::ZeroDuration());
  ClockGuard guard(&clock, &elapsed, kTrusted);
  ASSERT_TRUE(guard.Check().ok());
  clock.Set(kTrusted - absl::Hours(24 * 30));
  elapsed.WaitUntil(absl::Hours(2));
  absl::StatusOr<absl::Time> trusted = guard.Check();
  ASSERT_TRUE(trusted.ok()) << trusted.status();
  EXPECT_EQ(*trusted, kTrusted + absl::Hours(2));
  // Small steps, each within the allowance, do not add up: each is measured from the trusted
  // time, which moves with the monotonic clock.
  clock.Set(kTrusted + absl::Hours(2));
  absl::StatusCode last = absl::StatusCode::kOk;
  for (int i = 1; i <= 3 && last == absl::StatusCode::kOk; ++i) {
    clock.Advance(absl::Hours(12));
    elapsed.WaitUntil(absl::Hours(2 + i));  // an hour of real time each
    last = guard.Check().status().code();
  }
  EXPECT_EQ(last, absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace registry
