// CallGate: the one choke point every RPC passes.
//
// For each call, in this order: identity from the verified client certificate (its one URI SAN),
// that the certificate is a TLS client's (not a CA's, extendedKeyUsage clientAuth), its
// revocation status (server/revocation.h) and the policy's certificate deny list -> the
// principal's role and organisation from the access policy -> the method's rule, declared in the
// proto (access.proto) and read by method_table.h, found by the request's type (a method without
// a rule is denied) -> per-organisation rate limit -> the
// purpose or consent the rule demands -> the call's deadline, not yet passed (else
// DEADLINE_EXCEEDED, what gRPC answered the caller, and the handler does not run) -> the
// handler -> the audit event, durably committed before
// the reply leaves (fail closed: if it cannot be written, the caller gets UNAVAILABLE and no
// data). Refused and invalid calls are audited the same way, including the calls no handler sees
// (a request gRPC cannot decode, a method of no service: RefuseUnread, reached through
// server/decode_guard.h). Exactly one audit event
// per call, with one exception: a certificate that is not a known caller (no single URI
// SAN, a CA's or not for clientAuth, revoked, no current CRL, deny-listed, or not in the policy)
// has its refusals audited only
// up to a per-certificate rate (server/refusal_limiter.h); past it they are counted and written
// as a periodic "refused-unaudited" summary event instead, so that strangers cannot grow the
// audit log without bound.
//
// A method whose rule names a subject (vetting) is a question about a person. Before anything
// else, the gate turns the request's personal number, when well formed, into the person's token:
// it goes into the event, and a check goes into the person's history in the event's batch,
// whatever the outcome, so a data subject sees every organisation that asked about them.
//
// A request carrying a field the protos do not declare, at any depth, is refused before its
// handler (INVALID_ARGUMENT naming where: "person: unknown field 99").
//
// Handlers never build their own grpc::Status: they return absl::Status, and the gate maps it
// once (ToGrpcStatus), stripping internal detail. A handler that changes data calls
// Call::Commit(pending) so that the change and the event share one synced write batch.
//
//   grpc::Status GetRecord(grpc::ServerContext* ctx, const GetRecordRequest* req,
//                          GetRecordResponse* resp) override {
//     return gate_->Unary(ctx, *req, resp, [&](Call& call) { ... });
//   }
#ifndef REGISTRY_SERVER_CALL_GATE_H_
#define REGISTRY_SERVER_CALL_GATE_H_

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/audit.pb.h"
#include "server/identity.h"
#include "server/method_table.h"
#include "server/metrics.h"
#include "server/policy.h"
#include "server/rate_limiter.h"
#include "server/record_validation.h"
#include "server/refusal_limiter.h"
#include "server/revocation.h"
#include "server/serial_worker.h"
#include "server/vetting_decision.h"
#include "storage/audit_log.h"
#include "storage/check_store.h"
#include "storage/ids.h"
#include "storage/record_store.h"

namespace registry::server {

struct Caller {
  std::string id;
  registry::v1::Role role = registry::v1::ROLE_UNSPECIFIED;
  std::string organisation;
};

// One admitted call. Not thread-safe; lives for the handler's duration.
class Call {
 public:
  const Caller& caller() const { return caller_; }
  const Policy& policy() const { return *policy_; }
  absl::Time now() const { return now_; }
  const MethodRule& rule() const { return *rule_; }

  // The call's audit event; handlers add record ids, tokens and recipients. The gate fills in
  // actor, role, organisation, action, references, outcome and request id.
  registry::v1::AuditEvent& event() { return event_; }

  // The token (32 raw bytes) of the person the request names, for methods that name a subject;
  // empty otherwise or when the personal number is not well formed.
  const std::string& subject_token() const { return subject_token_; }
  // For methods that name a subject: the check to record in the person's history when the call
  // commits. Without it the check is recorded with a new id and no result. `also_in_history_of`:
  // the other people whose records took part in a REFER (a record naming the candidate under
  // another number, docs/security.md row 100), each with the ids of those records: the answered
  // REFER is entered in their histories too, in the same batch, so that a probe of a registered
  // person's name under made-up numbers is in that person's history. Each copy names only its
  // person's own records as deciding it (the subject's entry names them all). No copy is made
  // of another answer. Never in the event.
  void SetSubjectResult(std::string check_id, registry::v1::VettingResult result,
                        std::vector<std::string> deciding_record_ids,
                        std::vector<VettingDecision::OtherPerson> also_in_history_of = {});

