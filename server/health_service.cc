#include "server/health_service.h"

#include <optional>

#include "absl/strings/string_view.h"
#include "grpcpp/support/method_handler.h"
#include "server/decode_guard.h"
#include "server/metrics.h"

namespace registry::server {
namespace {

using grpc::health::v1::HealthCheckResponse;

// The services registryd serves, by full name; "" is the server as a whole.
bool KnownService(absl::string_view name) {
  return name.empty() || name == "registry.v1.RecordService" ||
         name == "registry.v1.VettingService" || name == "registry.v1.AuditService" ||
         name == "registry.v1.AdminService";
}

}  // namespace

HealthService::HealthService(CallGate* gate, storage::Database* db) : gate_(gate), db_(db) {
  // Check is the service's one method (index 0).
  MarkMethodStreamed(
      0, new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
             [this](grpc::ServerContext* ctx, BytesStreamer* stream) {
               const std::optional<RequestBytes> bytes = ReadRequestBytes(stream);
               if (!bytes.has_value()) {
                 AwaitTransportEnd(*ctx);
                 return MissingRequest();
               }
               if (absl::Status caller = gate_->CheckCaller(*ctx); !caller.ok()) {
                 CountRefusal();
                 return ToGrpcStatus(caller);
               }
               grpc::health::v1::HealthCheckRequest req;
               TakeUndecodableField();  // what protobuf reports now is this parse's
               if (!bytes->whole || !req.ParseFromString(bytes->bytes)) {
                 return ToGrpcStatus(UndecodableRequestError(
                     grpc::health::v1::HealthCheckRequest::descriptor(), TakeUndecodableField(),
                     bytes->bytes));
               }
               HealthCheckResponse resp;
               return SendReplyBytes(stream, resp, Answer(req, &resp));
             }));
}

grpc::Status HealthService::Check(grpc::ServerContext* ctx,
                                  const grpc::health::v1::HealthCheckRequest* req,
                                  HealthCheckResponse* resp) {
  // The caller first: a stranger learns neither that the server is up nor which services exist.
  absl::Status caller = gate_->CheckCaller(*ctx);
  if (!caller.ok()) {
    CountRefusal();
    return ToGrpcStatus(caller);
  }
  return Answer(*req, resp);
}

void HealthService::CountRefusal() {
  refusals_.fetch_add(1);
  // The certificate's reason is counted by CheckCaller, as the gate counts a call's.
  if (Metrics* metrics = gate_->metrics(); metrics != nullptr) metrics->RecordHealthCheck(false);
}

grpc::Status HealthService::Answer(const grpc::health::v1::HealthCheckRequest& req,
                                   HealthCheckResponse* resp) {
  answers_.fetch_add(1);
  if (Metrics* metrics = gate_->metrics(); metrics != nullptr) metrics->RecordHealthCheck(true);
  if (!KnownService(req.service())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
  // Whether a call could write its audit event now: after a failed write (a full disk), the
  // resume that call would try first is tried here, so that the answer is not SERVING while every
  // call is refused, and is SERVING as soon as space returns, before any call has come.
  const bool writes = db_ == nullptr || db_->ResumeIfFailed().ok();
  resp->set_status(serving_.load() && writes ? HealthCheckResponse::SERVING
                                             : HealthCheckResponse::NOT_SERVING);
  return grpc::Status::OK;
}

}  // namespace registry::server
