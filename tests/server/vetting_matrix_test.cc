// The vetting disclosure matrix: every state a person can be in x every kind of request, each
// state on its own registryd (real mTLS, RocksDB, audit log) holding the same candidate under the
// same personal number, so that requests are byte for byte the same across states.
//
// What must hold:
//  - "no record", "spent", "expunged" (and every mix of them, under the candidate's number or
//    naming the candidate under another) are indistinguishable in everything the vetting role
//    receives, success or error: status, message, metadata, and the reply's bytes apart from the
//    random check id and the signature; a REFER for a record under another number is byte for
//    byte a REFER for one under the number;
//  - an invalid request is invalid whatever the registry holds: the same error in every state,
//    visible records included;
//  - every call that names a well-formed personal number puts the person's token in its audit
//    event and a check in the person's history, whatever its outcome.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

constexpr char kPersonalNumber[] = "1234567890";
constexpr char kSurname[] = "Petrović";
constexpr char kGivenName[] = "Dragan";
constexpr char kBirthDate[] = "1980-04-12";

absl::Time Today() {
  return absl::FromCivil(absl::CivilSecond(2026, 6, 1, 9, 0, 0), absl::UTCTimeZone());
}

// The candidate's record, visible to vetting until 2039 (36 months' imprisonment, final 2024).
v1::CreateRecordRequest VisibleRecord(const std::string& case_number) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_surname(kSurname);
  r.mutable_person()->set_given_name(kGivenName);
  r.mutable_person()->set_birth_date(kBirthDate);
  r.mutable_person()->set_personal_number(kPersonalNumber);
  r.mutable_conviction()->set_case_number(case_number);
  return r;
}

// A fine that became final in 2014: visible to vetting until 2024-01-10, kept for courts until
// 2029-01-10 (retention.json: adult, under 12 months, 10 and 15 years).
v1::CreateRecordRequest SpentRecord(const std::string& case_number) {
  v1::CreateRecordRequest r = VisibleRecord(case_number);
  MakeFine(r.mutable_conviction(), "2014-01-01", "2014-01-10");
  return r;
}

// Someone else's record under the candidate's personal number (another name and birth date),
// visible to vetting until 2039.
v1::CreateRecordRequest OtherPersonsRecord(const std::string& case_number) {
  v1::CreateRecordRequest r = VisibleRecord(case_number);
  r.mutable_person()->set_surname("Krasniqi");
  r.mutable_person()->set_given_name("Blerim");
  r.mutable_person()->set_birth_date("1990-02-02");
  return r;
}

// The candidate's name and birth date under another personal number (a number mistyped in the
// judgment or the record, or a false one from the candidate), visible to vetting until 2039.
v1::CreateRecordRequest NamesakeRecord(const std::string& case_number) {
  v1::CreateRecordRequest r = VisibleRecord(case_number);
  r.mutable_person()->set_personal_number("1234567899");
  return r;
}

enum class State {
  kNone,
  kVisible,
  kSpent,
  kDisputedVisible,
  kDisputedSpent,
  kExpunged,
  kVisibleAndSpent,
  kTwoSpent,
  kSpentAndExpunged,
  kOtherPersonVisible,
  kSpentAndOtherPersonVisible,
  kSpentAndDisputedLater,
  kNamesakeVisible,
  kNamesakeSpent,
  kNamesakeExpunged,
  kNamesakeDisputed,
  kVisibleAndNamesake,
};

struct StateCase {
  State state;
  const char* name;
  // The state this one must look exactly like: a spent or expunged record adds nothing to what
  // the rest of the registry answers (no record at all, or another record on its own).
  State looks_like;
};

