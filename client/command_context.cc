#include "client/command_context.h"

#include "client/json_io.h"
#include "common/status_macros.h"

namespace registry::client {

absl::StatusOr<std::shared_ptr<grpc::Channel>> CommandContext::Channel() {
  if (channel_ == nullptr) {
    ASSIGN_OR_RETURN(channel_, CreateChannel(settings_));
  }
  return channel_;
}

absl::Status CommandContext::PrintJson(const google::protobuf::Message& message) {
  ASSIGN_OR_RETURN(const std::string line, ToJsonLine(message));
  out_ << line << "\n";
  return absl::OkStatus();
}

}  // namespace registry::client
