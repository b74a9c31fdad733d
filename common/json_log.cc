#include "common/json_log.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

}  // namespace registry
