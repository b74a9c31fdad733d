#include "client/command_context.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/audit_events.h"
#include "client/cli.h"
#include "client/json_io.h"
#include "client/terminal_text.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "registry/v1/access.pb.h"
#include "registry/v1/info.grpc.pb.h"

namespace registry::client {

absl::StatusOr<std::shared_ptr<grpc::Channel>> CommandContext::Channel() {
  if (channel_ == nullptr) {
    ASSIGN_OR_RETURN(channel_, CreateChannel(settings_));
    // Once a run, when the key is first used: whoever else may read it may be this official.
    if (const std::string warning = KeyFileWarning(settings_); !warning.empty()) {
      Warn(absl::StripPrefix(warning, "warning: "));
    }
  }
  return channel_;
}

absl::StatusOr<v1::WhoAmIResponse> CommandContext::WhoAmI() {
  if (!who_.has_value()) {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, Channel());
    ASSIGN_OR_RETURN(who_, CallWhoAmI(channel, settings_));
  }
  return *who_;
}

absl::StatusOr<RecordChoices> CommandContext::RecordTables() {
  if (!tables_.has_value()) {
    ASSIGN_OR_RETURN(const v1::WhoAmIResponse who, WhoAmI());
    if (!RoleMayCall(who.role(), kReferenceDataMethod)) return TablesNotForRole(who.role());
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, Channel());
    ASSIGN_OR_RETURN(tables_, CallReferenceData(channel, settings_));
  }
  return *tables_;
}

size_t CommandContext::out_columns() const {
  return streams_.out_is_terminal && !json_ ? TextColumns() : 0;
}

absl::Status CommandContext::PrintJson(const google::protobuf::Message& message) {
  ASSIGN_OR_RETURN(const std::string line, ToJsonLine(message));
  out() << line << "\n";
  return absl::OkStatus();
}

void CommandContext::Note(absl::string_view text) { Remark("note", text); }

void CommandContext::Warn(absl::string_view text) { Remark("warning", text); }

void CommandContext::Remark(absl::string_view kind, absl::string_view text) {
  if (json_) {
    google::protobuf::Struct remark;
    // Bytes that are not UTF-8 cannot be JSON text: shown as the text shows them, as in errors.
    (*remark.mutable_fields())[std::string(kind)].set_string_value(
        IsWellFormedUtf8(text) ? std::string(text) : ForTerminal(text));
    // The JSON writer escapes what could act on a terminal.
    if (absl::StatusOr<std::string> line = ToJsonLine(remark); line.ok()) {
      err() << *line << "\n";
      return;
    }
  }
  // Wrapped to the terminal as errors are.
  err() << ErrorStreamLines(
               absl::StrCat(kind == "warning" ? "WARNING" : kind, ": ", ForTerminal(text)), 2)
        << "\n";
}

bool RoleMayCall(v1::Role role, absl::string_view method) {
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(std::string(method));
  if (descriptor == nullptr || !descriptor->options().HasExtension(v1::access)) return true;
  const auto& roles = descriptor->options().GetExtension(v1::access).roles();
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

absl::Status TablesNotForRole(v1::Role role) {
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleName(role),
      " does not read the courts and offences records are entered with: that is for clerks"));
}

absl::StatusOr<v1::WhoAmIResponse> CallWhoAmI(const std::shared_ptr<grpc::Channel>& channel,
                                              const ConnectionSettings& settings) {
  auto stub = v1::InfoService::NewStub(channel);
  return CallUnary<v1::WhoAmIResponse>(settings,
                                       [&](grpc::ClientContext* c, v1::WhoAmIResponse* r) {
                                         return stub->WhoAmI(c, v1::WhoAmIRequest(), r);
                                       });
}

absl::StatusOr<RecordChoices> CallReferenceData(const std::shared_ptr<grpc::Channel>& channel,
                                                const ConnectionSettings& settings) {
  auto stub = v1::InfoService::NewStub(channel);
  ASSIGN_OR_RETURN(const v1::GetReferenceDataResponse response,
                   CallUnary<v1::GetReferenceDataResponse>(
                       settings, [&](grpc::ClientContext* c, v1::GetReferenceDataResponse* r) {
                         return stub->GetReferenceData(c, v1::GetReferenceDataRequest(), r);
                       }));
  RecordChoices choices;
  choices.offences.assign(response.offences().begin(), response.offences().end());
  choices.courts.assign(response.courts().begin(), response.courts().end());
  return choices;
}

}  // namespace registry::client
