// The client's audit verifier (client/audit_verifier.h) run against a server over gRPC, as
// `registry-cli audit verify` runs it: for tests that check a log end to end. Link registry::client.
//
//   auto verified = VerifyAuditLogOver(server->Channel("auditor"), std::nullopt, "my-test");
//   ASSERT_TRUE(verified.ok()) << verified.status();
#ifndef REGISTRY_TESTS_TESTING_AUDIT_VERIFY_H_
#define REGISTRY_TESTS_TESTING_AUDIT_VERIFY_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "grpcpp/grpcpp.h"

namespace registry::testing {

// The log behind `auditor` as the verifier reads it; each call carries `request_id` and may take
// a minute (a guard against a hung server).
inline std::unique_ptr<client::GrpcAuditLogSource> AuditSourceOver(
    const std::shared_ptr<grpc::Channel>& auditor, absl::string_view request_id) {
  client::ConnectionSettings settings;
  settings.timeout = absl::Seconds(60);
  settings.request_id = std::string(request_id);
  return std::make_unique<client::GrpcAuditLogSource>(auditor, settings);
}

// Verifies the log behind `auditor` (a channel of an auditor identity) from `previous` (nullopt:
// from the start, trusting the key on first use), downloading every event when `full`, over
// AuditSourceOver(auditor, request_id).
inline absl::StatusOr<client::AuditVerification> VerifyAuditLogOver(
    const std::shared_ptr<grpc::Channel>& auditor,
    const std::optional<client::AuditState>& previous, absl::string_view request_id,
    bool full = true, std::optional<std::string> public_key_pem = std::nullopt) {
  client::AuditVerifyOptions options;
  options.full = full;
  options.public_key_pem = std::move(public_key_pem);
  return client::VerifyAuditLog(*AuditSourceOver(auditor, request_id), previous, options,
                                absl::Now());
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_AUDIT_VERIFY_H_
