#include "common/time_format.h"

#include <memory>

#include "gtest/gtest.h"
#include "unicode/timezone.h"

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

// A period of years ends on the day of the same number, or on the month's last day where the
// last year has none; an age is not counted here.
TEST(YearsAfterTest, APeriodFrom29FebruaryEndsOn28FebruaryOfACommonYear) {
  const absl::CivilDay leap_day(2024, 2, 29);
  EXPECT_EQ(YearsAfter(leap_day, 1), absl::CivilDay(2025, 2, 28));
  EXPECT_EQ(YearsAfter(leap_day, 4), absl::CivilDay(2028, 2, 29));
  EXPECT_EQ(YearsAfter(leap_day, 5), absl::CivilDay(2029, 2, 28));
  EXPECT_EQ(YearsAfter(absl::CivilDay(2000, 2, 29), 100), absl::CivilDay(2100, 2, 28));
  EXPECT_EQ(YearsAfter(absl::CivilDay(2023, 5, 15), 5), absl::CivilDay(2028, 5, 15));
  EXPECT_EQ(YearsAfter(absl::CivilDay(2023, 12, 31), 1), absl::CivilDay(2024, 12, 31));
  EXPECT_EQ(YearsAfter(absl::CivilDay(2023, 3, 1), 0), absl::CivilDay(2023, 3, 1));
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

absl::Time Utc(int year, int month, int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0),
                         absl::UTCTimeZone());
}

TEST(KosovoDayTest, TheDayTurnsAtMidnightInKosovoNotInUtc) {
  // Winter, UTC+1: 23:00 UTC is midnight.
  EXPECT_EQ(KosovoDay(Utc(2026, 1, 14, 22, 59)), absl::CivilDay(2026, 1, 14));
  EXPECT_EQ(KosovoDay(Utc(2026, 1, 14, 23, 0)), absl::CivilDay(2026, 1, 15));
  EXPECT_EQ(KosovoDay(Utc(2026, 12, 31, 23, 0)), absl::CivilDay(2027, 1, 1));
  // Summer, UTC+2: 22:00 UTC is midnight.
  EXPECT_EQ(KosovoDay(Utc(2026, 6, 30, 21, 59)), absl::CivilDay(2026, 6, 30));
  EXPECT_EQ(KosovoDay(Utc(2026, 6, 30, 22, 0)), absl::CivilDay(2026, 7, 1));
  // 2024 is a leap year: 22:00 UTC on 28 February is 29 February.
  EXPECT_EQ(KosovoDay(Utc(2024, 2, 28, 23, 0)), absl::CivilDay(2024, 2, 29));
}

TEST(KosovoDayTest, SummerTimeRunsFromTheLastSundayOfMarchToTheLastSundayOfOctober) {
  // 2026: from 29 March 01:00 UTC to 25 October 01:00 UTC. The evening before each change tells
  // which offset holds: 22:30 UTC is the next day in summer only.
  EXPECT_EQ(KosovoDay(Utc(2026, 3, 28, 22, 30)), absl::CivilDay(2026, 3, 28));  // UTC+1
  EXPECT_EQ(KosovoDay(Utc(2026, 3, 29, 22, 30)), absl::CivilDay(2026, 3, 30));  // UTC+2
  EXPECT_EQ(KosovoDay(Utc(2026, 10, 24, 22, 30)), absl::CivilDay(2026, 10, 25));  // UTC+2
  EXPECT_EQ(KosovoDay(Utc(2026, 10, 25, 22, 30)), absl::CivilDay(2026, 10, 25));  // UTC+1
  // 2027: the last Sundays are 28 March and 31 October.
  EXPECT_EQ(KosovoDay(Utc(2027, 3, 27, 22, 30)), absl::CivilDay(2027, 3, 27));
  EXPECT_EQ(KosovoDay(Utc(2027, 3, 28, 22, 30)), absl::CivilDay(2027, 3, 29));
  EXPECT_EQ(KosovoDay(Utc(2027, 10, 30, 22, 30)), absl::CivilDay(2027, 10, 31));
  EXPECT_EQ(KosovoDay(Utc(2027, 10, 31, 22, 30)), absl::CivilDay(2027, 10, 31));
}

