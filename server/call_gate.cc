#include "server/call_gate.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/daily_limit_text.h"
#include "common/json_log.h"
#include "common/public_status.h"
#include "common/reference_text.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/secret_bytes.h"
#include "google/protobuf/unknown_field_set.h"
#include "registry/v1/common.pb.h"
#include "server/call_deadline.h"
#include "server/event_detail.h"
#include "server/identity.h"

namespace registry::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

using registry::v1::AuditField;

// The string in field `f` of `m`; "" when `f` is null.
std::string StringField(const Message& m, const FieldDescriptor* f) {
  return f == nullptr ? "" : m.GetReflection()->GetString(m, f);
}

// The request's Purpose, or nullptr when the rule marks none or it is unset.
const registry::v1::Purpose* PurposeOf(const Message& m, const MethodRule* rule) {
  const FieldDescriptor* f =
      rule == nullptr ? nullptr : rule->FieldOf(registry::v1::AUDIT_FIELD_PURPOSE);
  if (f == nullptr || !m.GetReflection()->HasField(m, f)) return nullptr;
  return static_cast<const registry::v1::Purpose*>(&m.GetReflection()->GetMessage(m, f));
}

// The caller's x-request-id when the log may hold it: 1..64 of [A-Za-z0-9-_], no part of it in
// personal-number shape (`validator` may be null: no such check); else a generated id, and a
// header that was sent is noted in `ev` as withheld (its length, never its text).
std::string RequestId(const grpc::ServerContextBase& ctx, const RecordValidator* validator,
                      registry::v1::AuditEvent* ev) {
  auto it = ctx.client_metadata().find("x-request-id");
  if (it != ctx.client_metadata().end()) {
    absl::string_view v(it->second.data(), it->second.size());
    bool ok = !v.empty() && v.size() <= 64;
    for (char c : v) ok = ok && (absl::ascii_isalnum(c) || c == '-' || c == '_');
    if (ok && validator != nullptr && validator->HoldsPersonalNumber(v)) ok = false;
    if (ok) return std::string(v);
    ev->add_withheld(absl::StrCat("x-request-id (", v.size(), " bytes)"));
  }
  auto random = storage::NewRegistryId();
  return random.ok() ? *std::move(random) : "";
}

// The first field of `m` (at any depth) that this registry's protos do not declare:
// INVALID_ARGUMENT naming where it is ("person: unknown field 99"), never its value. Unknown
// fields would pass every check (validation reads declared fields only), be sealed with the
// record, and be served back to every reader: data the registry does not know it holds.
absl::Status RejectUnknownFields(const Message& m, const std::string& path) {
  const google::protobuf::Reflection* r = m.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown = r->GetUnknownFields(m);
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "request" : path,
                                                   ": unknown field ", unknown.field(0).number()));
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string at = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (!f->is_repeated()) {
      RETURN_IF_ERROR(RejectUnknownFields(r->GetMessage(m, f), at));
      continue;
    }
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      RETURN_IF_ERROR(
          RejectUnknownFields(r->GetRepeatedMessage(m, f, i), absl::StrCat(at, "[", i, "]")));
    }
  }
  return absl::OkStatus();
}

// A reference or a position category pasted with a space or tab before or after it (a clerk's
// "PKR 77/2026 "): refused, never trimmed or kept. Kept, the log would hold a case no other
// event names alike; trimmed, the log would record what the caller did not send. A value of
// spaces only, or one that is not a reference even without them, is told the shape rule.
constexpr char kPaddedRule[] = "begins or ends with a space";

bool PaddedReference(absl::string_view value, bool legal_basis = false) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(value);
  return trimmed.size() != value.size() &&
         (legal_basis ? LegalBasisShaped(trimmed) : ReferenceShaped(trimmed));
}

// What the audit log and the server's log record as the actor of a call whose certificate names
// `id` ("" when it names none). An identity the policy lists is an official's, recorded as
// written whether the call is admitted or refused (a revoked or deny-listed certificate of a
// listed identity names it). Any other is whatever the caller's CA wrote, and a URI can hold
// anything, in any shape ("urn:Krasniqi-Arben-1980-05-05-pn-1234567890", or a name, a birth date
// and a number spelled as words in the registry's own spiffe://DOMAIN/ROLE/NAME), which the audit
// log would keep for years: it is recorded as kUnlistedActor, the event's withheld list giving
// its length. The detail names the certificate by its fingerprint (Handle), which the CA's
// issuance records map to its subject.
constexpr char kUnlistedActor[] = "unlisted certificate";

std::string RecordedActor(const std::string& id, const Policy& policy,
                          registry::v1::AuditEvent* ev) {
  if (id.empty() || policy.FindPrincipal(id) != nullptr) return id;
  ev->add_withheld(absl::StrCat("certificate identity (", id.size(), " bytes)"));
  return kUnlistedActor;
}

// Withdraws from `ev` all the text a caller typed, for a call whose certificate the gate refuses
// (no identity, a CA's, revoked, deny-listed, expired, unlisted...): whoever holds it is no
// official the registry answers for, and a reference-shaped reference (`kept`: the fields the
// event holds, with their lengths) or request id spells a name and a birth date as readily
// ("Krasniqi Arben born 1980-05-05"), as an unlisted URI does (RecordedActor). Each goes into
// the withheld list by its length, and the request id becomes a generated one, in the event and
// the server's log line alike. A listed principal refused by the rules after it (its role, a
// rate, a purpose) is an official whose references are recorded as for its admitted calls.
void WithholdCallerText(const grpc::ServerContextBase& ctx,
                        const std::vector<std::pair<std::string, size_t>>& kept,
                        registry::v1::AuditEvent* ev) {
  for (const auto& [field, size] : kept) {
    ev->add_withheld(absl::StrCat(field, " (", size, " bytes)"));
  }
  ev->clear_case_reference();
  ev->clear_purpose_code();
  ev->clear_consent_reference();
  ev->clear_reference();
  ev->clear_recipient();
  // The request id is the caller's when it is the header as sent (RequestId kept it).
  const auto it = ctx.client_metadata().find("x-request-id");
  if (it == ctx.client_metadata().end() ||
      ev->request_id() != absl::string_view(it->second.data(), it->second.size())) {
    return;
  }
  ev->add_withheld(absl::StrCat("x-request-id (", it->second.size(), " bytes)"));
  absl::StatusOr<std::string> random = storage::NewRegistryId();
  ev->set_request_id(random.ok() ? *std::move(random) : "");
}

const char* RoleName(registry::v1::Role r) {
  switch (r) {
    case registry::v1::ROLE_CLERK: return "clerk";
    case registry::v1::ROLE_COURT: return "court";
    case registry::v1::ROLE_VETTING: return "vetting";
    case registry::v1::ROLE_AUDITOR: return "auditor";
    case registry::v1::ROLE_ADMIN: return "admin";
    default: return "-";
  }
}

