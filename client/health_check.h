// The standard gRPC health check (grpc.health.v1.Health/Check) without its generated code: our
// gRPC package keeps the health messages inside the library, so registry-cli encodes the two tiny
// messages itself and calls the method through grpc::GenericStub.
//
//   message HealthCheckRequest  { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }   // 0..3 as below
//
//   ASSIGN_OR_RETURN(ServingStatus status, CheckHealth(channel, settings));
//   if (status == ServingStatus::kServing) ...
#ifndef REGISTRY_CLIENT_HEALTH_CHECK_H_
#define REGISTRY_CLIENT_HEALTH_CHECK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/connection.h"
#include "grpcpp/channel.h"

namespace registry::client {

enum class ServingStatus {
  kUnknown = 0,
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,
};

// "UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN".
std::string ServingStatusName(ServingStatus status);

// The wire bytes of HealthCheckRequest{service}.
std::string EncodeHealthCheckRequest(absl::string_view service);

// Reads HealthCheckResponse wire bytes; unknown fields are skipped. DataLoss when the bytes are
// not a protobuf message; a status number outside 0..3 reads as kUnknown.
absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(absl::string_view bytes);

// Asks the server about `service` ("" = the whole server). Returns the call's error when it fails.
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          const ConnectionSettings& settings,
                                          absl::string_view service = "");

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_HEALTH_CHECK_H_
