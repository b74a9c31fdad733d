#include "common/time_format.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace registry {

std::string FormatInstant(absl::Time t, bool micros) {
  return absl::FormatTime(micros ? "%Y-%m-%dT%H:%M:%E6SZ" : "%Y-%m-%dT%H:%M:%SZ", t,
                          absl::UTCTimeZone());
}

namespace {

// RFC 3339's date-time and nothing else: YYYY-MM-DDTHH:MM:SS, an optional fraction of 1..9
// digits, then Z or +HH:MM / -HH:MM (T and Z in either case). absl::ParseTime alone also takes
// spaces around it and years of any width or sign.
bool InstantShaped(absl::string_view text) {
  const auto digits = [&](size_t at, size_t n) {
    if (at + n > text.size()) return false;
    for (size_t i = at; i < at + n; ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
    }
    return true;
  };
  const auto is = [&](size_t at, char c) { return at < text.size() && text[at] == c; };
  if (!digits(0, 4) || !is(4, '-') || !digits(5, 2) || !is(7, '-') || !digits(8, 2) ||
      !(is(10, 'T') || is(10, 't')) || !digits(11, 2) || !is(13, ':') || !digits(14, 2) ||
      !is(16, ':') || !digits(17, 2)) {
    return false;
  }
  size_t at = 19;
  if (is(at, '.')) {
    size_t n = 0;
    while (digits(at + 1 + n, 1)) ++n;
    if (n < 1 || n > 9) return false;
    at += 1 + n;
  }
  if (is(at, 'Z') || is(at, 'z')) return at + 1 == text.size();
  return (is(at, '+') || is(at, '-')) && digits(at + 1, 2) && is(at + 3, ':') &&
         digits(at + 4, 2) && at + 6 == text.size();
}

}  // namespace

absl::StatusOr<absl::Time> ParseInstant(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!InstantShaped(text) || !ParseDate(text.substr(0, 10)).ok() ||
      !absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError("not an RFC 3339 instant");
  }
  return t;
}

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return absl::InvalidArgumentError("not a date YYYY-MM-DD");
  }
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return absl::InvalidArgumentError("not a date YYYY-MM-DD");
    }
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  const absl::CivilDay day(y, m, d);
  // CivilDay normalises out-of-range fields (Feb 30 -> Mar 2): a real date survives unchanged.
  if (day.year() != y || day.month() != m || day.day() != d) {
    return absl::InvalidArgumentError("not a calendar date");
  }
  if (y < 1900) return absl::InvalidArgumentError("a date before 1900-01-01");
  return day;
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::CivilDay YearsAfter(absl::CivilDay day, int years) {
  const absl::civil_year_t year = day.year() + years;
  const absl::CivilDay same(year, day.month(), day.day());
  // absl normalises a missing day forward (29 February 2025 is 1 March): take the month's last.
  if (same.month() != day.month()) return absl::CivilDay(absl::CivilMonth(year, day.month()) + 1) - 1;
  return same;
}

namespace {

// The last Sunday of a month, at 01:00 UTC: when summer time starts (March) or ends (October).
absl::CivilSecond LastSundayAtOneUtc(absl::civil_year_t year, int month) {
  absl::CivilDay day = absl::CivilDay(absl::CivilMonth(year, month) + 1) - 1;
  while (absl::GetWeekday(day) != absl::Weekday::sunday) --day;
  return absl::CivilSecond(absl::CivilHour(day) + 1);
}

// Kosovo's offset from UTC, in hours, at a UTC time.
int KosovoOffsetHours(absl::CivilSecond utc) {
  const bool summer =
      utc >= LastSundayAtOneUtc(utc.year(), 3) && utc < LastSundayAtOneUtc(utc.year(), 10);
  return summer ? 2 : 1;
}

}  // namespace

absl::CivilDay KosovoDay(absl::Time t) {
  const absl::CivilSecond utc = absl::ToCivilSecond(t, absl::UTCTimeZone());
  return absl::CivilDay(utc + KosovoOffsetHours(utc) * 3600);
}

absl::Time KosovoMidnight(absl::CivilDay day) {
  // The offset changes at 01:00 UTC, never near midnight in Kosovo, so the offset an hour before
  // UTC's midnight is the offset at Kosovo's.
  const absl::CivilSecond before = absl::CivilSecond(day) - 3600;
  return absl::FromCivil(absl::CivilSecond(day) - KosovoOffsetHours(before) * 3600,
                         absl::UTCTimeZone());
}

absl::Duration UntilNextKosovoDay(absl::Time t) { return KosovoMidnight(KosovoDay(t) + 1) - t; }

}  // namespace registry