// The limit a bucket of one name is taken under: RateLimiter's per-person bucket, sized by
// rate_limit.checks_per_name_per_day.
registry::v1::RateLimit NameBucketLimit(const registry::v1::RateLimit& limit) {
  registry::v1::RateLimit name = limit;
  name.set_checks_per_person_per_day(ChecksPerNamePerDay(limit));
  return name;
}


}  // namespace


grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(s.code());
  if (IsPublicError(s)) return grpc::Status(code, std::string(s.message()));
  switch (s.code()) {
    case absl::StatusCode::kDataLoss:
      // A failed MAC or a failed checksum of the database's files, told apart only in the log
      // and by `registryd --verify_data`, which name the value or the file.
      return grpc::Status(code,
                          "stored data is damaged or failed authentication; registryd "
                          "--verify_data names what");
    case absl::StatusCode::kUnavailable:
      return grpc::Status(code, "the registry cannot record this call; try again later");
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
      // Our own messages: they name fields and rules, never values.
      return grpc::Status(code, std::string(s.message()));
    default:
      return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

void Call::SetSubjectResult(std::string check_id, registry::v1::VettingResult result,
                            std::vector<std::string> deciding_record_ids,
                            std::vector<VettingDecision::OtherPerson> also_in_history_of) {
  other_histories_ = std::move(also_in_history_of);
  subject_check_.mutable_summary()->set_check_id(std::move(check_id));
  subject_check_.mutable_summary()->set_result(result);
  subject_check_.clear_deciding_record_ids();
  for (std::string& id : deciding_record_ids) subject_check_.add_deciding_record_ids(std::move(id));
}

absl::Status Call::StageSubjectCheck(int status_code, storage::PendingWrite* w) {
  if (subject_token_.empty() || checks_ == nullptr) return absl::OkStatus();
  storage::StoredCheck check = subject_check_;
  registry::v1::CheckSummary* summary = check.mutable_summary();
  if (status_code != 0 || summary->check_id().empty()) {
    // Refused or invalid: no answer was given, so nothing decided it.
    ASSIGN_OR_RETURN(std::string check_id, storage::NewRegistryId());
    summary->set_check_id(std::move(check_id));
    summary->set_result(registry::v1::VETTING_RESULT_UNSPECIFIED);
    check.clear_deciding_record_ids();
  }
  const bool answered = status_code == 0 && !subject_check_.summary().check_id().empty();
  summary->set_organisation(caller_.organisation);
  summary->set_requester(caller_.id);
  summary->set_checked_at(FormatInstant(now_));
  summary->set_position_category(subject_position_);
  summary->set_status_code(status_code);
  RETURN_IF_ERROR(checks_->Stage(subject_token_, now_, check, w));
  // The same REFER, in the history of each person whose record under another number gave it:
  // the probe of their name is theirs to see, whatever number it was asked under. Their copy
  // names their own records only: another's (a second namesake's, the asked number's) is not
  // theirs to be named, and its erasure must not withhold their entry. Another answer is the
  // asked number's own record's, that other person's, and is copied nowhere.
  if (answered && summary->result() == registry::v1::VETTING_RESULT_REFER) {
    storage::StoredCheck copy = check;
    copy.mutable_summary()->set_asked_under_another_number(true);
    for (const VettingDecision::OtherPerson& other : other_histories_) {
      if (other.token.empty() || other.token == subject_token_) continue;
      copy.clear_deciding_record_ids();
      for (const std::string& id : other.record_ids) copy.add_deciding_record_ids(id);
      RETURN_IF_ERROR(checks_->Stage(other.token, now_, copy, w));
    }
  }
  if (took_person_limit_) {
    RETURN_IF_ERROR(
        checks_->StageLimitTake(caller_.organisation, subject_token_, now_, summary->check_id(), w));
  }
  for (const std::string& name_token : name_limit_tokens_) {
    RETURN_IF_ERROR(checks_->StageLimitTake(caller_.organisation, name_token, now_,
                                            summary->check_id(), w));
  }
  // The consent reference is the candidate's once a check under it was answered: the
  // organisation's later check of another candidate under it is refused (CallGate::ClaimConsent).
  if (answered && !consent_to_bind_.empty()) {
    RETURN_IF_ERROR(
        checks_->StageConsent(caller_.organisation, consent_to_bind_, subject_token_, w));
  }
  // A REFER given is kept for the alert on many of them (row 48), which a restart must not reset.
  if (summary->result() == registry::v1::VETTING_RESULT_REFER) {
    RETURN_IF_ERROR(checks_->StageRefer(caller_.organisation, now_, summary->check_id(), w));
  }
  // The event names the entry it is written with (the data check pairs them).
  event_.set_check_id(summary->check_id());
  return absl::OkStatus();
}

namespace {

// Why an audit event could not be written (a full disk; an error the database cannot resume from
// without a restart, which its words say), in the server's log, so that the operator sees it
// while registryd runs and not only at its shutdown. At most once a minute while it lasts: every
// call meets it. The storage's words name files and codes, never what a call carried.
// `what` is what went undone for want of its event: a caller's call, or a system job's change.
void LogStorageFailure(const absl::Status& failed, absl::string_view what) {
  static std::atomic<int64_t> last_logged{0};
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  int64_t last = last_logged.load();
  if (now - last < 60 || !last_logged.compare_exchange_strong(last, now)) return;
  LogLine("error", absl::StrCat("an audit event could not be written; ", what))
      .Str("cause", failed.message())
      .Write();
}

// What a call is told when its audit event could not be written: it gets no answer. Damage
// in the database's files is DATA_LOSS, which no client retries and a restart does not mend;
// any other failure is UNAVAILABLE, which may pass.
absl::Status AuditUnwritable(const absl::Status& failed,
                             absl::string_view what = "the call was refused") {
  LogStorageFailure(failed, what);
  if (absl::IsDataLoss(failed)) {
    return PublicError(absl::DataLossError(
        "the registry's stored data is damaged and it answers no call until an operator has "
        "checked it"));
  }
  return absl::UnavailableError("audit log unavailable");
}

// The mark of a refusal that guarantees that nothing was done: the call's own audit event could
// not be written, and with it went the only change the call could make (Call::Commit writes the
// change with the event), or the call was refused before its handler ran. That holds for a
// handler that ran and answered without a change as well (a read, a refusal of its own): its
// answer is withheld with its event. The caller is told so in the trailing metadata key
// kNotDoneKey ("1"), which registry-cli reads as "nothing was done; try again" instead of
// "whether it was carried out is not known". Set only where it is true: not for a method whose
// handler may change something beside its call's event (ActsBeyondItsEvent).
constexpr char kNothingDoneUrl[] = "type.registry.kjc/registry.server.NothingDone";
constexpr char kNotDoneKey[] = "registry-not-done";

absl::Status MarkNothingDone(absl::Status status) {
  status.SetPayload(kNothingDoneUrl, absl::Cord("1"));
  return status;
}

bool MarkedNothingDone(const absl::Status& status) {
  return status.GetPayload(kNothingDoneUrl).has_value();
}

// What the caller is told so: the refusal for want of its audit event.
bool NothingDone(const absl::Status& status) {
  return absl::IsUnavailable(status) && MarkedNothingDone(status);
}

// The methods whose handler may change something that does not go with its call's event, and
// may stand when that event cannot be written: an expunge stays in the erasure ledger, written
// before its commit, and is finished by the next erasure or start (Eraser); a key rotation
// rewraps the keys under system events of its own and rewrites the key file. Every other handler
// changes the registry only through Call::Commit, in the one batch with its event.
bool ActsBeyondItsEvent(absl::string_view method) {
  return method == "/registry.v1.RecordService/ExpungeRecord" ||
         method == "/registry.v1.AdminService/RotateKeys";
}

}  // namespace

absl::Status Call::Commit(storage::PendingWrite* write) {
  if (committed_) return absl::InternalError("audit event committed twice");
  event_.set_outcome(0);
  // A change needs room beyond the space kept for audit events: on a filling disk changes are
  // refused (and that refusal audited) while reads, which only add their event, go on.
  // Each failure here leaves the change unwritten, as the event is (MarkNothingDone).
  if (write != nullptr) {
    if (absl::Status room = log_->RoomForChange(); !room.ok()) return MarkNothingDone(room);
  }
  storage::PendingWrite subject_only;
  if (write == nullptr && !subject_token_.empty()) write = &subject_only;
  if (write != nullptr) {
    if (absl::Status staged = StageSubjectCheck(0, write); !staged.ok()) {
      return MarkNothingDone(staged);
    }
  }
  if (write != nullptr) {
    for (const auto& id : write->record_ids()) {
      bool seen = false;
      for (const auto& have : event_.record_ids()) seen = seen || have == id;
      if (!seen) event_.add_record_ids(id);
    }
    for (const auto& t : write->tokens()) event_.add_tokens(t);
  }
  auto seq = log_->Append(event_, write);
  // The change was to be written with the event: neither was.
  if (!seq.ok()) return MarkNothingDone(AuditUnwritable(seq.status()));
  committed_ = true;
  sequence_ = *seq;
  return absl::OkStatus();
}

absl::Status CallGate::IdentifyCaller(const grpc::ServerContextBase& ctx, const Policy& policy,
                                      KnownCaller* who) {
  const std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  who->refusal = CertificateRefusal::kNoCertificate;
  if (auth == nullptr) return absl::UnauthenticatedError("no client certificate");
  ASSIGN_OR_RETURN(std::shared_ptr<const ClientCertificate> cert,
                   PeerCertificate(*auth, certificates_));
  who->fingerprint = cert->fingerprint;
  who->refusal = CertificateRefusal::kNotOneIdentity;
  absl::StatusOr<std::string> id = IdentityOf(*cert);
  if (!id.ok()) {
    if (cert->uri_sans.size() == 1 && cert->uri_sans.front().size() > kMaxIdentityBytes) {
      who->refusal = CertificateRefusal::kIdentityTooLong;
    }
    return id.status();
  }
  who->id = *std::move(id);
  // The handshake verified the chain only: it takes a CA's certificate, and one without
  // extendedKeyUsage, as a client's. The identity is read first, so that the event names whom
  // such a certificate claims to be.
  who->refusal = CertificateRefusal::kCaCertificate;
  RETURN_IF_ERROR(NotACaCertificate(*cert));
  who->refusal = CertificateRefusal::kNoClientAuth;
  RETURN_IF_ERROR(ForClientAuth(*cert));
  // Real time, as the handshake's (RegistryServerOptions::revocation_clock): a connection, or a
  // TLS session resumed without a full handshake, can outlive its certificate.
  const Clock* clock = deps_.revocation_clock != nullptr ? deps_.revocation_clock : deps_.clock;
  const absl::Time now = clock->Now();
  // The issuer: a client CA the gate took whose key verifies the certificate's signature (the
  // handshake's trust is not relied upon: revocation.h), and with CRLs, that CA's CRL.
  if (deps_.revocation != nullptr) {
    switch (deps_.revocation->Check(*cert, now)) {
      case Revocation::Verdict::kGood:
        break;
      case Revocation::Verdict::kRevoked:
        who->refusal = CertificateRefusal::kRevoked;
        return absl::UnauthenticatedError("client certificate is revoked");
      case Revocation::Verdict::kNoCurrentCrl:
        who->refusal = CertificateRefusal::kNoCurrentCrl;
        return absl::UnauthenticatedError(
            "no current revocation list for the certificate's issuer");
      case Revocation::Verdict::kIssuerNotClientCa:
        who->refusal = CertificateRefusal::kIssuerNotClientCa;
        return absl::UnauthenticatedError(
            "the certificate's issuer is not a client CA of the registry (unknown or withdrawn)");
    }
  }
  if (now < cert->not_before || now > cert->not_after) {
    who->refusal = CertificateRefusal::kOutOfDate;
    return absl::UnauthenticatedError(now > cert->not_after ? "client certificate has expired"
                                                            : "client certificate is not yet valid");
  }
  // The listed fingerprint, or an equally valid re-encoding of the same certificate (identity.h).
  bool denied = policy.CertificateDenied(cert->fingerprint);
  for (const std::string& twin : cert->twin_fingerprints) {
    denied = denied || policy.CertificateDenied(twin);
  }
  if (denied) {
    who->refusal = CertificateRefusal::kDenyListed;
    // Said apart from a CRL's revocation: the operator who looks for it in the CRL would not find
    // it there.
    return absl::UnauthenticatedError(
        "client certificate is revoked: the access policy's deny list names it");
  }
  who->principal = policy.FindPrincipal(who->id);
  if (who->principal == nullptr) {
    who->refusal = CertificateRefusal::kNotInPolicy;
    // What to do, for the holder, who cannot change the policy: the office that keeps it adds
    // the identity. The identity itself is not said (docs/security.md, row 97).
    return absl::PermissionDeniedError(
        "your certificate's identity may not use the registry: ask the registry office to add "
        "it to the access policy (caller is not in the access policy)");
  }
  return absl::OkStatus();
}

absl::Status CallGate::CheckCaller(const grpc::ServerContextBase& ctx) {
  KnownCaller who;
  absl::Status identified = IdentifyCaller(ctx, *deps_.policies->Current(), &who);
  if (!identified.ok() && deps_.metrics != nullptr) {
    deps_.metrics->RecordRefusedCertificate(who.refusal);
  }
  return identified;
}

absl::Status CallGate::Admit(const grpc::ServerContextBase& ctx, const Message* request,
                             Call* call) {
  registry::v1::AuditEvent& ev = call->event_;
  const MethodRule* rule = call->rule_;
  // Audit what the request states, whatever happens next, and only in a shape the log holds: a
  // record id when it has the id shape, a reference when it is reference-shaped. Anything else
  // is withheld: the event records the field and its length, never the text. Free text
  // (reasons, names) never enters the log. Which fields these are, the proto says
  // (access.proto's AuditField); a method without a rule has none and is refused below.
  // A reference that holds a personal number is withheld too: the log names people by keyed
  // tokens only, whatever a client puts in its references.
  // A purpose code is not a reference the caller makes up but a choice from the policy's closed
  // list: one outside it is caller text of any kind (a name sent as a code is reference-shaped),
  // so it is withheld whoever calls and whatever the outcome. This runs before the caller is
  // known, so it asks the policy, never the principal: an unknown caller's code is judged alike.
  const Policy& policy = *call->policy_;
  std::string misshapen;  // the first reference field the log could not hold, and why
  std::string misshapen_rule;
  // The references the event holds (field, length), withdrawn if the certificate is refused.
  std::vector<std::pair<std::string, size_t>> kept;
  // `listed`: false for a value the log may not hold although reference-shaped (a purpose code
  // outside the policy). It is withheld, not refused here: whether the call may go on with it
  // is the purpose rule's (step 5), which refuses it for courts.
  const auto keep = [&](absl::string_view field, const std::string& value,
                        void (registry::v1::AuditEvent::*set)(const std::string&),
                        bool listed = true) {
    if (value.empty()) return;
    // An expunction's legal basis cites the law in the clerk's words, Albanian or Serbian: it
    // takes their letters besides the reference's alphabet (LegalBasisShaped), and nothing else
    // a reference refuses. Every other reference stays ASCII.
    const bool legal_basis = field == "legal_basis";
    const bool padded = PaddedReference(value, legal_basis);
    const bool shaped =
        (legal_basis ? LegalBasisShaped(value) : ReferenceShaped(value)) && !padded;
    const absl::string_view text = padded ? absl::StripAsciiWhitespace(value) : value;
    const bool personal = (shaped || padded) && deps_.validator != nullptr &&
                          deps_.validator->HoldsPersonalNumber(text);
    if (shaped && !personal && listed) {
      (ev.*set)(value);
      kept.emplace_back(field, value.size());
      return;
    }
    ev.add_withheld(absl::StrCat(field, " (", value.size(), " bytes)"));
    if (misshapen.empty() && (!shaped || personal)) {
      misshapen = std::string(field);
      misshapen_rule = personal ? "must not hold a personal number"
                       : padded      ? kPaddedRule
                       : legal_basis ? LegalBasisRuleFor(value)
                                     : ReferenceRuleFor(value);
    }
  };
  using Event = registry::v1::AuditEvent;
  for (const MethodRule::Field& f : rule != nullptr && request != nullptr
                                        ? rule->fields
                                        : std::vector<MethodRule::Field>()) {
    const std::string& name = f.field->name();
    switch (f.kind) {
      case registry::v1::AUDIT_FIELD_RECORD_ID: {
        const std::string record_id = StringField(*request, f.field);
        if (storage::IsRegistryId(record_id)) {
          ev.add_record_ids(record_id);
        } else if (!record_id.empty()) {
          ev.add_withheld(absl::StrCat(name, " (", record_id.size(), " bytes)"));
        }
        break;
      }
      case registry::v1::AUDIT_FIELD_PURPOSE:
        if (request->GetReflection()->HasField(*request, f.field)) {
          const auto& purpose = static_cast<const registry::v1::Purpose&>(
              request->GetReflection()->GetMessage(*request, f.field));
          keep(absl::StrCat(name, ".case_reference"), purpose.case_reference(),
               &Event::set_case_reference);
          keep(absl::StrCat(name, ".purpose_code"), purpose.purpose_code(),
               &Event::set_purpose_code, policy.PurposeAllowed(purpose.purpose_code()));
        }
        break;
      case registry::v1::AUDIT_FIELD_CONSENT_REFERENCE:
        keep(name, StringField(*request, f.field), &Event::set_consent_reference);
        break;
      case registry::v1::AUDIT_FIELD_REFERENCE:
        keep(name, StringField(*request, f.field), &Event::set_reference);
        break;
      case registry::v1::AUDIT_FIELD_RECIPIENT:
        keep(name, StringField(*request, f.field), &Event::set_recipient);
        break;
      case registry::v1::AUDIT_FIELD_DRY_RUN:
        // A call that asked to change nothing says so, so that a reader of the log (or of the
        // server's own log lines) does not take a validation run for the import it tried out.
        if (request->GetReflection()->GetBool(*request, f.field)) ev.set_dry_run(true);
        break;
      default:
        break;  // the subject and position: see Run and the consent rule below
    }
  }

  // 1. Authentication (the TLS layer verified the chain; we read the identity and check
  // revocation and the deny list), then the principal.
  KnownCaller who;
  absl::Status identified = IdentifyCaller(ctx, policy, &who);
  call->fingerprint_ = who.fingerprint;
  if (!identified.ok()) WithholdCallerText(ctx, kept, &ev);
  const std::string actor = RecordedActor(who.id, policy, &ev);
  call->caller_.id = actor;
  ev.set_actor(actor);
  if (!identified.ok()) {
    call->unknown_caller_ = true;
    call->refusal_ = who.refusal;
    return identified;
  }

  // 2. Authorization: the principal's role, then the method's rule.
  const registry::v1::Principal* principal = who.principal;
  call->caller_.role = principal->role();
  call->caller_.organisation = principal->organisation();
  ev.set_role(principal->role());
  ev.set_organisation(principal->organisation());
  if (rule == nullptr && request == nullptr) {
    // A method of no service: the caller is known, and the refusal is RefuseUnread's.
    return absl::OkStatus();
  }
  if (rule == nullptr || rule->roles.count(principal->role()) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(principal->role()), " may not call this method"));
  }

  // 3. Rate limit, per organisation, for vetting.
  if (principal->role() == registry::v1::ROLE_VETTING) {
    const registry::v1::Organisation* org = policy.FindOrganisation(principal->organisation());
    if (org == nullptr || !deps_.limiter->Allow(principal->organisation(), org->rate_limit())) {
      if (deps_.metrics != nullptr) deps_.metrics->RecordRateLimited();
      return absl::ResourceExhaustedError("rate limit of the organisation exceeded");
    }
    call->vetting_org_ = org;
  }

  // A request that was never read states nothing more to check.
  if (request == nullptr) return absl::OkStatus();

  // 4. A reference the log could not hold is refused, never dropped.
  if (!misshapen.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(misshapen, ": ", misshapen_rule));
  }

  // 5. Purpose binding.
  if (rule->court_needs_purpose && principal->role() == registry::v1::ROLE_COURT) {
    const auto* purpose = PurposeOf(*request, rule);
    if (purpose == nullptr || purpose->case_reference().empty()) {
      return absl::FailedPreconditionError("purpose.case_reference is required");
    }
    if (purpose->purpose_code().empty()) {
      return absl::FailedPreconditionError("purpose.purpose_code is required");
    }
    if (!policy.PurposeAllowed(purpose->purpose_code())) {
      return absl::InvalidArgumentError("purpose.purpose_code: not an allowed purpose code");
    }
  }
  if (rule->needs_consent) {
    const FieldDescriptor* consent = rule->FieldOf(registry::v1::AUDIT_FIELD_CONSENT_REFERENCE);
    if (StringField(*request, consent).empty()) {
      return absl::FailedPreconditionError(absl::StrCat(consent->name(), " is required"));
    }
    const FieldDescriptor* position = rule->FieldOf(registry::v1::AUDIT_FIELD_POSITION);
    const std::string category = StringField(*request, position);
    if (category.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(position->name(), " is required"));
    }
    // Refused as a reference with a space around it is (kPaddedRule), not as a category the
    // organisation may not check for ("teacher " is no other organisation's category): the
    // answer depends on what the employer typed only, as a consent reference's does, and comes
    // before anything about the person is read.
    if (PaddedReference(category)) {
      return absl::InvalidArgumentError(absl::StrCat(position->name(), ": ", kPaddedRule));
    }
    if (!policy.PositionAllowed(principal->organisation(), category)) {
      return absl::FailedPreconditionError(
          absl::StrCat(position->name(), ": not allowed for this organisation"));
    }
  }
  // 5b. Bad input first: a candidate the handler would refuse is refused here, naming the field,
  // before the consent reference is bound to them, and takes nothing from the limits below (it
  // reads nothing about the person).
  if (rule->names_subject && call->vetting_org_ != nullptr && deps_.validator != nullptr) {
    const FieldDescriptor* surname = rule->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT_SURNAME);
    const FieldDescriptor* given = rule->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT_GIVEN_NAME);
    const FieldDescriptor* born = rule->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT_BIRTH_DATE);
    if (surname != nullptr && given != nullptr && born != nullptr) {
      RETURN_IF_ERROR(deps_.validator->ValidateCandidate(
          StringField(*request, rule->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT)),
          StringField(*request, surname), StringField(*request, given),
          StringField(*request, born)));
    }
  }
  // 5c. A consent is one candidate's: a reference the organisation gave for another candidate
  // is refused before anything about either person is read, and takes nothing from the limits.
  if (rule->needs_consent && rule->names_subject && call->vetting_org_ != nullptr &&
      !call->subject_token_.empty() && deps_.checks != nullptr) {
    RETURN_IF_ERROR(ClaimConsent(
        call, StringField(*request, rule->FieldOf(registry::v1::AUDIT_FIELD_CONSENT_REFERENCE))));
  }
  // 6. A few questions a day about one person per organisation, whatever its overall rate: only
  // for calls that passed every other rule, and before anything about the person is read, so the
  // refusal says nothing about them.
  if (rule->names_subject && call->vetting_org_ != nullptr && !call->subject_token_.empty()) {
    // The limiter counts from the durable record a bucket it does not hold (after a restart).
    const std::string& organisation = principal->organisation();
    const std::string& token = call->subject_token_;
    const storage::CheckStore* checks = deps_.checks;
    ASSIGN_OR_RETURN(
        const bool allowed,
        deps_.limiter->AllowPersonCheck(organisation, token, call->vetting_org_->rate_limit(),
                                        [&](absl::Time since) -> absl::StatusOr<uint32_t> {
                                          if (checks == nullptr) return 0;
                                          return checks->CountLimitTakes(organisation, token,
                                                                         since);
                                        }));
    if (!allowed) {
      if (deps_.metrics != nullptr) deps_.metrics->RecordRateLimited();
      return absl::ResourceExhaustedError(absl::StrCat(
          kNumberLimitReached, " is reached; it refills within 24 hours of the checks made"));
    }
    call->took_person_limit_ = true;
    // And a bucket of one name (surname and given name, folded as the name index folds them,
    // without the birth date), whatever numbers and dates it is asked with, its own size
    // (rate_limit.checks_per_name_per_day: candidates who share a common name count together):
    // every check reads the records that name the candidate under another number (row 100), and
    // fresh numbers must not make that a search for a registered person's birth date. A check
    // this bucket refuses is no check of the number: what it took from the number's is given
    // back.
    const FieldDescriptor* surname = rule->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT_SURNAME);
    const FieldDescriptor* given = rule->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT_GIVEN_NAME);
    if (surname != nullptr && given != nullptr && deps_.records != nullptr) {
      const registry::v1::RateLimit name_limit =
          NameBucketLimit(call->vetting_org_->rate_limit());
      // Each bucket the name falls in (as typed, and as it reads by eye when that differs) is
      // taken from; a refusal by any gives back what the others gave.
      absl::StatusOr<std::vector<std::string>> name_tokens = deps_.records->NameLimitTokens(
          StringField(*request, surname), StringField(*request, given));
      absl::StatusOr<bool> name_allowed = false;
      if (!name_tokens.ok()) name_allowed = name_tokens.status();
      if (name_tokens.ok()) {
        for (const std::string& name_token : *name_tokens) {
          name_allowed = deps_.limiter->AllowPersonCheck(
              organisation, name_token, name_limit,
              [&](absl::Time since) -> absl::StatusOr<uint32_t> {
                if (checks == nullptr) return 0;
                return checks->CountLimitTakes(organisation, name_token, since);
              });
          if (!name_allowed.ok() || !*name_allowed) break;
          call->name_limit_tokens_.push_back(name_token);
        }
      }
      if (!name_allowed.ok() || !*name_allowed) {
        GiveBackPersonLimits(call);
        // A name that cannot be normalised was validated above: not expected.
        if (!name_allowed.ok()) return name_allowed.status();
        if (deps_.metrics != nullptr) deps_.metrics->RecordRateLimited();
        return absl::ResourceExhaustedError(absl::StrCat(
            kNameLimitReached, " of ", ChecksPerNamePerDay(call->vetting_org_->rate_limit()),
            " checks of one surname and given name, whoever the candidates are, is reached; it "
            "refills within 24 hours of the checks made"));
      }
    }
  }
  // Who receives what is disclosed: the recipient the request names (an export), else the
  // caller's organisation.
  if (rule->discloses && ev.recipient().empty()) ev.set_recipient(principal->organisation());
  return absl::OkStatus();
}


