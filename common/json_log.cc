#include "common/json_log.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/time_format.h"

namespace registry {

namespace {

// Appends `text` to `out` as JsonQuote returns it, without a string of its own: a call's log
// line is a dozen of these.
void AppendJsonQuoted(std::string* out, absl::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out->append("\\\"");
    } else if (c == '\\') {
      out->append("\\\\");
    } else if (c < 0x20 || c >= 0x7f) {
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out->append(escaped, sizeof(escaped));
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

// ,"key":
void AppendKey(std::string* out, absl::string_view key) {
  out->push_back(',');
  AppendJsonQuoted(out, key);
  out->push_back(':');
}

}  // namespace

std::string JsonQuote(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonQuoted(&out, text);
  return out;
}

LogLine::LogLine(absl::string_view level, absl::string_view msg) : level_(level), msg_(msg) {}

LogLine& LogLine::Str(absl::string_view key, absl::string_view value) {
  AppendKey(&fields_, key);
  AppendJsonQuoted(&fields_, value);
  return *this;
}

LogLine& LogLine::Int(absl::string_view key, int64_t value) {
  AppendKey(&fields_, key);
  absl::StrAppend(&fields_, value);
  return *this;
}

LogLine& LogLine::Num(absl::string_view key, double value) {
  AppendKey(&fields_, key);
  absl::StrAppendFormat(&fields_, "%.3f", value);
  return *this;
}

LogLine& LogLine::Bool(absl::string_view key, bool value) {
  AppendKey(&fields_, key);
  fields_.append(value ? "true" : "false");
  return *this;
}

std::string LogLine::Text(absl::Time now) const {
  std::string line;
  line.reserve(64 + level_.size() + msg_.size() + fields_.size());
  line.append("{\"time\":");
  AppendJsonQuoted(&line, FormatInstant(now, true));
  line.append(",\"level\":");
  AppendJsonQuoted(&line, level_);
  line.append(",\"msg\":");
  AppendJsonQuoted(&line, msg_);
  line.append(fields_);
  line.append("}\n");
  return line;
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
