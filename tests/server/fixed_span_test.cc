// FixedSpan holds a span of work to its length from its start, on a fake clock, and on the real
// one (without timing assertions: only that the wait does not end before the span's end).
#include "server/fixed_span.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/recording_pacer.h"

namespace registry::server {
namespace {

using ::registry::testing::RecordingPacer;

TEST(FixedSpanTest, ShortWorkWaitsForTheSpansEndCountedFromItsStart) {
  RecordingPacer pacer(absl::Microseconds(3));
  const FixedSpan span(&pacer, absl::Milliseconds(1));  // starts at 3us
  pacer.SetStep(absl::Microseconds(40));                // the work
  EXPECT_TRUE(span.Close());                            // read at 43us
  ASSERT_EQ(pacer.Waits().size(), 1u);
  EXPECT_EQ(pacer.Waits()[0].from, absl::Microseconds(43));
  EXPECT_EQ(pacer.Waits()[0].until, absl::Microseconds(1003));
}

TEST(FixedSpanTest, TheEndDoesNotDependOnHowLongTheWorkTook) {
  for (const absl::Duration work :
       {absl::Microseconds(1), absl::Microseconds(20), absl::Microseconds(999)}) {
    SCOPED_TRACE(absl::FormatDuration(work));
    RecordingPacer pacer(absl::ZeroDuration());
    const FixedSpan span(&pacer, absl::Milliseconds(1));
    pacer.SetStep(work);
    EXPECT_TRUE(span.Close());
    ASSERT_EQ(pacer.Waits().size(), 1u);
    EXPECT_EQ(pacer.Waits()[0].until, absl::Milliseconds(1));
  }
}

TEST(FixedSpanTest, WorkThatRanPastTheEndWaitsForNothingAndSaysSo) {
  for (const absl::Duration work : {absl::Milliseconds(1), absl::Milliseconds(5)}) {
    SCOPED_TRACE(absl::FormatDuration(work));
    RecordingPacer pacer(absl::ZeroDuration());
    const FixedSpan span(&pacer, absl::Milliseconds(1));
    pacer.SetStep(work);
    EXPECT_FALSE(span.Close());
    EXPECT_TRUE(pacer.Waits().empty());
  }
}

TEST(FixedSpanTest, TheSteadyPacerDoesNotWakeBeforeTheEnd) {
  const Pacer* pacer = Pacer::Steady();
  const absl::Duration start = pacer->Elapsed();
  const FixedSpan span(pacer, absl::Milliseconds(2));
  EXPECT_TRUE(span.Close());
  EXPECT_GE(pacer->Elapsed() - start, absl::Milliseconds(2));
  // A deadline already past returns at once.
  pacer->WaitUntil(start);
  EXPECT_GE(pacer->Elapsed(), start);
}

}  // namespace
}  // namespace registry::server