absl::Status Call::StillAdmitted() { return readmit_ ? readmit_() : absl::OkStatus(); }

absl::Status CallGate::Readmit(const grpc::ServerContextBase& ctx, const Call& call) {
  const std::shared_ptr<const Policy> policy = deps_.policies->Current();
  KnownCaller who;
  RETURN_IF_ERROR(IdentifyCaller(ctx, *policy, &who));
  const registry::v1::Role role = who.principal->role();
  if (call.rule_ == nullptr || call.rule_->roles.count(role) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(role), " may not call this method"));
  }
  return absl::OkStatus();
}

absl::Status CallGate::ClaimConsent(Call* call, const std::string& consent) {
  const std::string& organisation = call->caller_.organisation;
  const std::string& token = call->subject_token_;
  const std::string claim_key = absl::StrCat(organisation, absl::string_view("\0", 1), consent);
  const auto refused = [] {
    return absl::FailedPreconditionError(
        "consent_reference: already given for another candidate: each candidate's consent has a "
        "reference of its own");
  };
  // The reference's stripe: every call under it takes the same lock, held across the read of
  // its stored binding and the claim, so that no other call under it comes in between.
  ConsentStripe* stripe =
      &consent_stripes_[absl::Hash<std::string>{}(claim_key) % kConsentStripes];
  absl::MutexLock lock(&stripe->mu);
  // The stored binding: one point read of the organisation's own row, whoever the candidates
  // are and whatever the registry holds about them.
  ASSIGN_OR_RETURN(const std::optional<std::string> bound,
                   deps_.checks->ConsentCandidate(organisation, consent));
  if (bound.has_value() && *bound != token) return refused();
  auto [at, added] = stripe->claims.try_emplace(claim_key);
  if (!added && at->second.token != token) return refused();
  if (added) at->second.token = token;
  ++at->second.calls;
  if (!bound.has_value()) call->consent_to_bind_ = consent;
  call->release_consent_ = [stripe, claim_key] {
    absl::MutexLock lock(&stripe->mu);
    const auto it = stripe->claims.find(claim_key);
    if (it != stripe->claims.end() && --it->second.calls <= 0) stripe->claims.erase(it);
  };
  return absl::OkStatus();
}

