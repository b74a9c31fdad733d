// The server's log: one JSON object per line on stderr, so that a log collector reads fields,
// not guesses them. Every line has "time" (RFC 3339 UTC, microseconds), "level" and "msg";
// the rest are fields the caller adds. Keys and values are escaped (quotes, backslashes,
// control characters and bytes outside ASCII), so no value can end a line or forge a field.
//
// Only identities of officials, ids, codes and counts go into the log: never personal data of
// anyone registered, never free text a caller sent.
//
//   registry::LogLine("info", "access policy reloaded").Write();
//   registry::LogLine("error", "retention run failed").Str("detail", status.message()).Write();
#ifndef REGISTRY_COMMON_JSON_LOG_H_
#define REGISTRY_COMMON_JSON_LOG_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace registry {

// `text` as a JSON string literal, quotes included; bytes outside printable ASCII as \u00XX.
std::string JsonQuote(absl::string_view text);

class LogLine {
 public:
  LogLine(absl::string_view level, absl::string_view msg);

  LogLine& Str(absl::string_view key, absl::string_view value);
  LogLine& Int(absl::string_view key, int64_t value);
  LogLine& Num(absl::string_view key, double value);
  LogLine& Bool(absl::string_view key, bool value);

  // The whole line, newline included, dated `now`.
  std::string Text(absl::Time now) const;
  // Writes Text(absl::Now()) to stderr in one write.
  void Write() const;

 private:
  std::string level_;
  std::string msg_;
  std::string fields_;  // ,"key":value ...
};

// The line registryd writes once it accepts calls, with the address it was given and the port
// it bound: what a process that started registryd (the benchmark, the tests, a supervisor)
// waits for.
LogLine ServingLine(absl::string_view address, int port);
// The port of the first ServingLine in `log` (a log's text, lines so far); 0 while there is none.
int ServingPortFromLog(absl::string_view log);

// The first whole line of `log` (newline excluded) whose "msg" is `msg`; empty when there is none
// yet. A line still being written (no newline yet) is not whole.
absl::string_view FindLogLine(absl::string_view log, absl::string_view msg);

}  // namespace registry

#endif  // REGISTRY_COMMON_JSON_LOG_H_