  // Commits `write` (may be null: the event alone) with this call's event, outcome OK, in one
  // synced batch (with the subject's check, when the method names one). Afterwards the gate
  // writes no other event for the call. Unavailable when the audit log cannot be written (then
  // nothing was written), and for a non-null `write` (a change) also when the disk is down to
  // the space kept for audit events (AuditLog::RoomForChange). At most once per call.
  absl::Status Commit(storage::PendingWrite* write);
  bool committed() const { return committed_; }

  // For a call that sends for long (a stream, an export): whether its caller may still have it,
  // as the gate would judge a new call now: the certificate not revoked, deny-listed or out of
  // date since, its principal still in the policy with a role the method allows. Judged at most
  // once a second by the gate's clock (OK in between); otherwise the status to end the call with
  // (the gate then
  // writes the call's outcome, as for any stream that ends in an error after its event).
  absl::Status StillAdmitted();
  uint64_t sequence() const { return sequence_; }

  ~Call() {
    if (release_consent_) release_consent_();
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

 private:
  friend class CallGate;
  Call(storage::AuditLog* log, const storage::CheckStore* checks, const MethodRule* rule,
       std::shared_ptr<const Policy> policy, absl::Time now)
      : log_(log), checks_(checks), rule_(rule), policy_(std::move(policy)), now_(now) {}

  // Stages the subject's check (see SetSubjectResult) with the reply's status code into `w`;
  // nothing when the call names no subject.
  absl::Status StageSubjectCheck(int status_code, storage::PendingWrite* w);

  storage::AuditLog* log_;
  const storage::CheckStore* checks_;
  const MethodRule* rule_;
  std::shared_ptr<const Policy> policy_;
  absl::Time now_;
  Caller caller_;
  registry::v1::AuditEvent event_;
  std::string subject_token_;
  std::string subject_position_;  // the stated position category, when reference-shaped
  storage::StoredCheck subject_check_;
  // The caller's organisation when it is a vetting organisation (held by policy_).
  const registry::v1::Organisation* vetting_org_ = nullptr;
  // The call took from the organisation's daily limit on checks of the subject: the check is
  // kept as a limit row too (storage::CheckStore::StageLimitTake), for a restarted registryd.
  bool took_person_limit_ = false;
  // The keyed tokens of the subject's name (RecordStore::NameLimitTokens), when the call took
  // from the organisation's daily limit on checks of that name: kept as limit rows too, as above.
  std::vector<std::string> name_limit_tokens_;
  // The consent reference to bind to the subject when the call is answered: set when the
  // organisation had given it for no candidate yet (storage::CheckStore::StageConsent).
  std::string consent_to_bind_;
  // Lets go of the call's claim on its consent reference (CallGate::ClaimConsent) once its event
  // and rows are written or given up.
  std::function<void()> release_consent_;
  // SetSubjectResult's `also_in_history_of`.
  std::vector<VettingDecision::OtherPerson> other_histories_;
  bool committed_ = false;
  uint64_t sequence_ = 0;
  // StillAdmitted's judge (CallGate::Readmit, at most once a second by the gate's clock).
  std::function<absl::Status()> readmit_;
  // The client certificate's fingerprint, and whether the call was refused because the
  // certificate is not a known caller.
  std::string fingerprint_;
  bool unknown_caller_ = false;
  CertificateRefusal refusal_ = CertificateRefusal::kNoCertificate;
};

// References (case, purpose code, consent, request, legal basis, recipient) are the only caller
// text that enters an audit event, and only in this shape (common/reference_text.h): 1..64 ASCII
// letters, digits, spaces and "/-.:_", with a letter or digit. The gate refuses a request whose
// reference has another shape (INVALID_ARGUMENT naming the field), and its event records the
// field and length instead. A reference, purpose code or position category with a space or tab
// before or after it is refused alike, "<field>: begins or ends with a space", neither trimmed
// nor kept. A purpose code enters the event only when the policy lists it
// (Policy::PurposeAllowed), for every caller and outcome: any other is recorded as withheld
// (field and length) too; the call is refused for it only where the purpose rule applies
// (courts: INVALID_ARGUMENT naming purpose.purpose_code).

// The server's log line for one call (stderr), one JSON object ending with a newline
// (common/json_log.h): time, level, "msg":"call", request_id, method, role, outcome (the status
// code's name), duration_ms, actor and org (the official's identity and organisation), seq (the
// event's sequence, -1 when none was written), and "dry_run":true for a call that asked to
// change nothing. `cause`, when not empty, is the server's own words for a fault whose message
// the caller does not get (ToGrpcStatus): a key file or erasure ledger that cannot be written, a
// failing disk. Those name files and codes, never what a call carried; an operator needs them.
std::string CallLogLine(const registry::v1::AuditEvent& event, int64_t sequence, absl::Time now,
                        absl::Duration elapsed, absl::string_view cause = "");

// Maps our status to the wire, once: codes are kept; messages of internal, unknown, data-loss
// and unavailable errors are replaced by fixed text so internal detail never reaches a client,
// unless the error was built as public (common/public_status.h).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Thread-safe.
class CallGate {
 public:
  struct Deps {
    const Clock* clock = nullptr;
    PolicyStore* policies = nullptr;
    RateLimiter* limiter = nullptr;
    storage::AuditLog* audit = nullptr;
    // For methods that name a subject: the personal-number pattern, the token, and where the
    // person's checks are kept.
    const RecordValidator* validator = nullptr;
    const storage::RecordStore* records = nullptr;
    const storage::CheckStore* checks = nullptr;
    // The client CAs the gate accepted and, when tls.crl_directory is configured, their
    // revocation lists (registryd always sets it; null only in tests that check no certificate).
    const Revocation* revocation = nullptr;
    // The clock that decides whether a CRL is current (RegistryServerOptions::revocation_clock);
    // default `clock`.
    const Clock* revocation_clock = nullptr;
    // The limit on audited refusals of certificates that are not known callers; null: every
    // refusal is audited.
    RefusalLimiter* refusals = nullptr;
    // Log one line per call to stderr. Default true.
    bool log_calls = true;
    // Counts calls, latencies and refusals; null: none kept.
    Metrics* metrics = nullptr;
    // Runs each REFER's count, and the alert it may raise (WatchRefers), once the call's reply
    // is decided, so that the REFER that raises the alert is answered no later than any other
    // (the alert's synced event and the first count's read of the stored REFER rows would show
    // in its time). Null: the gate's own worker thread, one at a time, in the calls' order.
    std::function<void(std::function<void()>)> after_reply;
  };
  explicit CallGate(Deps deps);
  ~CallGate();
  CallGate(const CallGate&) = delete;
  CallGate& operator=(const CallGate&) = delete;

