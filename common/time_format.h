// The two time formats of the API: dates "YYYY-MM-DD" and RFC 3339 UTC instants.
#ifndef REGISTRY_COMMON_TIME_FORMAT_H_
#define REGISTRY_COMMON_TIME_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace registry {

// "2026-11-28T14:30:00.123456Z" (microseconds) or without fraction when micros == false.
std::string FormatInstant(absl::Time t, bool micros = false);

// Parses an RFC 3339 instant (YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), four-digit year,
// nothing around it). InvalidArgument on any other form.
absl::StatusOr<absl::Time> ParseInstant(absl::string_view text);

// Parses exactly "YYYY-MM-DD" with a real calendar day (no 2023-02-30). InvalidArgument otherwise.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text);

std::string FormatDate(absl::CivilDay day);

// The day a period of `years` calendar years that begins on `day` ends, as the criminal and civil
// codes count periods of months and years: the day of the same number in the last year, or the
// last day of that month where it has none (29 February + 1 year = 28 February). The registry
// counts every period of years this way: retention, a suspension's verification period, the
// century a sentence's dates may span. An age is counted as a birthday instead (turning 14 on
// 1 March when born on 29 February): server/record_validation.cc.
absl::CivilDay YearsAfter(absl::CivilDay day, int years);

// The calendar day in Kosovo at t: the day a judgment, a final date, a visibility end or a
// deletion day is counted in. Kosovo keeps Central European Time, UTC+1, and summer time, UTC+2,
// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October (the
// rule the European Union has kept since 1996). At 23:30 UTC on 31 May it is already 1 June.
absl::CivilDay KosovoDay(absl::Time t);

// The instant `day` begins in Kosovo: 23:00 UTC the day before in winter, 22:00 UTC in summer.
absl::Time KosovoMidnight(absl::CivilDay day);

// How long from t until the next day begins in Kosovo (more than zero, at most 25 hours).
absl::Duration UntilNextKosovoDay(absl::Time t);

}  // namespace registry

#endif  // REGISTRY_COMMON_TIME_FORMAT_H_