// The rule written out agrees with the time zone database ICU carries (Europe/Belgrade, the zone
// Kosovo keeps), hour by hour, for forty years.
TEST(KosovoDayTest, AgreesWithTheTimeZoneDatabaseEveryHourForFortyYears) {
  const std::unique_ptr<icu::TimeZone> zone(
      icu::TimeZone::createTimeZone(icu::UnicodeString("Europe/Belgrade")));
  ASSERT_NE(zone.get(), nullptr);
  ASSERT_NE(*zone, icu::TimeZone::getUnknown()) << "ICU does not know Europe/Belgrade";
  int checked = 0;
  for (absl::Time t = Utc(1997, 1, 1, 0, 0); t < Utc(2037, 1, 1, 0, 0); t += absl::Hours(1)) {
    int32_t raw = 0;
    int32_t dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    zone->getOffset(static_cast<UDate>(absl::ToUnixMillis(t)), false, raw, dst, status);
    ASSERT_TRUE(U_SUCCESS(status)) << u_errorName(status);
    const absl::CivilDay expected =
        absl::ToCivilDay(t + absl::Milliseconds(raw + dst), absl::UTCTimeZone());
    ASSERT_EQ(KosovoDay(t), expected) << absl::FormatTime(t);
    ++checked;
  }
  EXPECT_GT(checked, 40 * 365 * 24);
}

TEST(KosovoDayTest, KosovoMidnightIsTheFirstInstantOfTheDay) {
  EXPECT_EQ(KosovoMidnight(absl::CivilDay(2026, 1, 15)), Utc(2026, 1, 14, 23, 0));
  EXPECT_EQ(KosovoMidnight(absl::CivilDay(2026, 7, 1)), Utc(2026, 6, 30, 22, 0));
  for (absl::CivilDay day(1997, 1, 1); day < absl::CivilDay(2037, 1, 1); ++day) {
    const absl::Time midnight = KosovoMidnight(day);
    ASSERT_EQ(KosovoDay(midnight), day);
    ASSERT_EQ(KosovoDay(midnight - absl::Seconds(1)), day - 1);
  }
}

// The retention scheduler waits at most this long, so that a record is erased at the start of
// its delete_after day and not up to an interval later.
TEST(KosovoDayTest, UntilNextKosovoDayEndsAtTheNextMidnightInKosovo) {
  // 23:30 UTC on 14 January is 00:30 on 15 January in Kosovo: the next day begins 23 h 30 min on.
  EXPECT_EQ(UntilNextKosovoDay(Utc(2026, 1, 14, 23, 30)), absl::Minutes(23 * 60 + 30));
  // A second before midnight in summer (21:59:59 UTC).
  EXPECT_EQ(UntilNextKosovoDay(Utc(2026, 6, 30, 22, 0) - absl::Seconds(1)), absl::Seconds(1));
  // At midnight itself, a whole day: the day that begins is today.
  EXPECT_EQ(UntilNextKosovoDay(Utc(2026, 6, 30, 22, 0)), absl::Hours(24));
  // The night summer time ends (25 October 2026) has 25 hours; the one it starts (29 March), 23.
  EXPECT_EQ(UntilNextKosovoDay(KosovoMidnight(absl::CivilDay(2026, 10, 25))), absl::Hours(25));
  EXPECT_EQ(UntilNextKosovoDay(KosovoMidnight(absl::CivilDay(2026, 3, 29))), absl::Hours(23));
  for (absl::Time t = Utc(2026, 1, 1, 0, 7); t < Utc(2027, 1, 1, 0, 0); t += absl::Minutes(53)) {
    const absl::Duration until = UntilNextKosovoDay(t);
    ASSERT_GT(until, absl::ZeroDuration());
    ASSERT_EQ(KosovoDay(t + until), KosovoDay(t) + 1);
    ASSERT_EQ(KosovoDay(t + until - absl::Seconds(1)), KosovoDay(t));
  }
}

}  // namespace
}  // namespace registry