const StateCase kStates[] = {
    {State::kNone, "none", State::kNone},
    {State::kVisible, "visible", State::kVisible},
    {State::kSpent, "spent", State::kNone},
    {State::kDisputedVisible, "disputed-visible", State::kDisputedVisible},
    {State::kDisputedSpent, "disputed-spent", State::kNone},
    {State::kExpunged, "expunged", State::kNone},
    {State::kVisibleAndSpent, "visible+spent", State::kVisibleAndSpent},
    {State::kTwoSpent, "two spent", State::kNone},
    {State::kSpentAndExpunged, "spent+expunged", State::kNone},
    {State::kOtherPersonVisible, "other person visible", State::kOtherPersonVisible},
    // A later record under the number must not bring a spent one back to employers when it
    // names someone else, or while it is disputed: it refers on its own.
    {State::kSpentAndOtherPersonVisible, "spent+other person visible",
     State::kOtherPersonVisible},
    {State::kSpentAndDisputedLater, "spent+disputed later", State::kDisputedVisible},
    // A record naming the candidate under another number refers while it takes part, as any
    // REFER does; spent or expunged it is no record at all; the candidate's own number decides
    // first.
    {State::kNamesakeVisible, "namesake under another number", State::kNamesakeVisible},
    {State::kNamesakeSpent, "spent namesake under another number", State::kNone},
    {State::kNamesakeExpunged, "expunged namesake under another number", State::kNone},
    {State::kNamesakeDisputed, "disputed namesake under another number",
     State::kNamesakeVisible},
    {State::kVisibleAndNamesake, "visible+namesake under another number", State::kVisible},
};

v1::VettingCheckRequest Exact() {
  v1::VettingCheckRequest req;
  req.set_personal_number(kPersonalNumber);
  req.set_surname(kSurname);
  req.set_given_name(kGivenName);
  req.set_birth_date(kBirthDate);
  req.set_position_category("teacher");
  req.set_consent_reference("CONSENT 2026/44");
  return req;
}

enum class Kind {
  kSamePerson,   // a spelling of the registered identity
  kOtherPerson,  // the same personal number, another name or birth date
  kInvalid,      // refused before any lookup
};

struct Variant {
  std::string name;
  v1::VettingCheckRequest request;
  Kind kind;
  // For kInvalid: the status the request must get in every state.
  grpc::StatusCode code = grpc::StatusCode::OK;
  bool well_formed_number = true;
};

std::vector<Variant> Variants() {
  std::vector<Variant> v;
  const auto with = [&](std::string name, Kind kind, auto edit,
                        grpc::StatusCode code = grpc::StatusCode::OK, bool number_ok = true) {
    v1::VettingCheckRequest req = Exact();
    edit(&req);
    v.push_back({std::move(name), std::move(req), kind, code, number_ok});
  };
  using R = v1::VettingCheckRequest;
  with("exact", Kind::kSamePerson, [](R*) {});
  with("upper case", Kind::kSamePerson, [](R* r) {
    r->set_surname("PETROVIĆ");
    r->set_given_name("DRAGAN");
  });
  with("lower case", Kind::kSamePerson, [](R* r) { r->set_surname("petrović"); });
  with("no diacritics", Kind::kSamePerson, [](R* r) { r->set_surname("Petrovic"); });
  with("serbian cyrillic", Kind::kSamePerson, [](R* r) {
    r->set_surname("Петровић");
    r->set_given_name("Драган");
  });
  with("wrong surname", Kind::kOtherPerson, [](R* r) { r->set_surname("Petrovski"); });
  with("wrong given name", Kind::kOtherPerson, [](R* r) { r->set_given_name("Dragoslav"); });
  with("wrong birth date", Kind::kOtherPerson, [](R* r) { r->set_birth_date("1980-04-13"); });

  const auto invalid = grpc::StatusCode::INVALID_ARGUMENT;
  const auto precondition = grpc::StatusCode::FAILED_PRECONDITION;
  // Letters to Unicode that the name normaliser maps to nothing it can index.
  with("unmappable surname", Kind::kInvalid, [](R* r) { r->set_surname("Petrovićǂ"); }, invalid);
  with("unmappable given name", Kind::kInvalid, [](R* r) { r->set_given_name("ǂDragan"); },
       invalid);
  with("digit in surname", Kind::kInvalid, [](R* r) { r->set_surname("Petr0vić"); }, invalid);
  with("empty given name", Kind::kInvalid, [](R* r) { r->clear_given_name(); }, invalid);
  with("surname too long", Kind::kInvalid, [](R* r) { r->set_surname(std::string(101, 'a')); },
       invalid);
  with("not a real date", Kind::kInvalid, [](R* r) { r->set_birth_date("1980-02-30"); }, invalid);
  with("born in the future", Kind::kInvalid, [](R* r) { r->set_birth_date("2030-01-01"); },
       invalid);
  with("date in another format", Kind::kInvalid, [](R* r) { r->set_birth_date("12.04.1980"); },
       invalid);
  with("no consent", Kind::kInvalid, [](R* r) { r->clear_consent_reference(); }, precondition);
  with("consent not reference-shaped", Kind::kInvalid,
       [](R* r) { r->set_consent_reference("consent\n1"); }, invalid);
  with("position of another organisation", Kind::kInvalid,
       [](R* r) { r->set_position_category("care_worker"); }, precondition);
  with("no position", Kind::kInvalid, [](R* r) { r->clear_position_category(); }, precondition);
  with("consent with a trailing space", Kind::kInvalid,
       [](R* r) { r->set_consent_reference("CONSENT 2026/44 "); }, invalid);
  with("position with a trailing space", Kind::kInvalid,
       [](R* r) { r->set_position_category("teacher "); }, invalid);
  with("malformed personal number", Kind::kInvalid,
       [](R* r) { r->set_personal_number("12345X7890"); }, invalid, /*number_ok=*/false);
  with("personal number too short", Kind::kInvalid,
       [](R* r) { r->set_personal_number("123456789"); }, invalid, /*number_ok=*/false);
  return v;
}

