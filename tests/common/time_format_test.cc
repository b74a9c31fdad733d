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

}  // namespace
}  // namespace registry
