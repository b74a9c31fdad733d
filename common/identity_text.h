// The shape of a caller's identity: a certificate's one URI SAN (server/identity.h), which the
// audit log names as an event's actor and the access policy names its principals by.
#ifndef REGISTRY_COMMON_IDENTITY_TEXT_H_
#define REGISTRY_COMMON_IDENTITY_TEXT_H_

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace registry {

// "scheme:rest", 1..256 printable ASCII characters without spaces, the scheme a letter then
// letters, digits, '+', '-' or '.'. Text of another shape (a role, a certificate's common name, a
// URI without its scheme) can never be a caller's identity.
inline bool IdentityUriShaped(absl::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (const char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  const size_t colon = id.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == id.size()) return false;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(id[0]))) return false;
  for (const char c : id.substr(0, colon)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace registry

#endif  // REGISTRY_COMMON_IDENTITY_TEXT_H_
