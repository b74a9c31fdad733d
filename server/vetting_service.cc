#include "server/vetting_service.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "grpc/support/time.h"
#include "common/time_format.h"
#include "crypto/vetting_certificate.h"
#include "server/decode_guard.h"
#include "server/method_table.h"
#include "server/public_key_reply.h"
#include "server/vetting_decision.h"
#include "storage/ids.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

// A page of a person's history holds 1..kMaxHistoryPage checks; a request for 0 gets
// kDefaultHistoryPage, as a page of ListAuditEvents does.
constexpr uint32_t kMaxHistoryPage = 1000;
constexpr uint32_t kDefaultHistoryPage = 100;

// A page token of a person's history is the place of the previous page's last check (its sealed
// time in microseconds, in canonical decimal: no sign, no leading zeros; a dot; its check id), so
// that the next page starts below it however many checks were made meanwhile. It tells the
// clerk (only a clerk may list a history) the time of that check to the microsecond, where the
// page shows it to the second. Any other text was not written here, and is refused rather than
// read as some other place in the history.
std::string HistoryPageToken(const storage::CheckStore::HistoryPosition& at) {
  return absl::StrCat(at.checked_at_micros, ".", at.check_id);
}
bool ParseHistoryPageToken(absl::string_view token, storage::CheckStore::HistoryPosition* at) {
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos) return false;
  const absl::string_view micros = token.substr(0, dot);
  const absl::string_view check_id = token.substr(dot + 1);
  if (micros.empty() || micros.size() > 19 || (micros.size() > 1 && micros[0] == '0')) {
    return false;
  }
  for (const char c : micros) {
    if (c < '0' || c > '9') return false;
  }
  if (!storage::IsRegistryId(check_id)) return false;
  if (!absl::SimpleAtoi(micros, &at->checked_at_micros)) return false;
  at->check_id = std::string(check_id);
  return true;
}

// The call's deadline as an absl::Time, from gRPC's own time (server/call_deadline.h): an
// infinite one is InfiniteFuture.
absl::Time DeadlineOf(const grpc::ServerContextBase& ctx) {
  const gpr_timespec deadline = gpr_convert_clock_type(ctx.raw_deadline(), GPR_CLOCK_REALTIME);
  if (gpr_time_cmp(deadline, gpr_inf_future(GPR_CLOCK_REALTIME)) == 0) {
    return absl::InfiniteFuture();
  }
  return absl::FromUnixSeconds(deadline.tv_sec) + absl::Nanoseconds(deadline.tv_nsec);
}

}  // namespace