// Everything the caller receives, with the fields that are random per call blanked: what is
// left must be a function of the request and the result code only.
struct Received {
  grpc::StatusCode code;
  std::string message;
  std::string error_details;
  std::multimap<std::string, std::string> metadata;
  size_t reply_size = 0;
  std::string reply_without_random;  // serialized; check ids, signature and key id cleared
  v1::VettingResult result = v1::VETTING_RESULT_UNSPECIFIED;

  bool operator==(const Received& o) const {
    return code == o.code && message == o.message && error_details == o.error_details &&
           metadata == o.metadata && reply_size == o.reply_size &&
           reply_without_random == o.reply_without_random && result == o.result;
  }
};

std::ostream& operator<<(std::ostream& os, const Received& r) {
  return os << "{code " << r.code << " \"" << r.message << "\" result " << r.result << " size "
            << r.reply_size << " metadata " << r.metadata.size() << "}";
}

class Registry {
 public:
  explicit Registry(State state) {
    TestServerOptions options;
    options.clock = &clock_;
    server_ = TestServer::Start(std::move(options));
    records_ = v1::RecordService::NewStub(server_->Channel("clerk"));
    vetting_ = v1::VettingService::NewStub(server_->Channel("vetting"));
    switch (state) {
      case State::kNone:
        break;
      case State::kVisible:
        Create(VisibleRecord("P 1/2024"));
        break;
      case State::kSpent:
        Create(SpentRecord("P 1/2014"));
        break;
      case State::kDisputedVisible:
        Dispute(Create(VisibleRecord("P 1/2024")));
        break;
      case State::kDisputedSpent:
        Dispute(Create(SpentRecord("P 1/2014")));
        break;
      case State::kExpunged:
        Expunge(Create(VisibleRecord("P 1/2024")));
        break;
      case State::kVisibleAndSpent:
        Create(VisibleRecord("P 1/2024"));
        Create(SpentRecord("P 1/2014"));
        break;
      case State::kTwoSpent:
        Create(SpentRecord("P 1/2014"));
        Create(SpentRecord("P 2/2014"));
        break;
      case State::kSpentAndExpunged:
        Create(SpentRecord("P 1/2014"));
        Expunge(Create(VisibleRecord("P 1/2024")));
        break;
      case State::kOtherPersonVisible:
        Create(OtherPersonsRecord("P 1/2024"));
        break;
      case State::kSpentAndOtherPersonVisible:
        Create(SpentRecord("P 1/2014"));
        Create(OtherPersonsRecord("P 1/2024"));
        break;
      case State::kSpentAndDisputedLater:
        Create(SpentRecord("P 1/2014"));
        Dispute(Create(VisibleRecord("P 1/2024")));
        break;
      case State::kNamesakeVisible:
        Create(NamesakeRecord("P 1/2024"));
        break;
      case State::kNamesakeSpent: {
        v1::CreateRecordRequest spent = SpentRecord("P 1/2014");
        spent.mutable_person()->set_personal_number("1234567899");
        Create(spent);
        break;
      }
      case State::kNamesakeExpunged:
        Expunge(Create(NamesakeRecord("P 1/2024")));
        break;
      case State::kNamesakeDisputed:
        Dispute(Create(NamesakeRecord("P 1/2024")));
        break;
      case State::kVisibleAndNamesake:
        Create(VisibleRecord("P 1/2024"));
        Create(NamesakeRecord("P 2/2024"));
        break;
    }
  }

