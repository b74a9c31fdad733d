#include "common/json_log.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/time_format.h"

namespace registry {

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

LogLine::LogLine(absl::string_view level, absl::string_view msg) : level_(level), msg_(msg) {}

LogLine& LogLine::Str(absl::string_view key, absl::string_view value) {
  absl::StrAppend(&fields_, ",", JsonQuote(key), ":", JsonQuote(value));
  return *this;
}

LogLine& LogLine::Int(absl::string_view key, int64_t value) {
  absl::StrAppend(&fields_, ",", JsonQuote(key), ":", value);
  return *this;
}

LogLine& LogLine::Num(absl::string_view key, double value) {
  absl::StrAppend(&fields_, ",", JsonQuote(key), ":", absl::StrFormat("%.3f", value));
  return *this;
}

LogLine& LogLine::Bool(absl::string_view key, bool value) {
  absl::StrAppend(&fields_, ",", JsonQuote(key), ":", value ? "true" : "false");
  return *this;
}

std::string LogLine::Text(absl::Time now) const {
  return absl::StrCat("{\"time\":", JsonQuote(FormatInstant(now, true)),
                      ",\"level\":", JsonQuote(level_), ",\"msg\":", JsonQuote(msg_), fields_,
                      "}\n");
}

void LogLine::Write() const {
  const std::string line = Text(absl::Now());
  // One write per line, so lines of concurrent calls never interleave.
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

namespace {
constexpr char kServingMsg[] = "registryd serving";
}  // namespace

LogLine ServingLine(absl::string_view address, int port) {
  LogLine line("info", kServingMsg);
  line.Str("address", address).Int("port", port);
  return line;
}

absl::string_view FindLogLine(absl::string_view log, absl::string_view msg) {
  // Values are escaped (JsonQuote), so no value can hold this text: only a line's own msg does.
  const std::string field = absl::StrCat("\"msg\":", JsonQuote(msg), ",");
  const std::string last_field = absl::StrCat("\"msg\":", JsonQuote(msg), "}");
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.data() + line.size() == log.data() + log.size()) break;  // not whole yet
    if (absl::StrContains(line, field) || absl::StrContains(line, last_field)) return line;
  }
  return absl::string_view();
}

int ServingPortFromLog(absl::string_view log) {
  const absl::string_view line = FindLogLine(log, kServingMsg);
  constexpr absl::string_view kPortField = "\"port\":";
  const size_t at = line.find(kPortField);
  if (at == absl::string_view::npos) return 0;
  absl::string_view digits = line.substr(at + kPortField.size());
  digits = digits.substr(0, digits.find_first_not_of("0123456789"));
  int port = 0;
  return absl::SimpleAtoi(digits, &port) && port > 0 ? port : 0;
}

}  // namespace registry
