// BytesServed: a service whose every method takes its request as bytes, so that a request the
// transport cannot take still reaches the gate and is audited.
//
// For a plain unary or server-streaming method, gRPC reads the request before the call is
// handed to the server: a request over kMaxRequestBytes, or a compressed one that does not
// inflate, ends the call with no handler, no interceptor and so no audit event. A method marked
// streamed has no such early read; its handler reads the request itself, and a failed read
// reaches the decode guard (server/decode_guard.h), which refuses and audits the call through
// the gate with the code the caller got. The reply of a unary method is one message, as before,
// and nothing changes on the wire.
//
//   class AuditService final : public BytesServed<registry::v1::AuditService> {
//     AuditService(CallGate* gate, ...) : BytesServed(gate), ... {
//       ServeAsBytes(&AuditService::ListAuditEvents);
//       ServeAsBytes(&AuditService::StreamAuditEventsTo);  // writes to a WriterInterface
//     }
//   };
//
// OversizedRequestTest (tests/server/access_matrix_test.cc) sends every method of every service a
// request over the limit and expects its audit event; a method left out fails it.
#ifndef REGISTRY_SERVER_BYTES_SERVED_H_
#define REGISTRY_SERVER_BYTES_SERVED_H_

#include <optional>

#include "absl/base/internal/raw_logging.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/sync_stream.h"
#include "server/call_gate.h"
#include "server/decode_guard.h"
#include "server/method_table.h"

namespace registry::server {

// A server-streaming method served from bytes writes its replies here (gRPC's split streamer).
template <class Response>
using ReplyWriter = grpc::internal::WriterInterface<Response>;

template <class Generated>
class BytesServed : public Generated::Service {
 protected:
  explicit BytesServed(CallGate* gate) : gate_(gate) {}

  // The request of `typed`'s method (found by its request type) is read as bytes and decoded
  // here; an undecodable one is refused through the gate naming the field by its path.
  template <class Self, class Request, class Response>
  void ServeAsBytes(grpc::Status (Self::*typed)(grpc::ServerContext*, const Request*,
                                                Response*)) {
    Self* self = static_cast<Self*>(this);
    CallGate* gate = gate_;
    this->MarkMethodStreamed(
        MethodIndex(Request::descriptor()),
        new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [self, gate, typed](grpc::ServerContext* ctx, BytesStreamer* stream) {
              Request req;
              if (std::optional<grpc::Status> refused = Decode(gate, ctx, stream, &req)) {
                return *refused;
              }
              Response resp;
              return SendReplyBytes(stream, resp, (self->*typed)(ctx, &req, &resp));
            }));
  }
  template <class Self, class Request, class Response>
  void ServeAsBytes(grpc::Status (Self::*typed)(grpc::ServerContext*, const Request*,
                                                ReplyWriter<Response>*)) {
    Self* self = static_cast<Self*>(this);
    CallGate* gate = gate_;
    this->MarkMethodStreamed(
        MethodIndex(Request::descriptor()),
        new grpc::internal::SplitServerStreamingHandler<grpc::ByteBuffer, Response>(
            [self, gate, typed](grpc::ServerContext* ctx,
                                grpc::ServerSplitStreamer<grpc::ByteBuffer, Response>* stream) {
              Request req;
              if (std::optional<grpc::Status> refused = Decode(gate, ctx, stream, &req)) {
                return *refused;
              }
              return (self->*typed)(ctx, &req, stream);
            }));
  }

 private:
  // The generated service adds its methods in the order the proto declares them.
  static int MethodIndex(const google::protobuf::Descriptor* request) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            Generated::service_full_name());
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
      if (service->method(i)->input_type() == request) return i;
    }
    ABSL_RAW_LOG(FATAL, "no method of %s takes %s", Generated::service_full_name(),
                 request->full_name().c_str());
    return -1;
  }

  // Reads and decodes the one request into `req`; otherwise the status to answer, the refusal
  // audited (by the decode guard when nothing could be read, by the gate when it does not
  // decode). A request that does not decode still names its person when its method's rule has
  // a subject (VettingCheck): the personal number is read from the bytes, so that the probe goes
  // into that person's history as a decoded call's would.
  template <class Request>
  static std::optional<grpc::Status> Decode(CallGate* gate, grpc::ServerContext* ctx,
                                            grpc::internal::ReaderInterface<grpc::ByteBuffer>* in,
                                            Request* req) {
    const std::optional<RequestBytes> bytes = ReadRequestBytes(in);
    if (!bytes.has_value()) {
      AwaitTransportEnd(*ctx);
      return MissingRequest();
    }
    TakeUndecodableField();  // what protobuf reports now is this parse's
    if (!bytes->whole || !req->ParseFromString(bytes->bytes)) {
      const MethodRule* rule = FindMethodRuleByRequest(Request::descriptor());
      const google::protobuf::FieldDescriptor* subject =
          rule != nullptr ? rule->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT) : nullptr;
      return gate->RefuseUnread(
          *ctx, rule,
          UndecodableRequestError(Request::descriptor(), TakeUndecodableField(), bytes->bytes),
          subject != nullptr ? FieldOfUndecodable(bytes->bytes, subject) : "");
    }
    return std::nullopt;
  }

  CallGate* const gate_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_BYTES_SERVED_H_
