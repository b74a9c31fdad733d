#include "common/deterministic_bytes.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace registry {

void AppendDeterministicBytes(const google::protobuf::MessageLite& message, std::string* out) {
  google::protobuf::io::StringOutputStream raw(out);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  // The coded stream gives back what it did not fill when it goes out of scope.
}

std::string DeterministicBytes(const google::protobuf::MessageLite& message) {
  std::string out;
  AppendDeterministicBytes(message, &out);
  return out;
}

}  // namespace registry