  Received Check(const v1::VettingCheckRequest& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::VettingCheckResponse resp;
    const grpc::Status s = vetting_->VettingCheck(&ctx, req, &resp);
    Received r;
    r.code = s.error_code();
    r.message = s.error_message();
    r.error_details = s.error_details();
    for (const auto& [k, v] : ctx.GetServerInitialMetadata()) {
      r.metadata.emplace(absl::StrCat("initial:", std::string(k.data(), k.size())),
                         std::string(v.data(), v.size()));
    }
    for (const auto& [k, v] : ctx.GetServerTrailingMetadata()) {
      r.metadata.emplace(absl::StrCat("trailing:", std::string(k.data(), k.size())),
                         std::string(v.data(), v.size()));
    }
    r.reply_size = resp.ByteSizeLong();
    r.result = resp.result();
    if (!resp.check_id().empty()) {
      EXPECT_EQ(resp.check_id().size(), 32u);
      EXPECT_EQ(resp.certificate().certificate().certificate_id(), resp.check_id());
      EXPECT_EQ(resp.certificate().signature().size(), 64u);
    }
    resp.clear_check_id();
    resp.mutable_certificate()->mutable_certificate()->clear_certificate_id();
    resp.mutable_certificate()->clear_signature();
    // The signing key's id is the registry's own, one per key file: each state runs on its own.
    EXPECT_TRUE(resp.certificate().certificate().key_id().empty() ||
                resp.certificate().certificate().key_id().size() == 16u);
    resp.mutable_certificate()->mutable_certificate()->clear_key_id();
    r.reply_without_random = resp.SerializeAsString();
    return r;
  }

  uint64_t AuditSize() { return server_->server()->audit_log()->CurrentHead().size; }

  v1::AuditEvent Event(uint64_t index) {
    v1::AuditEvent event;
    auto bytes = server_->server()->audit_log()->ReadEvent(index);
    EXPECT_TRUE(bytes.ok() && event.ParseFromString(*bytes));
    return event;
  }

  std::vector<v1::CheckSummary> ChecksAboutCandidate() {
    grpc::ClientContext ctx;
    v1::ListChecksAboutPersonRequest req;
    req.set_personal_number(kPersonalNumber);
    req.set_request_reference("DSR 2026/3");
    v1::ListChecksAboutPersonResponse resp;
    const grpc::Status s = vetting_->ListChecksAboutPerson(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);  // vetting may not list
    grpc::ClientContext clerk_ctx;
    auto clerk = v1::VettingService::NewStub(server_->Channel("clerk"));
    const grpc::Status listed = clerk->ListChecksAboutPerson(&clerk_ctx, req, &resp);
    EXPECT_TRUE(listed.ok()) << listed.error_message();
    return {resp.checks().begin(), resp.checks().end()};
  }

