// The standard gRPC health check (grpc.health.v1.Health/Check), through the typed stub generated
// from proto/grpc/health/v1/health.proto.
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

// Asks the server about `service` ("" = the whole server). Returns the call's error when it fails.
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          const ConnectionSettings& settings,
                                          absl::string_view service = "");

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_HEALTH_CHECK_H_
