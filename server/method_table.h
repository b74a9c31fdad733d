// The method rules: for every RPC of the v1 API, the roles that may call it, what the caller
// must state and which request fields the audit event records. They are declared in the .proto
// files as `(registry.v1.access)` method options and `(registry.v1.audit)` field options
// (proto/registry/v1/access.proto); this file only reads them from the descriptors, once.
//
// A method whose option is missing, names no role, or asks for a field its request does not mark
// has no rule, and the gate denies it to everyone (tests walk the descriptors so a new RPC
// cannot be forgotten). The gate finds a call's rule by its request message type: every RPC of
// the API takes a request type of its own (a type two RPCs share gives neither a rule).
#ifndef REGISTRY_SERVER_METHOD_TABLE_H_
#define REGISTRY_SERVER_METHOD_TABLE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "registry/v1/access.pb.h"
#include "registry/v1/common.pb.h"

namespace registry::server {

struct MethodRule {
  // Full gRPC method name, "/registry.v1.RecordService/GetRecord".
  std::string method;
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  std::set<registry::v1::Role> roles;
  // The court role must state a Purpose (case reference + allowed purpose code).
  bool court_needs_purpose = false;
  // The call must carry a consent reference and an allowed position category (vetting).
  bool needs_consent = false;
  // The call discloses record contents to the caller (recorded as the event's recipient).
  bool discloses = false;
  // The request names a person by its AUDIT_FIELD_SUBJECT field and asks about them (vetting).
  // Every such call that names a well-formed personal number, whatever its outcome (refused,
  // invalid, rate-limited or answered), puts the person's token in its audit event and a check in
  // the person's history, so that the person learns of every probe.
  bool names_subject = false;

  // The request's marked top-level fields, in AuditField order (then field number).
  struct Field {
    const google::protobuf::FieldDescriptor* field = nullptr;
    registry::v1::AuditField kind = registry::v1::AUDIT_FIELD_UNSPECIFIED;
  };
  std::vector<Field> fields;
  // The first field marked `kind`, or nullptr.
  const google::protobuf::FieldDescriptor* FieldOf(registry::v1::AuditField kind) const;
};

// The rule of a method by its full name; nullptr when the method has none.
const MethodRule* FindMethodRule(absl::string_view method);

// The rule of the method whose request type is `request`; nullptr when there is none.
const MethodRule* FindMethodRuleByRequest(const google::protobuf::Descriptor* request);

// The audit action of the RPC that takes `request`: its full method name, as the gate writes it
// into every event of such a call. Also what jobs acting for that RPC (retention's expunges,
// resumed key rotations) and readers of the log (the data check) use. Never empty for a request
// type of the API (a test checks every one).
const std::string& ActionOf(const google::protobuf::Descriptor* request);

// Every rule, in the order of the services and their methods.
const std::vector<MethodRule>& AllMethodRules();

// The services of the v1 API whose methods the rules cover.
std::vector<const google::protobuf::ServiceDescriptor*> ApiServices();

// The rule `method`'s options declare; an error naming the method when the options are missing
// or inconsistent (no role, a demanded field its request does not mark, a mark on a field of the
// wrong type). Exposed for tests.
absl::Status RuleFromOptions(const google::protobuf::MethodDescriptor* method, MethodRule* rule);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_METHOD_TABLE_H_
