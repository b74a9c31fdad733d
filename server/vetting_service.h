// VettingService: employers ask one narrow question about one consenting candidate and get one
// signed code; data subjects (through a clerk) see who checked them.
//
// The answer's schema has no offence, court, sentence or date field. A check costs one blind-index
// lookup, no record decryption (identities are compared by token), one audit append and one
// signature.
//
// Checks are kept for the data subject in the `checks` family: key = personal-number token ||
// u64be issued-at micros || check id; value = AES-256-GCM (key derived from the key file's root,
// "vetting-checks") over the CheckSummary, with the key as associated data.
#ifndef REGISTRY_SERVER_VETTING_SERVICE_H_
#define REGISTRY_SERVER_VETTING_SERVICE_H_

#include <memory>

#include "crypto/aes_gcm.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/service_deps.h"

namespace registry::server {

class VettingService final : public registry::v1::VettingService::Service {
 public:
  // checks_key: 32 bytes derived for the checks family.
  static absl::StatusOr<std::unique_ptr<VettingService>> Create(
      const ServiceDeps& deps, const crypto::SecretBytes& checks_key);

  grpc::Status VettingCheck(grpc::ServerContext* ctx, const registry::v1::VettingCheckRequest* req,
                            registry::v1::VettingCheckResponse* resp) override;
  grpc::Status GetVettingPublicKey(grpc::ServerContext* ctx,
                                   const registry::v1::GetVettingPublicKeyRequest* req,
                                   registry::v1::PublicKey* resp) override;
  grpc::Status ListChecksAboutPerson(grpc::ServerContext* ctx,
                                     const registry::v1::ListChecksAboutPersonRequest* req,
                                     registry::v1::ListChecksAboutPersonResponse* resp) override;

  // The result for a match as of `today`: pure, for tests.
  static registry::v1::VettingResult Decide(const storage::VettingMatch& match,
                                            absl::CivilDay today);

 private:
  VettingService(const ServiceDeps& deps, std::unique_ptr<crypto::AesGcm> checks_aead)
      : d_(deps), checks_aead_(std::move(checks_aead)) {}

  ServiceDeps d_;
  std::unique_ptr<crypto::AesGcm> checks_aead_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_VETTING_SERVICE_H_
