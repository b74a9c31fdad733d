// What an audit event keeps of a refusal's message: the gate's detail of a refused call and an
// import's refused rows (docs/security.md row 56) say it alike.
#ifndef REGISTRY_SERVER_EVENT_DETAIL_H_
#define REGISTRY_SERVER_EVENT_DETAIL_H_

#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace registry::server {

inline constexpr size_t kRefusalDetailBytes = 200;
inline constexpr char kDateInDetail[] = "[date]";

// `message` with every date (YYYY-MM-DD) said as kDateInDetail, then its first
// kRefusalDetailBytes bytes, cut before a whole UTF-8 character (a log's string field must be
// valid UTF-8). A refusal names fields and rules, never a value typed, but a rule may be said
// with dates worked out from the record ("it was due for deletion on ...", its final date plus
// the period): the clerk is told them, and the signed, append-only log must not keep them.
inline std::string RefusalForTheLog(absl::string_view message) {
  std::string text;
  text.reserve(message.size());
  const auto digits = [&](size_t at, size_t n) {
    for (size_t i = at; i < at + n; ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(message[i]))) return false;
    }
    return true;
  };
  for (size_t i = 0; i < message.size();) {
    const bool starts_a_word =
        i == 0 || !absl::ascii_isdigit(static_cast<unsigned char>(message[i - 1]));
    const size_t end = i + 10;
    if (starts_a_word && end <= message.size() && digits(i, 4) && message[i + 4] == '-' &&
        digits(i + 5, 2) && message[i + 7] == '-' && digits(i + 8, 2) &&
        (end == message.size() || !absl::ascii_isdigit(static_cast<unsigned char>(message[end])))) {
      text += kDateInDetail;
      i = end;
      continue;
    }
    text += message[i++];
  }
  if (text.size() <= kRefusalDetailBytes) return text;
  size_t cut = kRefusalDetailBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

}  // namespace registry::server

#endif  // REGISTRY_SERVER_EVENT_DETAIL_H_