 private:
  std::string Create(const v1::CreateRecordRequest& req) {
    grpc::ClientContext ctx;
    v1::CreateRecordResponse resp;
    const grpc::Status s = records_->CreateRecord(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record_id();
  }
  void Dispute(const std::string& id) {
    grpc::ClientContext ctx;
    v1::DisputeRecordRequest req;
    req.set_record_id(id);
    req.set_reason("identity contested by the data subject");
    v1::RecordStatusResponse resp;
    const grpc::Status s = records_->DisputeRecord(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  void Expunge(const std::string& id) {
    grpc::ClientContext ctx;
    v1::ExpungeRecordRequest req;
    req.set_record_id(id);
    req.set_legal_basis("CC 04/L-082 art. 103");
    v1::ExpungeRecordResponse resp;
    const grpc::Status s = records_->ExpungeRecord(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  FakeClock clock_{Today()};
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> records_;
  std::unique_ptr<v1::VettingService::Stub> vetting_;
};

v1::VettingResult Expected(State state, Kind kind) {
  switch (state) {
    case State::kVisible:
    case State::kVisibleAndSpent:
    case State::kVisibleAndNamesake:
      return kind == Kind::kSamePerson ? v1::VETTING_RESULT_NOT_CLEAR : v1::VETTING_RESULT_REFER;
    case State::kDisputedVisible:
    case State::kSpentAndDisputedLater:
    case State::kOtherPersonVisible:
    case State::kSpentAndOtherPersonVisible:
      return v1::VETTING_RESULT_REFER;
    case State::kNamesakeVisible:
    case State::kNamesakeDisputed:
      return kind == Kind::kSamePerson ? v1::VETTING_RESULT_REFER : v1::VETTING_RESULT_CLEAR;
    default:
      return v1::VETTING_RESULT_CLEAR;
  }
}

TEST(VettingMatrixTest, SpentAndExpungedLookExactlyLikeNoRecordAndInvalidIsInvalidEverywhere) {
  const std::vector<Variant> variants = Variants();
  // received[state][variant]
  std::vector<std::vector<Received>> received;
  for (const StateCase& sc : kStates) {
    SCOPED_TRACE(sc.name);
    Registry registry(sc.state);
    std::vector<Received> row;
    size_t probes = 0;
    for (const Variant& v : variants) {
      SCOPED_TRACE(v.name);
      const uint64_t before = registry.AuditSize();
      Received r = registry.Check(v.request);
      if (v.kind == Kind::kInvalid) {
        EXPECT_EQ(r.code, v.code) << r.message;
        EXPECT_EQ(r.result, v1::VETTING_RESULT_UNSPECIFIED);
        EXPECT_EQ(r.reply_size, 0u);
      } else {
        EXPECT_EQ(r.code, grpc::StatusCode::OK) << r.message;
        EXPECT_EQ(r.result, Expected(sc.state, v.kind));
      }
      // One event per call, carrying the person's token whenever the number is well formed.
      ASSERT_EQ(registry.AuditSize(), before + 1);
      EXPECT_EQ(registry.Event(before).tokens_size(), v.well_formed_number ? 1 : 0);
      if (v.well_formed_number) ++probes;
      row.push_back(std::move(r));
    }
    // The person sees every call that named them, answered or not, with its outcome.
    const std::vector<v1::CheckSummary> history = registry.ChecksAboutCandidate();
    EXPECT_EQ(history.size(), probes);
    size_t answered = 0;
    for (const v1::CheckSummary& check : history) {
      EXPECT_EQ(check.organisation(), "dev-school");
      if (check.status_code() == 0) ++answered;
    }
    size_t valid = 0;
    for (const Variant& v : variants) valid += v.kind != Kind::kInvalid;
    EXPECT_EQ(answered, valid);
    received.push_back(std::move(row));
  }

  const auto index_of = [](State state) {
    size_t i = 0;
    while (kStates[i].state != state) ++i;
    return i;
  };
  const size_t none = index_of(State::kNone);
  for (size_t s = 0; s < received.size(); ++s) {
    const size_t like = index_of(kStates[s].looks_like);
    for (size_t v = 0; v < variants.size(); ++v) {
      SCOPED_TRACE(absl::StrCat(kStates[s].name, " / ", variants[v].name));
      EXPECT_EQ(received[s][v], received[like][v]);
      if (variants[v].kind == Kind::kInvalid) {
        EXPECT_EQ(received[s][v], received[none][v]);
      }
    }
  }
}

}  // namespace
}  // namespace registry::testing
