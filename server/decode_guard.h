// DecodeGuard: the calls gRPC would answer without a handler pass the gate too.
//
// Every method of the API reads its own request as bytes (server/bytes_served.h) and decodes it,
// refusing through the gate (CallGate::RefuseUnread) a request that does not decode: a `string`
// field that is not UTF-8, a field tag protobuf does not have, a truncated message. That leaves
// two kinds of call with no request for a handler to see: a read that failed (a request over
// kMaxRequestBytes, or compressed and inflating past it, which the transport answers
// RESOURCE_EXHAUSTED; a caller that sent nothing), and a call to a method the server does not
// have, which gRPC answers UNIMPLEMENTED. Neither would leave an audit event. This server
// interceptor sees both before their status leaves and hands them to CallGate::RefuseUnread,
// which identifies the caller, checks the role and the rate like any call, writes the one audit
// event (or counts the refusal, for a certificate that is not a known caller), and answers:
//   - RESOURCE_EXHAUSTED "request: not received (...)" when the transport ended the call;
//   - DEADLINE_EXCEEDED "request: not received (the call's deadline passed)" when the call's
//     deadline passed before its request was read (what the caller was answered);
//   - INVALID_ARGUMENT when a message that did arrive does not decode as its type (for a
//     method served as gRPC generates it, which the API no longer has);
//   - UNIMPLEMENTED for a method of no service.
// The value of a field is never echoed. The handlers name an undecodable field by its path from
// the bytes, with the element of each repeated field ("rows[3].record.person.surname",
// UndecodableRequestError); for a method whose rule names a subject (VettingCheck) it also reads
// the personal number from an undecodable request (FieldOfUndecodable below), so that the probe
// still goes into that person's history. Calls of the health service (grpc.health.v1, never
// audited: server/health_service.h, which reads its own bytes too) are left as they end.
#ifndef REGISTRY_SERVER_DECODE_GUARD_H_
#define REGISTRY_SERVER_DECODE_GUARD_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/sync_stream.h"
#include "server/call_gate.h"

namespace registry::server {

// The largest request the server takes (grpc::ServerBuilder::SetMaxReceiveMessageSize). The
// transport answers a larger one RESOURCE_EXHAUSTED; every method reads its own bytes
// (server/bytes_served.h), so there is a call then, and the guard audits it with that code.
inline constexpr int kMaxRequestBytes = 8 << 20;

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
// "request: does not decode as <type>". `bytes`: the request's bytes, when the caller has them
// (see FieldPath).
absl::Status UndecodableRequestError(const google::protobuf::Descriptor* request,
                                     absl::string_view undecodable_field,
                                     absl::string_view bytes = {});

// The value of top-level field `field` in the wire bytes of a request that does not decode as
// its message (read without the message's rules, so a bad string elsewhere does not hide it, and
// up to the first field that does not read, so a request cut short after it still names it);
// "" when the bytes hold no complete such length-delimited field. The caller validates what it
// gets.
std::string FieldOfUndecodable(absl::string_view bytes,
                               const google::protobuf::FieldDescriptor* field);

// The path of string field `full_name` from message `root`, as the gate's and the handlers'
// messages name fields. With `bytes` (a request of type `root` on the wire) that hold a value of
// the field that is not UTF-8: the path of the first such value, with the index of each repeated
// field on the way ("rows[3].record.person.surname", "person.aliases[1]"), which tells the caller
// which element to correct. Otherwise the first path to the field, breadth first, without
// indices ("person.surname"); "" when `root` holds no such field.
std::string FieldPath(const google::protobuf::Descriptor* root, absl::string_view full_name,
                      absl::string_view bytes = {});

// Handlers that take their request as bytes (gRPC's streamed-unary handler, one message each
// way, the same on the wire as a unary call).
using BytesStreamer = grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>;

// The call's one request, as bytes; `whole` is false when its buffer could not be read out.
// nullopt when no request arrived: gRPC then reports the failed read to the decode guard, which
// refuses and audits the call as for any method, so the handler writes no event of its own and
// returns MissingRequest() (a second refusal would be a second event).
struct RequestBytes {
  std::string bytes;
  bool whole = true;
};
std::optional<RequestBytes> ReadRequestBytes(grpc::internal::ReaderInterface<grpc::ByteBuffer>* stream);
// After ReadRequestBytes found no request: the transport may have ended the call (a request over
// kMaxRequestBytes is answered RESOURCE_EXHAUSTED) and marks it cancelled a moment after the
// failed read. Waits for that, at most 100 ms (a caller that sent no request at all waits the
// whole of it), so that the guard audits the code the caller was answered. It polls
// IsCancelled every millisecond: the synchronous API has no notification of a call's end
// (AsyncNotifyWhenDone belongs to the asynchronous one), and the wait is only ever on a call
// that already failed.
void AwaitTransportEnd(const grpc::ServerContext& ctx);
grpc::Status MissingRequest();

// Sends `response` as the call's one reply when `status` is OK, and returns `status`. A reply
// the transport could not take leaves with the status the call had: its event is written (and a
// change committed), and the reply was not delivered.
grpc::Status SendReplyBytes(BytesStreamer* stream, const google::protobuf::Message& response,
                            const grpc::Status& status);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_DECODE_GUARD_H_