  // Returns once the REFER counting queued so far has run on the gate's own worker (nothing to
  // wait for with Deps::after_reply). registryd calls it at shutdown, before the last events;
  // tests call it before they look for an alert.
  void AwaitAfterReplyWork();

  // Runs one call. `handler` fills the reply; on any failure the reply is cleared by `clear`.
  // The method is the one whose request type `request` has (method_table.h).
  grpc::Status Run(grpc::ServerContext* ctx, const google::protobuf::Message& request,
                   const std::function<absl::Status(Call&)>& handler,
                   const std::function<void()>& clear);

  // Answers a call whose request no handler will see (server/decode_guard.h): gRPC could not
  // decode it (`rule` is its method's; `why` is INVALID_ARGUMENT naming the field when known), or
  // it names a method of no service (`rule` null, `why` UNIMPLEMENTED; the event's action is
  // "?unknown-method", as gRPC does not say which name was asked for). The caller is
  // identified, its role checked against the rule and its organisation's rate counted as for any
  // call; then the call is refused with `why`, and audited as Run audits a refusal (a
  // certificate that is not a known caller counts against its refusal limit). Returns the status
  // to send: `why`, the earlier refusal, or UNAVAILABLE when the event cannot be written.
  // `subject`: for a method that names a person, the personal number read from the undecodable
  // bytes (vetting_service.cc); a well-formed one puts the probe in that person's history, as a
  // decoded call's does.
  grpc::Status RefuseUnread(const grpc::ServerContextBase& ctx, const MethodRule* rule,
                            const absl::Status& why, absl::string_view subject = "");

  template <class Resp>
  grpc::Status Unary(grpc::ServerContext* ctx, const google::protobuf::Message& request,
                     Resp* response, const std::function<absl::Status(Call&)>& handler) {
    return Run(ctx, request, handler, [response] { response->Clear(); });
  }

  // Writes the event of a call made by registryd itself (e.g. the retention scheduler), with
  // `write` (may be null). actor is "system:<job>".
  absl::StatusOr<uint64_t> CommitSystemEvent(absl::string_view job, absl::string_view action,
                                             registry::v1::AuditEvent event,
                                             storage::PendingWrite* write);

