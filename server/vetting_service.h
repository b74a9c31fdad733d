// VettingService: employers ask one narrow question about one consenting candidate and get one
// signed code; data subjects (through a clerk) see who checked them.
//
// The answer's schema has no offence, court, sentence or date field. A check runs in three steps,
// each the same work whatever the registry holds:
//   1. the whole request is checked and tokenised (RecordValidator, then the blind-index tokens
//      of the personal number and of the normalised names + birth date): an invalid request is
//      invalid whatever the registry holds;
//   2. the facts of the records under the personal number are read by token, never decrypting a
//      record (RecordStore::FactsForVetting);
//   3. one pure function decides (vetting_decision.h), and the reply depends on its code only.
// Then one audit append, with the check kept in the person's history (the gate does that for
// every vetting call, see call_gate.h), and one signature.
#ifndef REGISTRY_SERVER_VETTING_SERVICE_H_
#define REGISTRY_SERVER_VETTING_SERVICE_H_

#include <memory>

#include "registry/v1/vetting.grpc.pb.h"
#include "server/service_deps.h"
#include "storage/check_store.h"

namespace registry::server {

class VettingService final : public registry::v1::VettingService::Service {
 public:
  // `checks` is not owned and must outlive the service.
  VettingService(const ServiceDeps& deps, const storage::CheckStore* checks)
      : d_(deps), checks_(checks) {}

  grpc::Status VettingCheck(grpc::ServerContext* ctx, const registry::v1::VettingCheckRequest* req,
                            registry::v1::VettingCheckResponse* resp) override;
  grpc::Status GetVettingPublicKey(grpc::ServerContext* ctx,
                                   const registry::v1::GetVettingPublicKeyRequest* req,
                                   registry::v1::PublicKey* resp) override;
  grpc::Status ListChecksAboutPerson(grpc::ServerContext* ctx,
                                     const registry::v1::ListChecksAboutPersonRequest* req,
                                     registry::v1::ListChecksAboutPersonResponse* resp) override;

 private:
  ServiceDeps d_;
  const storage::CheckStore* checks_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_VETTING_SERVICE_H_
