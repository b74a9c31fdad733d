// The shape of a reference a caller states: a court's case reference, an employer's consent
// reference, a clerk's legal basis, an export's recipient and reference, a data-subject request.
// The audit log holds a reference as written, so it may hold nothing else: 1..kMaxReference
// ASCII letters, digits, spaces or /-.:_, with at least one letter or digit (" " or "." refers to
// nothing). The server's gate checks it (server/call_gate.cc), and the clients before they send
// (client/option_parser.cc, the console's forms).
#ifndef REGISTRY_COMMON_REFERENCE_TEXT_H_
#define REGISTRY_COMMON_REFERENCE_TEXT_H_

#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace registry {

inline constexpr size_t kMaxReference = 64;
// How the rule is said in every message that refuses a reference.
inline constexpr char kReferenceRule[] =
    "1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit";

inline bool ReferenceShaped(absl::string_view text, size_t max = kMaxReference) {
  if (text.empty() || text.size() > max) return false;
  bool letter_or_digit = false;
  for (const char c : text) {
    const bool alnum = absl::ascii_isalnum(static_cast<unsigned char>(c));
    if (!alnum && c != ' ' && c != '/' && c != '-' && c != '.' && c != ':' && c != '_') {
      return false;
    }
    letter_or_digit = letter_or_digit || alnum;
  }
  return letter_or_digit;
}

}  // namespace registry

#endif  // REGISTRY_COMMON_REFERENCE_TEXT_H_
