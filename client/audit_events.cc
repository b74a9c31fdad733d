#include "client/audit_events.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/deterministic_bytes.h"
#include "google/protobuf/descriptor.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {
namespace {

// The files of the v1 API that define services.
std::vector<const google::protobuf::FileDescriptor*> ServiceFiles() {
  return {v1::GetRecordRequest::descriptor()->file(), v1::VettingCheckRequest::descriptor()->file(),
          v1::AuditEvent::descriptor()->file(), v1::RotateKeysRequest::descriptor()->file(),
          v1::WhoAmIRequest::descriptor()->file()};
}


}  // namespace

std::optional<std::string> FullMethodName(absl::string_view action) {
  if (absl::StartsWith(action, "/")) return std::string(action);
  for (const google::protobuf::FileDescriptor* file : ServiceFiles()) {
    for (int s = 0; s < file->service_count(); ++s) {
      if (const auto* method = file->service(s)->FindMethodByName(std::string(action))) {
        return absl::StrCat("/", file->service(s)->full_name(), "/", method->name());
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string> ApiMethodNames() {
  std::vector<std::string> names;
  for (const google::protobuf::FileDescriptor* file : ServiceFiles()) {
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        names.push_back(file->service(s)->method(m)->name());
      }
    }
  }
  return names;
}

std::string ShortMethod(absl::string_view action) {
  if (absl::StartsWith(action, "/registry.v1.") || absl::StartsWith(action, "/grpc.")) {
    return std::string(action.substr(action.rfind('/') + 1));
  }
  return std::string(action);
}

std::string RoleName(v1::Role role) {
  const std::string& name = v1::Role_Name(role);
  return absl::AsciiStrToLower(absl::StripPrefix(name, "ROLE_"));
}

HashedEvent DecodeHashedEvent(const v1::AuditEntry& entry, absl::string_view shown) {
  HashedEvent hashed;
  const std::string prefix = absl::StrCat("WARNING: event ", entry.index(), ": ");
  v1::AuditEvent event;
  if (!event.ParseFromString(entry.event_bytes())) {
    hashed.warnings.push_back(absl::StrCat(prefix,
                                           "the hashed bytes are not an audit event; the "
                                           "server's decoded copy is not shown"));
    return hashed;
  }
  // A server asked for bytes only sends no decoded copy, and there is nothing to compare.
  if (entry.has_event() && DeterministicBytes(event) != DeterministicBytes(entry.event())) {
    hashed.copy_differs = true;
    hashed.warnings.push_back(absl::StrCat(
        prefix, "server's decoded copy differs from the hashed bytes (", shown, ")"));
  }
  if (event.sequence() != entry.index()) {
    hashed.warnings.push_back(absl::StrCat(prefix, "the hashed bytes say it is event ",
                                           event.sequence()));
  }
  hashed.event = std::move(event);
  return hashed;
}

}  // namespace registry::client
