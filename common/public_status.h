// Errors whose message may reach a client as it is.
//
// The gate replaces the messages of DATA_LOSS, UNAVAILABLE, INTERNAL and UNKNOWN errors with
// fixed text, because they may carry internal detail (file names, library text). An error built
// here from our own words and numbers only — never a value from a record or a request — is
// marked so that its message is kept, e.g. which audit event is missing.
//
//   return PublicError(absl::DataLossError(absl::StrCat("audit event ", index, " is missing")));
#ifndef REGISTRY_COMMON_PUBLIC_STATUS_H_
#define REGISTRY_COMMON_PUBLIC_STATUS_H_

#include "absl/status/status.h"

namespace registry {

// `status`, marked as safe to show to the caller.
absl::Status PublicError(absl::Status status);

// Whether `status` was marked by PublicError.
bool IsPublicError(const absl::Status& status);

}  // namespace registry

#endif  // REGISTRY_COMMON_PUBLIC_STATUS_H_
