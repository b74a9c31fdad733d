// ReplaceFileDurably: writes a small file so that after a crash or power loss it holds either
// its old content or the new, whole, and never a mix.
//
// The bytes go to "<path>.tmp", created anew (a leftover, or a link someone else put there, is
// removed first; O_EXCL | O_NOFOLLOW refuse whatever appears in its place meanwhile), with mode
// exactly 0600 whatever the umask, synced, renamed over `path`, and the folder synced so that
// the rename itself survives. Used for the key file, the audit watermark and the CRL numbers.
//
//   RETURN_IF_ERROR(ReplaceFileDurably(path, line));
#ifndef REGISTRY_COMMON_DURABLE_FILE_H_
#define REGISTRY_COMMON_DURABLE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace registry {

// Unavailable, naming the step, the file and the system's reason, when any step fails; then
// `path` is as it was and no "<path>.tmp" is left.
absl::Status ReplaceFileDurably(const std::string& path, absl::string_view bytes);

}  // namespace registry

#endif  // REGISTRY_COMMON_DURABLE_FILE_H_
