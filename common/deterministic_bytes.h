// The one deterministic serialization of a protobuf message: map entries in key order, so that
// equal messages give equal bytes within this build. What the registry MACs, hashes or compares as
// bytes (a record head's MAC input, an audit event as it enters the log) is serialized here.
// Unknown fields are kept, in the order they were parsed.
#ifndef REGISTRY_COMMON_DETERMINISTIC_BYTES_H_
#define REGISTRY_COMMON_DETERMINISTIC_BYTES_H_

#include <string>

#include "google/protobuf/message_lite.h"

namespace registry {

// Appends the deterministic serialization of `message` to *out.
void AppendDeterministicBytes(const google::protobuf::MessageLite& message, std::string* out);

// The deterministic serialization of `message`.
std::string DeterministicBytes(const google::protobuf::MessageLite& message);

}  // namespace registry

#endif  // REGISTRY_COMMON_DETERMINISTIC_BYTES_H_