void CallGate::GiveBackPersonLimits(Call* call) {
  if (call->vetting_org_ == nullptr || deps_.limiter == nullptr) return;
  const std::string& organisation = call->caller_.organisation;
  const registry::v1::RateLimit& limit = call->vetting_org_->rate_limit();
  if (call->took_person_limit_) {
    deps_.limiter->GiveBackPersonCheck(organisation, call->subject_token_, limit);
    call->took_person_limit_ = false;
  }
  for (const std::string& name_token : call->name_limit_tokens_) {
    deps_.limiter->GiveBackPersonCheck(organisation, name_token, NameBucketLimit(limit));
  }
  call->name_limit_tokens_.clear();
}

std::string CallGate::SubjectToken(absl::string_view personal_number) const {
  if (deps_.validator == nullptr || deps_.records == nullptr) return "";
  if (!deps_.validator->ValidatePersonalNumber("personal_number", personal_number).ok()) return "";
  absl::StatusOr<std::string> token = deps_.records->PersonalNumberToken(personal_number);
  return token.ok() ? *std::move(token) : "";
}

grpc::Status CallGate::Run(grpc::ServerContext* ctx, const Message& request,
                           const std::function<absl::Status(Call&)>& handler,
                           const std::function<void()>& clear) {
  const MethodRule* rule = FindMethodRuleByRequest(request.GetDescriptor());
  // The method as gRPC names it; a request type no rule takes is named by its type (and denied).
  const std::string method =
      rule != nullptr ? rule->method : absl::StrCat("?", request.GetDescriptor()->full_name());
  return Handle(*ctx, rule, method, &request, "", handler, clear);
}

