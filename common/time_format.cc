#include "common/time_format.h"

#include <cctype>

#include "absl/strings/str_format.h"

namespace registry {

std::string FormatInstant(absl::Time t, bool micros) {
  return absl::FormatTime(micros ? "%Y-%m-%dT%H:%M:%E6SZ" : "%Y-%m-%dT%H:%M:%SZ", t,
                          absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseInstant(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (text.size() > 40 || !absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
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
  if (y < 1900 || day.year() != y || day.month() != m || day.day() != d) {
    return absl::InvalidArgumentError("not a calendar date");
  }
  return day;
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::CivilDay UtcDay(absl::Time t) {
  return absl::ToCivilDay(t, absl::UTCTimeZone());
}

}  // namespace registry
