// Protobuf JSON in and out, the only JSON registry-cli reads or writes.
//
// Output is one object per line with proto field names (snake_case, as in the API documents and
// the example files) and every field, even a default one, so scripts see stable keys; bytes are
// base64. Input accepts proto names and lowerCamelCase JSON names, and refuses unknown fields.
//
//   ASSIGN_OR_RETURN(std::string line, ToJsonLine(response));  // "{...}" without newline
//   RETURN_IF_ERROR(ParseJson(text, "certificate file", &signed_certificate));
#ifndef REGISTRY_CLIENT_JSON_IO_H_
#define REGISTRY_CLIENT_JSON_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace registry::client {

// The message as a single-line JSON object. Internal only if protobuf cannot print it.
absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& message);

// Parses `json` into `message`. InvalidArgument naming `what` and protobuf's reason otherwise.
absl::Status ParseJson(absl::string_view json, absl::string_view what,
                       google::protobuf::Message* message);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_JSON_IO_H_