grpc::Status CallGate::RefuseUnread(const grpc::ServerContextBase& ctx, const MethodRule* rule,
                                    const absl::Status& why, absl::string_view subject) {
  // gRPC does not tell which name a call to a method of no service asked for.
  const std::string action = rule != nullptr ? rule->method : "?unknown-method";
  return Handle(ctx, rule, action, nullptr, subject, [&why](Call&) { return why; }, [] {});
}

grpc::Status CallGate::Handle(const grpc::ServerContextBase& ctx, const MethodRule* rule,
                              const std::string& method, const Message* request,
                              absl::string_view unread_subject,
                              const std::function<absl::Status(Call&)>& handler,
                              const std::function<void()>& clear) {
  const absl::Time start = deps_.clock->Now();
  Call call(deps_.audit, deps_.checks, rule, deps_.policies->Current(), start);
  call.event_.set_action(method);
  call.event_.set_request_id(RequestId(ctx, deps_.validator, &call.event_));
  if (call.rule_ != nullptr && call.rule_->names_subject) {
    // First, whatever happens next: a probe about a person is recorded against that person.
    call.subject_token_ = SubjectToken(
        request != nullptr
            ? StringField(*request, call.rule_->FieldOf(registry::v1::AUDIT_FIELD_SUBJECT))
            : std::string(unread_subject));
  }

  absl::Status status = Admit(ctx, request, &call);
  // Whether the handler ran: until it has, a call whose event cannot be written did nothing. A
  // request never read (RefuseUnread) reaches no handler.
  bool handled = false;
  // The event names the person's token only for a caller whose role may ask about people this
  // way. Anyone else (an auditor, who reads the log; an unknown or revoked certificate) could
  // otherwise have the registry compute a chosen number's token into the log, and then follow
  // that person through every event that names it. The person's history still keeps the probe.
  if (!call.subject_token_.empty() && !call.unknown_caller_ &&
      call.rule_->roles.count(call.caller_.role) > 0) {
    call.event_.add_tokens(absl::BytesToHexString(call.subject_token_));
  }
  if (!call.subject_token_.empty() && request != nullptr) {
    // The person's history names the position only when it is one of the caller's organisation's
    // categories, a word of the policy's closed list: any other text is the caller's, which the
    // history must not hold (a refused check could put a name or another person's number there).
    const std::string position =
        StringField(*request, call.rule_->FieldOf(registry::v1::AUDIT_FIELD_POSITION));
    if (!call.caller_.organisation.empty() &&
        call.policy_->PositionAllowed(call.caller_.organisation, position)) {
      call.subject_position_ = position;
    }
  }
  if (status.ok() && request != nullptr) status = RejectUnknownFields(*request, "");
  // A call whose deadline has passed was answered DEADLINE_EXCEEDED by gRPC, and nothing its
  // handler did would reach the caller: it is refused before the handler runs, so that no record
  // is written and no search or vetting answer is audited as given, and its event states the code
  // the caller got. Last, just before the handler: the event names the caller, a refusal of the
  // gate's own (certificate, role, rate, reference) is audited as itself, as for a request never
  // read (whose passed deadline the decode guard states), the call counts against its
  // organisation's rates as any call made, and a deadline that passes during those checks is
  // caught too. A deadline that passes while the handler runs changes nothing: its work is done
  // and audited with its outcome, as the registry cannot know whether the reply reached the
  // caller.
  if (status.ok() && request != nullptr && DeadlinePassed(ctx)) {
    status = PublicError(
        absl::DeadlineExceededError("the call's deadline passed before it was served"));
  }
  if (status.ok()) {
    call.readmit_ = [this, &ctx, &call, next = absl::InfinitePast()]() mutable {
      const absl::Time now = deps_.clock->Now();
      if (now < next) return absl::OkStatus();
      next = now + absl::Seconds(1);
      return Readmit(ctx, call);
    };
    status = handler(call);
    handled = request != nullptr;
  }
  if (!status.ok()) clear();
  // Bad input takes nothing from the daily limits on checks of one person (rule 6): it was refused
  // before anything about the person was read (the handler validates first; an unknown field and
  // a passed deadline are refused above), and a few typos must not lock an organisation out of a
  // candidate for a day. Its place in the person's history stays.
  if (status.code() == absl::StatusCode::kInvalidArgument ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    GiveBackPersonLimits(&call);
  }
  if (call.unknown_caller_ && deps_.metrics != nullptr) {
    deps_.metrics->RecordRefusedCertificate(call.refusal_);
  }

  if (call.unknown_caller_ && deps_.refusals != nullptr &&
      !deps_.refusals->ShouldAudit(call.fingerprint_, status.code())) {
    // Past its certificate's rate: the same refusal, counted for the next summary event instead
    // of an event (and a log line) of its own.
    if (deps_.metrics != nullptr) {
      deps_.metrics->RecordCall(method, status.code(), deps_.clock->Now() - start);
    }
    return ToGrpcStatus(status);
  }

  // Whether the call is known to have changed nothing, should its event not be written.
  bool nothing_done = false;
  if (!call.committed()) {
    // Refused before its handler ran, or its change goes with the event that was not written.
    nothing_done = !handled || !ActsBeyondItsEvent(method);
    call.event_.set_outcome(static_cast<int>(status.code()));
    // An id that names no stored record is only what the caller typed, and 32 hex digits can
    // spell a personal number: the event says an id was given, not which. A call that failed
    // (refused before its handler ran, too) keeps only the ids of stored records; NOT_FOUND
    // names none.
    if (!status.ok()) {
      // Nothing was disclosed: no recipient (audit.proto), so that disclosures counted by
      // recipient are disclosures.
      call.event_.clear_recipient();
      std::vector<std::string> stored;
      for (const std::string& id : call.event_.record_ids()) {
        if (status.code() != absl::StatusCode::kNotFound && deps_.records != nullptr) {
          const absl::StatusOr<bool> is_stored = deps_.records->IsStored(id);
          // A head that fails authentication is a stored record's, damaged.
          if (!is_stored.ok() || *is_stored) {
            stored.push_back(id);
            continue;
          }
        }
        call.event_.add_withheld(absl::StrCat("record id (", id.size(), " bytes, no such record)"));
      }
      call.event_.clear_record_ids();
      for (std::string& id : stored) call.event_.add_record_ids(std::move(id));
    }
    if (status.code() == absl::StatusCode::kInvalidArgument ||
        status.code() == absl::StatusCode::kFailedPrecondition) {
      call.event_.set_detail(RefusalForTheLog(status.message()));
    }
    if (call.unknown_caller_) {
      // The actor is the listed identity the certificate claims (or kUnlistedActor), not an
      // established caller: the detail says why it was refused and which certificate it was, so
      // that an auditor tells a revoked or deny-listed certificate naming a clerk from that
      // clerk's own calls.
      call.event_.set_detail(absl::StrCat(
          "certificate refused: ", CertificateRefusalName(call.refusal_),
          call.fingerprint_.empty() ? "" : absl::StrCat("; sha256 ", call.fingerprint_)));
    }
    storage::PendingWrite subject_check;
    absl::Status staged = call.StageSubjectCheck(static_cast<int>(status.code()), &subject_check);
    if (!staged.ok()) {
      // Without its place in the person's history the call still gets its event, and no answer.
      clear();
      status = absl::UnavailableError("audit log unavailable");
      if (nothing_done) status = MarkNothingDone(std::move(status));
      subject_check = storage::PendingWrite();
      call.event_.clear_check_id();
      call.event_.set_outcome(static_cast<int>(status.code()));
      // Its limit rows went with the check: what it took from the daily limits is given back,
      // as a restarted registryd, counting the rows, would not count it either.
      GiveBackPersonLimits(&call);
    }
    auto seq = deps_.audit->Append(call.event_, &subject_check);
    if (!seq.ok()) {
      // Fail closed: without its audit event, the call has no answer.
      clear();
      status = AuditUnwritable(seq.status());
      if (nothing_done) status = MarkNothingDone(std::move(status));
      // Nor does it take from the daily limits on checks of the person or the name: its limit
      // rows were to be written with the event, and a check nothing records is no check.
      GiveBackPersonLimits(&call);
    } else {
      call.sequence_ = *seq;
      call.committed_ = true;
    }
  } else if (!status.ok()) {
    // The event went out before the reply did (a stream commits it before its first message);
    // the call then ended otherwise. The log records the outcome it actually had.
    registry::v1::AuditEvent completion = call.event_;
    completion.set_outcome(static_cast<int>(status.code()));
    completion.set_reference(absl::StrCat("outcome of event ", call.sequence_));
    completion.clear_detail();
    const absl::StatusOr<uint64_t> written = deps_.audit->Append(std::move(completion), nullptr);
    if (!written.ok()) status = AuditUnwritable(written.status());
  }
  if (status.ok() && call.vetting_org_ != nullptr &&
      call.subject_check_.summary().result() == registry::v1::VETTING_RESULT_REFER) {
    // Counted after the reply: the alert's event must not make this answer slower than another.
    auto watch = [this, org = *call.vetting_org_,
                  check_id = call.subject_check_.summary().check_id()] {
      WatchRefers(org, check_id);
    };
    if (deps_.after_reply) {
      deps_.after_reply(std::move(watch));
    } else {
      worker_->Post(std::move(watch));
    }
  }
  const absl::Duration elapsed = deps_.clock->Now() - start;
  if (deps_.metrics != nullptr) deps_.metrics->RecordCall(method, status.code(), elapsed);
  if (deps_.log_calls) LogCall(call, status, elapsed);
  if (nothing_done && NothingDone(status)) {
    // Every caller's context is a mutable one, taken as const by Handle only because nothing
    // else here changes it.
    const_cast<grpc::ServerContextBase&>(ctx).AddTrailingMetadata(kNotDoneKey, "1");
  }
  return ToGrpcStatus(status);
}

