// Whole-file reads and writes for the command-line client, with errors that name the file.
//
//   ASSIGN_OR_RETURN(std::string pem, ReadFileToString(path, "CA certificate"));
//   RETURN_IF_ERROR(WriteFileAtomically(path, json, 0600));
#ifndef REGISTRY_CLIENT_FILES_H_
#define REGISTRY_CLIENT_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry::client {

// Returns the contents of `path`. NotFound when it does not exist, PermissionDenied when it may
// not be read, Unavailable for other read errors; the message names `what` and the path.
absl::StatusOr<std::string> ReadFileToString(absl::string_view path, absl::string_view what);

// Writes `contents` to `path` through a temporary file in the same folder and a rename, so a
// reader never sees half a file; the file gets permission bits `mode`. The folder must exist.
absl::Status WriteFileAtomically(absl::string_view path, absl::string_view contents, int mode);

// Creates `path` and missing parents with permission bits `mode` (existing folders are left
// as they are).
absl::Status MakeDirectories(absl::string_view path, int mode);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_FILES_H_
