// The ids the registry makes: a record's id, a vetting check's (the certificate id), the audit
// log's name. Each is 16 random bytes written as 32 lowercase hex characters, so that an id says
// nothing about what it names or when it was made. This is the one place that knows the shape:
// storage checks the ids it reads back against it, and the server the ids callers send.
#ifndef REGISTRY_STORAGE_IDS_H_
#define REGISTRY_STORAGE_IDS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry::storage {

// Hex characters in an id.
inline constexpr size_t kIdSize = 32;

// Whether `text` has the shape of an id the registry makes.
bool IsRegistryId(absl::string_view text);

// A new random id. Internal when the system has no randomness to give.
absl::StatusOr<std::string> NewRegistryId();

// `n` new random ids from one draw of the random generator (which costs about a microsecond a
// call, whatever the length): for a caller that needs several at once.
absl::StatusOr<std::vector<std::string>> NewRegistryIds(size_t n);

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_IDS_H_
