#include "server/vetting_service.h"

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/vetting_certificate.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

constexpr char kCheck[] = "/registry.v1.VettingService/VettingCheck";
constexpr char kPublicKey[] = "/registry.v1.VettingService/GetVettingPublicKey";
constexpr char kHistory[] = "/registry.v1.VettingService/ListChecksAboutPerson";
constexpr size_t kMaxHistory = 1000;

}  // namespace

absl::StatusOr<std::unique_ptr<VettingService>> VettingService::Create(
    const ServiceDeps& deps, const crypto::SecretBytes& checks_key) {
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcm> aead, crypto::AesGcm::Create(checks_key));
  return std::unique_ptr<VettingService>(new VettingService(deps, std::move(aead)));
}

v1::VettingResult VettingService::Decide(const storage::VettingMatch& match,
                                         absl::CivilDay today) {
  switch (match.kind) {
    case storage::VettingMatch::kNoRecord:
      return v1::VETTING_RESULT_CLEAR;
    case storage::VettingMatch::kIdentityMismatch:
      return v1::VETTING_RESULT_REFER;
    case storage::VettingMatch::kMatch:
      break;
  }
  if (match.status == v1::RECORD_STATUS_DISPUTED) return v1::VETTING_RESULT_REFER;
  auto until = ParseDate(match.employer_visible_until);
  // A record without a readable visibility end is treated as visible: refer, never clear.
  if (!until.ok()) return v1::VETTING_RESULT_REFER;
  return today <= *until ? v1::VETTING_RESULT_NOT_CLEAR : v1::VETTING_RESULT_CLEAR;
}

grpc::Status VettingService::VettingCheck(grpc::ServerContext* ctx,
                                          const v1::VettingCheckRequest* req,
                                          v1::VettingCheckResponse* resp) {
  return d_.gate->Unary(ctx, kCheck, *req, resp, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(d_.validator->ValidateCandidate(req->personal_number(), req->surname(),
                                                    req->given_name(), req->birth_date()));
    ASSIGN_OR_RETURN(storage::VettingMatch match,
                     d_.records->MatchForVetting(req->personal_number(), req->surname(),
                                                 req->given_name(), req->birth_date()));
    const v1::VettingResult result = Decide(match, UtcDay(call.now()));
    call.event().add_tokens(match.personal_number_token_hex);
    for (const auto& id : match.record_ids) call.event().add_record_ids(id);

    ASSIGN_OR_RETURN(std::string raw_id, crypto::RandomBytes(16));
    const std::string check_id = absl::BytesToHexString(raw_id);
    v1::VettingCertificate cert;
    cert.set_certificate_id(check_id);
    cert.set_issued_at(FormatInstant(call.now()));
    cert.set_valid_until(FormatInstant(
        call.now() + absl::Hours(24) * d_.config->vetting().certificate_validity_days()));
    cert.set_organisation(call.caller().organisation);
    cert.set_personal_number(req->personal_number());
    cert.set_surname(req->surname());
    cert.set_given_name(req->given_name());
    cert.set_birth_date(req->birth_date());
    cert.set_position_category(req->position_category());
    cert.set_result(result);
    ASSIGN_OR_RETURN(v1::SignedVettingCertificate signed_cert,
                     crypto::SignCertificate(*d_.vetting_signer, std::move(cert)));

    // Keep the check for the data subject, sealed, in the same batch as the audit event.
    v1::CheckSummary summary;
    summary.set_check_id(check_id);
    summary.set_organisation(call.caller().organisation);
    summary.set_checked_at(FormatInstant(call.now()));
    summary.set_position_category(req->position_category());
    summary.set_result(result);
    const std::string& token = match.personal_number_token;
    const std::string key = absl::StrCat(
        token, storage::EncodeU64(static_cast<uint64_t>(absl::ToUnixMicros(call.now()))),
        check_id);
    ASSIGN_OR_RETURN(std::string sealed, checks_aead_->Encrypt(summary.SerializeAsString(), key));
    storage::PendingWrite write;
    write.batch()->Put(d_.db->cf(storage::Cf::kChecks), key, sealed);
    RETURN_IF_ERROR(call.Commit(&write));

    resp->set_result(result);
    resp->set_check_id(check_id);
    *resp->mutable_certificate() = std::move(signed_cert);
    return absl::OkStatus();
  });
}

grpc::Status VettingService::GetVettingPublicKey(grpc::ServerContext* ctx,
                                                 const v1::GetVettingPublicKeyRequest* req,
                                                 v1::PublicKey* resp) {
  return d_.gate->Unary(ctx, kPublicKey, *req, resp, [&](Call&) -> absl::Status {
    resp->set_key_id(d_.vetting_signer->key_id());
    resp->set_ed25519(d_.vetting_signer->public_key());
    resp->set_pem(d_.vetting_signer->PublicKeyPem());
    return absl::OkStatus();
  });
}

grpc::Status VettingService::ListChecksAboutPerson(
    grpc::ServerContext* ctx, const v1::ListChecksAboutPersonRequest* req,
    v1::ListChecksAboutPersonResponse* resp) {
  return d_.gate->Unary(ctx, kHistory, *req, resp, [&](Call& call) -> absl::Status {
    if (req->request_reference().empty()) {
      return absl::FailedPreconditionError("request_reference is required");
    }
    RETURN_IF_ERROR(RecordValidator::ValidateText("request_reference", req->request_reference(),
                                                  1, 64));
    RETURN_IF_ERROR(
        d_.validator->ValidatePersonalNumber("personal_number", req->personal_number()));
    ASSIGN_OR_RETURN(std::string token, d_.records->PersonalNumberToken(req->personal_number()));
    call.event().add_tokens(absl::BytesToHexString(token));
    std::vector<v1::CheckSummary> checks;
    // Newest first, and the limit keeps the newest: walk the person's keys backwards from past
    // their end (token || u64 || 32 hex characters sorts below token || 41 x 0xff).
    const std::string past_end = absl::StrCat(token, std::string(41, '\xff'));
    auto it = d_.db->NewIterator(storage::Cf::kChecks);
    for (it->SeekForPrev(past_end); it->Valid() && checks.size() < kMaxHistory; it->Prev()) {
      absl::string_view key(it->key().data(), it->key().size());
      if (!absl::StartsWith(key, token)) break;
      ASSIGN_OR_RETURN(std::string plain,
                       checks_aead_->Decrypt(
                           absl::string_view(it->value().data(), it->value().size()), key));
      v1::CheckSummary summary;
      if (!summary.ParseFromString(plain)) return absl::DataLossError("check record damaged");
      checks.push_back(std::move(summary));
    }
    if (!it->status().ok()) return absl::UnavailableError("checks scan failed");
    for (auto& c : checks) *resp->add_checks() = std::move(c);
    return absl::OkStatus();
  });
}

}  // namespace registry::server
