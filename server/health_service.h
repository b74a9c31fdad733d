// HealthService: grpc.health.v1.Health/Check for load balancers and operators, answered only to
// known callers.
//
// gRPC's default health service answers any certificate the TLS layer accepts, which tells a
// stranger (an unlisted, deny-listed or revoked certificate) that the registry is up and which
// services it runs. This one first runs the gate's caller checks (CallGate::CheckCaller:
// identity, revocation, deny list, principal) and refuses with the gate's status otherwise.
// Health is the load balancer's probe, called every few seconds, so it is not audited; answers
// and refusals are counted instead, on the metrics page (registryd_health_checks_total by
// outcome, and a refused certificate by its reason in registryd_refused_certificates_total, as
// the gate counts a call's) and in RegistryServer::health_answers/health_refusals.
//
// Check("") and Check(<one of registryd's services>) answer SERVING while the server runs and
// NOT_SERVING once it is shutting down, or while its database cannot write: every call writes
// its audit event, so none is then answered. That is once the database stopped all writes for
// good (storage::Database::WritesStoppedForGood: damage in a table file, a failed fsync), and
// while a failed write (a full disk) waits for a resume that cannot be made yet: the check tries
// the resume the next write would (storage::Database::ResumeIfFailed; nothing is written when
// nothing failed), so that it answers SERVING again as soon as space returns. Any other service
// name is NOT_FOUND.
// Watch is not offered (the proto registryd serves declares Check only).
//
// Check reads its request as bytes (as the API's methods do, server/bytes_served.h), so that a
// request that does not decode (a service name that is not UTF-8, a truncated message) reaches
// the caller check too: gRPC answered it INTERNAL with no message before any check, to any
// certificate. A known caller is answered INVALID_ARGUMENT naming the field; a stranger, the
// gate's refusal. A request the transport did not deliver (over the size limit) is answered as
// the transport ended it.
#ifndef REGISTRY_SERVER_HEALTH_SERVICE_H_
#define REGISTRY_SERVER_HEALTH_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/call_gate.h"
#include "storage/database.h"

namespace registry::server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  // `db` may be null (no storage to ask).
  HealthService(CallGate* gate, storage::Database* db);

  grpc::Status Check(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::health::v1::HealthCheckResponse* resp) override;

  // From now on, answer NOT_SERVING (the server is shutting down).
  void SetNotServing() { serving_.store(false); }

  // Checks answered (SERVING, NOT_SERVING or NOT_FOUND) and refused (the caller is not known).
  uint64_t answers() const { return answers_.load(); }
  uint64_t refusals() const { return refusals_.load(); }

 private:
  // Counts a check refused for the caller's certificate.
  void CountRefusal();
  // The answer to a known caller.
  grpc::Status Answer(const grpc::health::v1::HealthCheckRequest& req,
                      grpc::health::v1::HealthCheckResponse* resp);

  CallGate* gate_;
  storage::Database* db_;
  std::atomic<bool> serving_{true};
  std::atomic<uint64_t> answers_{0};
  std::atomic<uint64_t> refusals_{0};
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_HEALTH_SERVICE_H_