CallGate::CallGate(Deps deps) : deps_(std::move(deps)) {
  if (!deps_.after_reply) worker_ = std::make_unique<SerialWorker>();
}

CallGate::~CallGate() = default;

void CallGate::AwaitAfterReplyWork() {
  if (worker_ != nullptr) worker_->AwaitIdle();
}

void CallGate::WatchRefers(const registry::v1::Organisation& org, absl::string_view check_id) {
  const storage::CheckStore* checks = deps_.checks;
  const absl::StatusOr<bool> alert = deps_.limiter->CountRefer(
      org.id(), org.rate_limit(),
      [&](absl::Time since, absl::Time until) -> absl::StatusOr<std::vector<absl::Time>> {
        if (checks == nullptr) return std::vector<absl::Time>();
        return checks->RefersBetween(org.id(), since, until, check_id);
      });
  if (!alert.ok()) {
    // The answer was given and audited; only the count is unknown.
    LogLine("error", "cannot read an organisation's earlier REFER answers")
        .Str("org", org.id())
        .Str("detail", alert.status().message())
        .Write();
    return;
  }
  if (!*alert) return;
  // The answer was given and audited; the alert is an event of its own, naming the organisation
  // and nothing of the person.
  const uint32_t refers = RefersPerDayAlert(org.rate_limit());
  registry::v1::AuditEvent event;
  event.set_organisation(org.id());
  event.set_reference(absl::StrCat(refers, " REFER answers within 24 hours"));
  const absl::StatusOr<uint64_t> seq =
      CommitSystemEvent("gate", "many-refers", std::move(event), nullptr);
  if (deps_.metrics != nullptr) deps_.metrics->RecordReferAlert();
  LogLine line("warning", "many REFER answers to one vetting organisation");
  line.Str("org", org.id()).Int("refers", refers);
  if (seq.ok()) {
    line.Int("seq", static_cast<int64_t>(*seq));
  } else {
    line.Str("audit", "the alert's event could not be written");
  }
  line.Write();
}