grpc::Status VettingService::VettingCheck(grpc::ServerContext* ctx,
                                          const v1::VettingCheckRequest* req,
                                          v1::VettingCheckResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    // 1. Every input check (consent and position passed the gate) before any lookup.
    RETURN_IF_ERROR(d_.validator->ValidateCandidate(req->personal_number(), req->surname(),
                                                    req->given_name(), req->birth_date()));
    ASSIGN_OR_RETURN(storage::CandidateTokens candidate,
                     d_.records->TokensForCandidate(req->personal_number(), req->surname(),
                                                    req->given_name(), req->birth_date()));
    // 2. The facts, by token. 3. The decision. Held to a fixed time from here, whatever was
    // found, and a failed read too: longer for a name that plans more reads, as the request
    // alone decides.
    const FixedSpan lookup(d_.lookup_floor.pacer, LookupSpan(d_.lookup_floor, candidate));
    // A start's comparison of the index seal is waited for no longer than the call waits.
    absl::StatusOr<std::vector<storage::VettingFacts>> facts =
        d_.records->FactsForVetting(candidate, DeadlineOf(*ctx));
    VettingDecision decision =
        facts.ok() ? DecideVetting(*facts, KosovoDay(call.now())) : VettingDecision{};
    if (!lookup.Close()) d_.lookup_floor.metrics->RecordVettingLookupOverrun();
    RETURN_IF_ERROR(facts.status());
    for (const auto& id : decision.deciding_record_ids) call.event().add_record_ids(id);

    ASSIGN_OR_RETURN(const std::string check_id, storage::NewRegistryId());
    v1::VettingCertificate cert;
    cert.set_certificate_id(check_id);
    cert.set_issued_at(FormatInstant(call.now()));
    cert.set_valid_until(FormatInstant(
        call.now() + d_.certificate_validity));
    cert.set_organisation(call.caller().organisation);
    cert.set_personal_number(req->personal_number());
    cert.set_surname(req->surname());
    cert.set_given_name(req->given_name());
    cert.set_birth_date(req->birth_date());
    cert.set_position_category(req->position_category());
    cert.set_result(decision.result);
    ASSIGN_OR_RETURN(v1::SignedVettingCertificate signed_cert,
                     crypto::SignCertificate(*d_.vetting_signer, std::move(cert)));

    // The check goes into the person's history with the audit event, in one batch.
    // A REFER by a record under another number goes into that person's history too (never into
    // the reply or the event).
    call.SetSubjectResult(check_id, decision.result, std::move(decision.deciding_record_ids),
                          std::move(decision.other_people));
    RETURN_IF_ERROR(call.Commit(nullptr));

    resp->set_result(decision.result);
    resp->set_check_id(check_id);
    *resp->mutable_certificate() = std::move(signed_cert);
    // A referral leaves the employer waiting on the registry: the answer says whom to ask. It
    // depends on the code and the caller's organisation only, like the rest of the reply.
    if (decision.result == v1::VETTING_RESULT_REFER) {
      resp->set_refer_contact(call.policy().ReferContact(call.caller().organisation));
    }
    return absl::OkStatus();
  });
}

grpc::Status VettingService::GetVettingPublicKey(grpc::ServerContext* ctx,
                                                 const v1::GetVettingPublicKeyRequest* req,
                                                 v1::PublicKey* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    FillPublicKey(*d_.vetting_signer, resp);
    return absl::OkStatus();
  });
}

grpc::Status VettingService::ListChecksAboutPerson(
    grpc::ServerContext* ctx, const v1::ListChecksAboutPersonRequest* req,
    v1::ListChecksAboutPersonResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    // Its shape was checked, and it was recorded, by the gate.
    if (req->request_reference().empty()) {
      return absl::FailedPreconditionError("request_reference is required");
    }
    RETURN_IF_ERROR(
        d_.validator->ValidatePersonalNumber("personal_number", req->personal_number()));
    if (req->page_size() > kMaxHistoryPage) {
      return absl::InvalidArgumentError(absl::StrCat("page_size: 0..", kMaxHistoryPage));
    }
    const uint32_t page_size = req->page_size() == 0 ? kDefaultHistoryPage : req->page_size();
    std::optional<storage::CheckStore::HistoryPosition> after;
    if (!req->page_token().empty()) {
      storage::CheckStore::HistoryPosition position;
      if (!ParseHistoryPageToken(req->page_token(), &position)) {
        return absl::InvalidArgumentError("page_token: not a token from this service");
      }
      after = std::move(position);
    }
    ASSIGN_OR_RETURN(std::string token, d_.records->PersonalNumberToken(req->personal_number()));
    call.event().add_tokens(absl::BytesToHexString(token));
    // A result whose deciding record is gone is withheld, whatever the stored check says.
    const auto is_stored = [&](absl::string_view id) { return d_.records->IsStored(id); };
    // The whole history, a page at a time: a check is never left out for being old, however
    // many later calls named the person (each one does, refused ones too).
    ASSIGN_OR_RETURN(storage::CheckStore::HistoryPage page,
                     d_.checks->List(token, after, page_size, is_stored));
    for (auto& c : page.checks) *resp->add_checks() = std::move(c);
    if (page.next.has_value()) resp->set_next_page_token(HistoryPageToken(*page.next));
    return absl::OkStatus();
  });
}

}  // namespace registry::server
