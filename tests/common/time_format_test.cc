#include "common/time_format.h"

#include "gtest/gtest.h"

namespace registry {
namespace {

TEST(ParseDateTest, AcceptsRealCalendarDays) {
  auto day = ParseDate("2024-02-29");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(FormatDate(*day), "2024-02-29");
}

TEST(ParseDateTest, RejectsImpossibleAndMalformedDates) {
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01",
                          "2024/01/01", "2024-01-01T", "", "abcd-ef-gh", "1899-12-31"}) {
    EXPECT_EQ(ParseDate(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(InstantTest, RoundTripsUtc) {
  const absl::Time t = absl::FromUnixMicros(1795000000123456);
  EXPECT_EQ(FormatInstant(t, true), "2026-11-18T11:06:40.123456Z");
  auto back = ParseInstant(FormatInstant(t, true));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  EXPECT_EQ(ParseInstant("yesterday").status().code(), absl::StatusCode::kInvalidArgument);
}

// An instant is RFC 3339's date-time and nothing else: the text a caller sends as a filter may be
// recorded, so what parses is only what the form allows.
TEST(InstantTest, OnlyTheRfc3339FormParses) {
  for (const char* good : {"2026-01-01T00:00:00Z", "2026-01-01t00:00:00z", "2026-01-01T00:00:00.5Z",
                           "2026-01-01T00:00:00.123456789Z", "2026-01-01T01:00:00+01:00",
                           "2026-01-01T00:00:00-05:30"}) {
    EXPECT_TRUE(ParseInstant(good).ok()) << good;
  }
  for (const char* bad :
       {"1234567890-01-01T00:00:00Z", "-1234567890-01-01T00:00:00Z", "+2026-01-01T00:00:00Z",
        " \n2026-01-01T00:00:00Z\t ", " 2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z ",
        "26-01-01T00:00:00Z", "2026-1-01T00:00:00Z", "2026-01-01 00:00:00Z", "2026-01-01T00:00Z",
        "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z",
        "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00+01", "2026-02-30T00:00:00Z",
        "2026-01-01T24:00:01Z", ""}) {
    EXPECT_EQ(ParseInstant(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace registry