  // Whether the caller is known, without a method rule and without an audit event (for the
  // health service): the certificate names one identity, is not revoked, is not on the deny
  // list, and names a principal of the policy. Unauthenticated or PermissionDenied otherwise,
  // as Run would refuse it, and counted as Run counts it (registryd_refused_certificates_total
  // by reason): unaudited, the count is the refusal's only trace.
  absl::Status CheckCaller(const grpc::ServerContextBase& ctx);

  // The metrics the gate counts into; null when none are kept.
  Metrics* metrics() const { return deps_.metrics; }

  // Writes the refusals that were not audited since the last flush (RefusalLimiter) as one
  // event per status code: actor "system:gate", action "refused-unaudited", reference
  // "N calls from M certificates", outcome the status code. Nothing when there were none.
  // Returns how many events were written. registryd calls it every minute and at shutdown.
  absl::StatusOr<int> FlushUnauditedRefusals();

 private:
  // Who is calling, as far as the certificate and the policy say.
  struct KnownCaller {
    std::string fingerprint;
    std::string id;
    const registry::v1::Principal* principal = nullptr;
    // Why the certificate was refused, when it was.
    CertificateRefusal refusal = CertificateRefusal::kNoCertificate;
  };
  // Fills `who` as far as it gets: the fingerprint once the certificate is read, the id once it
  // names one identity, the principal once the policy names it. OK only with all three.
  absl::Status IdentifyCaller(const grpc::ServerContextBase& ctx, const Policy& policy,
                              KnownCaller* who);
  // Authentication, authorization, rate, and what the request must state. `request` is null for
  // a call whose request was never read (RefuseUnread): then only who may call is checked.
  absl::Status Admit(const grpc::ServerContextBase& ctx, const google::protobuf::Message* request,
                     Call* call);
  // Counts the REFER of check `check_id`, answered to `org` (RateLimiter::CountRefer, from the
  // stored REFER rows of the last day when the organisation's count is not held); the one that
  // reaches the organisation's RateLimit.refers_per_day_alert writes the alert: a "system:gate"
  // event "many-refers" naming the organisation, a warning line, and the metric.
  void WatchRefers(const registry::v1::Organisation& org, absl::string_view check_id);
  // Run and RefuseUnread: admits the call, runs `handler` (only with a request), audits it.
  // `unread_subject`: RefuseUnread's `subject`.
  grpc::Status Handle(const grpc::ServerContextBase& ctx, const MethodRule* rule,
                      const std::string& method, const google::protobuf::Message* request,
                      absl::string_view unread_subject,
                      const std::function<absl::Status(Call&)>& handler,
                      const std::function<void()>& clear);
  // One JSON line on stderr for the call, with `replied`, the code the caller got.
  void LogCall(const Call& call, const absl::Status& replied, absl::Duration elapsed) const;
  // The token of `personal_number` when it is well-formed, else "".
  std::string SubjectToken(absl::string_view personal_number) const;
  // Returns the daily-limit takes of a check refused for its input (RateLimiter).
  void GiveBackPersonLimits(Call* call);
  // A consent reference is one candidate's: refuses `call` (FailedPrecondition naming
  // consent_reference) when its organisation gave `consent` for another candidate, in a stored
  // check or in a call not yet written; otherwise claims it for the call's subject until the
  // call ends, and marks it for binding when no stored check holds it yet.
  absl::Status ClaimConsent(Call* call, const std::string& consent);
  // Call::StillAdmitted: the caller identified again under the policy in force, and the method's
  // roles held to its principal.
  absl::Status Readmit(const grpc::ServerContextBase& ctx, const Call& call);

  Deps deps_;
  ClientCertificates certificates_;
  // The consent references of the calls under way (organisation, 0x00, reference), each with the
  // subject's token and how many calls hold it, so that two checks sent at once cannot both give
  // one reference for two candidates before either is written. Kept in stripes chosen by the
  // reference's hash: one reference is always in the same stripe, whose lock is held while its
  // stored binding is read and its claim taken, so checks under other references do not wait.
  struct ConsentClaim {
    std::string token;
    int calls = 0;
  };
  struct alignas(64) ConsentStripe {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, ConsentClaim> claims ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kConsentStripes = 64;
  std::array<ConsentStripe, kConsentStripes> consent_stripes_;
  // Runs after_reply work when Deps has no executor of its own; last, so that it stops first.
  std::unique_ptr<SerialWorker> worker_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_CALL_GATE_H_