absl::StatusOr<uint64_t> CallGate::CommitSystemEvent(absl::string_view job,
                                                     absl::string_view action,
                                                     registry::v1::AuditEvent event,
                                                     storage::PendingWrite* write) {
  event.set_actor(absl::StrCat("system:", job));
  event.set_action(std::string(action));
  if (write != nullptr) {
    for (const auto& id : write->record_ids()) event.add_record_ids(id);
    for (const auto& t : write->tokens()) event.add_tokens(t);
  }
  auto seq = deps_.audit->Append(std::move(event), write);
  if (!seq.ok()) {
    return AuditUnwritable(seq.status(), absl::StrCat("the system job ", job,
                                                      " made no change"));
  }
  return seq;
}

absl::StatusOr<int> CallGate::FlushUnauditedRefusals() {
  if (deps_.refusals == nullptr) return 0;
  int written = 0;
  std::vector<RefusalLimiter::Unaudited> counts = deps_.refusals->TakeUnaudited();
  for (size_t i = 0; i < counts.size(); ++i) {
    const RefusalLimiter::Unaudited& u = counts[i];
    registry::v1::AuditEvent event;
    event.set_reference(absl::StrCat(u.calls, u.calls == 1 ? " call" : " calls", " from ",
                                     u.certificates,
                                     u.certificates == 1 ? " certificate" : " certificates"));
    event.set_outcome(static_cast<int>(u.code));
    absl::StatusOr<uint64_t> seq =
        CommitSystemEvent("gate", "refused-unaudited", std::move(event), nullptr);
    if (!seq.ok()) {
      // Kept for the next flush rather than lost.
      for (size_t j = i; j < counts.size(); ++j) deps_.refusals->PutBack(counts[j]);
      return seq.status();
    }
    ++written;
  }
  return written;
}

