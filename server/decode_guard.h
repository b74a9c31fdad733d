// DecodeGuard: the calls gRPC answers without a handler pass the gate too.
//
// A request whose bytes do not decode as its message (a `string` field that is not UTF-8, a
// field tag protobuf does not have, a truncated message) never reaches the service: gRPC's method
// handler fails to parse it and would answer INTERNAL on its own. Likewise a call to a method
// the server does not have is answered UNIMPLEMENTED by gRPC. Neither would leave an audit
// event. This server interceptor sees both before their status leaves and hands them to
// CallGate::RefuseUnread, which identifies the caller, checks the role and the rate like any call,
// writes the one audit event (or counts the refusal, for a certificate that is not a known
// caller), and answers:
//   - INVALID_ARGUMENT "<field path>: not valid UTF-8" when the field is known (it is read from
//     protobuf's own report of the failure, captured on the parsing thread by the log handler
//     InstallProtobufLogHandler installs), else "request: does not decode as <type>";
//   - UNIMPLEMENTED for a method of no service.
// The value of the field is never echoed. VettingCheck takes its request as bytes and decodes it
// itself (server/vetting_service.h), so that an undecodable request still names its person; it
// uses UndecodableRequestError and FieldOfUndecodable below. Calls of the health service (grpc.health.v1, never
// audited: server/health_service.h) are left as gRPC answers them.
#ifndef REGISTRY_SERVER_DECODE_GUARD_H_
#define REGISTRY_SERVER_DECODE_GUARD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/call_gate.h"

namespace registry::server {

class DecodeGuardFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit DecodeGuardFactory(CallGate* gate) : gate_(gate) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  CallGate* gate_;
};

// Routes protobuf's log messages into the server's JSON log (common/json_log.h) instead of
// protobuf's own stderr lines, and keeps, per thread, the name of the last string field protobuf
// reported as not UTF-8 while parsing. Idempotent; call before the server starts.
void InstallProtobufLogHandler();

// The full name ("registry.v1.Person.surname") of the string field the last parse on this thread
// reported as not UTF-8, and forgets it; "" when there was none.
std::string TakeUndecodableField();

// Why a request of type `request` did not decode: INVALID_ARGUMENT "<field path>: not valid
// UTF-8" when protobuf reported the field (`undecodable_field`, from TakeUndecodableField), else
// "request: does not decode as <type>".
absl::Status UndecodableRequestError(const google::protobuf::Descriptor* request,
                                     absl::string_view undecodable_field);

// The value of top-level field `field` in the wire bytes of a request that does not decode as
// its message (read without the message's rules, so a bad string elsewhere does not hide it);
// "" when the bytes are no protobuf at all or hold no such length-delimited field. The caller
// validates what it gets.
std::string FieldOfUndecodable(absl::string_view bytes,
                               const google::protobuf::FieldDescriptor* field);

// The path of field `full_name` from message `root`, as the gate's messages name fields
// ("person.surname"); the first found, breadth first. "" when `root` holds no such field.
std::string FieldPath(const google::protobuf::Descriptor* root, absl::string_view full_name);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_DECODE_GUARD_H_
