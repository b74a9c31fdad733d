#include "client/json_io.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace registry::client {

absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print ", message.GetTypeName(), " as JSON: ",
                     std::string(status.message())));
  }
  return json;
}

absl::Status ParseJson(absl::string_view json, absl::string_view what,
                       google::protobuf::Message* message) {
  const auto status = google::protobuf::util::JsonStringToMessage(std::string(json), message);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not a valid ", message->GetTypeName(), " in JSON: ",
                     std::string(status.message())));
  }
  return absl::OkStatus();
}

}  // namespace registry::client
