// The authorization table: for every RPC of the v1 API, the roles that may call it and what the
// caller must state. This is domain.md's role table in code. A method that is not here is denied
// (tests walk the proto descriptors so a new RPC cannot be forgotten).
#ifndef REGISTRY_SERVER_METHOD_TABLE_H_
#define REGISTRY_SERVER_METHOD_TABLE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "registry/v1/common.pb.h"

namespace registry::server {

struct MethodRule {
  // Full gRPC method name, "/registry.v1.RecordService/GetRecord".
  std::string method;
  std::set<registry::v1::Role> roles;
  // The court role must state a Purpose (case reference + allowed purpose code).
  bool court_needs_purpose = false;
  // The call must carry a consent reference and an allowed position category (vetting).
  bool needs_consent = false;
  // The call discloses record contents to the caller (recorded as the event's recipient).
  bool discloses = false;
  // The request names a person by its `personal_number` field and asks about them (vetting).
  // Every such call that names a well-formed personal number, whatever its outcome (refused,
  // invalid, rate-limited or answered), puts the person's token in its audit event and a check in
  // the person's history, so that the person learns of every probe.
  bool names_subject = false;
};

// nullptr when the method is not in the table.
const MethodRule* FindMethodRule(absl::string_view method);

const std::vector<MethodRule>& AllMethodRules();

}  // namespace registry::server

#endif  // REGISTRY_SERVER_METHOD_TABLE_H_
