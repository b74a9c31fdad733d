#include "crypto/internal/openssl_util.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "openssl/err.h"

namespace registry::crypto::internal {

absl::Status OpenSslError(absl::StatusCode code, absl::string_view what) {
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;
  const unsigned long err = ERR_peek_error();  // NOLINT(runtime/int): OpenSSL's type.
  const char* reason = err == 0 ? nullptr : ERR_reason_error_string(err);
  ERR_clear_error();
  if (reason == nullptr) return absl::Status(code, what);
  return absl::Status(code, absl::StrCat(what, " (openssl: ", reason, ")"));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace registry::crypto::internal