std::string CallLogLine(const registry::v1::AuditEvent& ev, int64_t sequence, absl::Time now,
                        absl::Duration elapsed, absl::string_view cause) {
  // Identities of officials, codes and ids only: no personal data of anyone registered, no text
  // a caller sent (the request id is kept only when it is 1..64 letters, digits, '-' or '_').
  const auto code = static_cast<absl::StatusCode>(ev.outcome());
  const bool server_fault = code == absl::StatusCode::kInternal ||
                            code == absl::StatusCode::kUnavailable ||
                            code == absl::StatusCode::kDataLoss ||
                            code == absl::StatusCode::kUnknown;
  LogLine line(server_fault ? "error" : "info", "call");
  line.Str("request_id", ev.request_id())
      .Str("method", ev.action())
      .Str("role", RoleName(ev.role()))
      .Str("outcome", absl::StatusCodeToString(code))
      .Num("duration_ms", absl::ToDoubleMilliseconds(elapsed))
      .Str("actor", ev.actor().empty() ? "-" : ev.actor())
      .Str("org", ev.organisation().empty() ? "-" : ev.organisation())
      .Int("seq", sequence);
  if (ev.dry_run()) line.Bool("dry_run", true);
  if (server_fault && !cause.empty()) line.Str("cause", cause);
  return line.Text(now);
}

void CallGate::LogCall(const Call& call, const absl::Status& replied,
                       absl::Duration elapsed) const {
  // The line states the answer the caller got: when the event could not be written, that is
  // UNAVAILABLE, whatever the handler had decided.
  const registry::v1::AuditEvent* event = &call.event_;
  registry::v1::AuditEvent as_replied;
  if (static_cast<absl::StatusCode>(event->outcome()) != replied.code()) {
    as_replied = call.event_;
    as_replied.set_outcome(static_cast<int>(replied.code()));
    event = &as_replied;
  }
  // The words the caller was not given (a public error's are the caller's already).
  const absl::string_view cause = IsPublicError(replied) ? "" : replied.message();
  const std::string line =
      CallLogLine(*event, call.committed_ ? static_cast<int64_t>(call.sequence_) : -1,
                  absl::Now(), elapsed, cause);
  fputs(line.c_str(), stderr);
}

}  // namespace registry::server
