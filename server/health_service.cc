#include "server/health_service.h"

#include "absl/strings/string_view.h"

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

grpc::Status HealthService::Check(grpc::ServerContext* ctx,
                                  const grpc::health::v1::HealthCheckRequest* req,
                                  HealthCheckResponse* resp) {
  // The caller first: a stranger learns neither that the server is up nor which services exist.
  absl::Status caller = gate_->CheckCaller(*ctx);
  if (!caller.ok()) {
    refusals_.fetch_add(1);
    return ToGrpcStatus(caller);
  }
  answers_.fetch_add(1);
  if (!KnownService(req->service())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
  const bool writes = db_ == nullptr || db_->WritesStoppedForGood().ok();
  resp->set_status(serving_.load() && writes ? HealthCheckResponse::SERVING
                                             : HealthCheckResponse::NOT_SERVING);
  return grpc::Status::OK;
}

}  // namespace registry::server
