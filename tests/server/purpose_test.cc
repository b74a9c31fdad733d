// Purpose and consent binding: a court reads only when it states a case reference and an allowed
// purpose code, and the audit event of the read records both and the recipient; a vetting check
// needs the candidate's consent reference and a position category the organisation may use.
// Every refusal names the missing field and leaves exactly one audit event.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

constexpr char kCourtOrg[] = "basic-court-prishtine";

v1::Purpose GoodPurpose() {
  v1::Purpose p;
  p.set_case_reference("PKR 123/2026");
  p.set_purpose_code("criminal_proceedings");
  return p;
}

// The three court reads.
enum class Read { kGetRecord, kSearchRecords, kGetRecordHistory };

struct ReadResult {
  grpc::Status status;
  int records = 0;  // records (or versions) returned
};

ReadResult DoRead(const std::shared_ptr<grpc::Channel>& channel, Read read,
                  const std::string& record_id, const v1::Purpose* purpose) {
  auto stub = v1::RecordService::NewStub(channel);
  auto ctx = NewCallContext();
  ReadResult r;
  switch (read) {
    case Read::kGetRecord: {
      v1::GetRecordRequest req;
      req.set_record_id(record_id);
      if (purpose != nullptr) *req.mutable_purpose() = *purpose;
      v1::GetRecordResponse resp;
      r.status = stub->GetRecord(ctx.get(), req, &resp);
      r.records = resp.has_record() ? 1 : 0;
      if (resp.has_record()) {
        EXPECT_EQ(resp.record().person().surname(), testing::ExampleRecord().person().surname());
      }
      break;
    }
    case Read::kSearchRecords: {
      v1::SearchRecordsRequest req;
      req.set_personal_number(testing::ExampleRecord().person().personal_number());
      if (purpose != nullptr) *req.mutable_purpose() = *purpose;
      v1::SearchRecordsResponse resp;
      r.status = stub->SearchRecords(ctx.get(), req, &resp);
      r.records = resp.records_size();
      break;
    }
    case Read::kGetRecordHistory: {
      v1::GetRecordHistoryRequest req;
      req.set_record_id(record_id);
      if (purpose != nullptr) *req.mutable_purpose() = *purpose;
      v1::GetRecordHistoryResponse resp;
      r.status = stub->GetRecordHistory(ctx.get(), req, &resp);
      r.records = resp.versions_size();
      break;
    }
  }
  return r;
}

const char* ActionOf(Read read) {
  switch (read) {
    case Read::kGetRecord: return "/registry.v1.RecordService/GetRecord";
    case Read::kSearchRecords: return "/registry.v1.RecordService/SearchRecords";
    case Read::kGetRecordHistory: return "/registry.v1.RecordService/GetRecordHistory";
  }
  return "";
}

class CourtPurposeTest : public ::testing::TestWithParam<Read> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    auto ctx = NewCallContext();
    v1::CreateRecordResponse created;
    grpc::Status s = v1::RecordService::NewStub(server_->Channel("clerk"))
                         ->CreateRecord(ctx.get(), testing::ExampleRecord(), &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
    record_id_ = created.record_id();
    court_ = server_->Channel("court");
  }

  // Reads as the court with `purpose` (null: none) and expects a refusal with `code` whose
  // message and audit detail name `field`, exactly one audit event, and nothing disclosed.
  void ExpectRefused(const v1::Purpose* purpose, grpc::StatusCode code, const std::string& field) {
    storage::AuditLog* log = server_->server()->audit_log();
    const uint64_t before = log->CurrentHead().size;
    const ReadResult r = DoRead(court_, GetParam(), record_id_, purpose);
    EXPECT_EQ(r.status.error_code(), code) << r.status.error_message();
    EXPECT_TRUE(absl::StrContains(r.status.error_message(), field)) << r.status.error_message();
    EXPECT_EQ(r.records, 0);
    ASSERT_EQ(log->CurrentHead().size, before + 1);
    const v1::AuditEvent event = StoredEvent(*server_, before);
    EXPECT_EQ(event.outcome(), static_cast<int>(code));
    EXPECT_EQ(event.actor(), kCourtId);
    EXPECT_EQ(event.action(), ActionOf(GetParam()));
    EXPECT_TRUE(absl::StrContains(event.detail(), field)) << event.detail();
    EXPECT_TRUE(event.recipient().empty()) << "nothing was disclosed";
  }

  std::unique_ptr<TestServer> server_;
  std::shared_ptr<grpc::Channel> court_;
  std::string record_id_;
};

TEST_P(CourtPurposeTest, ReadWithoutPurposeNamesCaseReference) {
  ExpectRefused(nullptr, grpc::StatusCode::FAILED_PRECONDITION, "purpose.case_reference");
  v1::Purpose code_only;
  code_only.set_purpose_code("criminal_proceedings");
  ExpectRefused(&code_only, grpc::StatusCode::FAILED_PRECONDITION, "purpose.case_reference");
}

TEST_P(CourtPurposeTest, ReadWithoutPurposeCodeNamesPurposeCode) {
  v1::Purpose case_only;
  case_only.set_case_reference("PKR 123/2026");
  ExpectRefused(&case_only, grpc::StatusCode::FAILED_PRECONDITION, "purpose.purpose_code");
}

TEST_P(CourtPurposeTest, PurposeCodeOutsideThePolicyIsInvalidArgument) {
  v1::Purpose curious = GoodPurpose();
  curious.set_purpose_code("curiosity");
  ExpectRefused(&curious, grpc::StatusCode::INVALID_ARGUMENT, "purpose.purpose_code");
}

TEST_P(CourtPurposeTest, ReadWithPurposeIsAuditedWithReferencesAndRecipient) {
  storage::AuditLog* log = server_->server()->audit_log();
  const uint64_t before = log->CurrentHead().size;
  const v1::Purpose purpose = GoodPurpose();
  const ReadResult r = DoRead(court_, GetParam(), record_id_, &purpose);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.records, 1);
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  const v1::AuditEvent event = StoredEvent(*server_, before);
  EXPECT_EQ(testing::OutcomeName(event), "OK");
  EXPECT_EQ(event.actor(), kCourtId);
  EXPECT_EQ(event.role(), v1::ROLE_COURT);
  EXPECT_EQ(event.organisation(), kCourtOrg);
  EXPECT_EQ(event.action(), ActionOf(GetParam()));
  EXPECT_EQ(event.case_reference(), "PKR 123/2026");
  EXPECT_EQ(event.purpose_code(), "criminal_proceedings");
  EXPECT_EQ(event.recipient(), kCourtOrg);
  ASSERT_EQ(event.record_ids_size(), 1);
  EXPECT_EQ(event.record_ids(0), record_id_);
}

// An admitted read that found nothing disclosed nothing: its event names no recipient. (A read
// by id of an id no record has; the search, by the example's number, finds and discloses.)
TEST_P(CourtPurposeTest, OnlyAReadThatDisclosesNamesARecipient) {
  storage::AuditLog* log = server_->server()->audit_log();
  const uint64_t before = log->CurrentHead().size;
  const v1::Purpose purpose = GoodPurpose();
  const ReadResult r = DoRead(court_, GetParam(), std::string(32, 'a'), &purpose);
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  const v1::AuditEvent event = StoredEvent(*server_, before);
  EXPECT_EQ(event.case_reference(), "PKR 123/2026");
  if (GetParam() == Read::kSearchRecords) {
    EXPECT_EQ(r.records, 1);
    EXPECT_EQ(event.recipient(), kCourtOrg);
  } else {
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_TRUE(event.recipient().empty()) << testing::OutcomeName(event);
  }
}

// "PKR 123/2026" with a no-break space, pasted from a document, was refused as "1..64 ASCII
// letters, digits, spaces or /-.:_", which it reads as meeting: the look-alike is named by its
// code point, with what to type, and neither the refusal nor its event repeats the reference.
TEST_P(CourtPurposeTest, ACaseReferenceWithALookAlikeOfASpaceOrHyphenIsToldWhatToType) {
  for (const auto& [reference, rule] : std::vector<std::pair<std::string, std::string>>{
           {"PKR\xC2\xA0" "123/2026", "a space (U+00A0, a no-break space): type a plain space"},
           {"PKR\xE2\x80\xAF" "123/2026",
            "a space (U+202F, a narrow no-break space): type a plain space"},
           {"PKR 123\xE2\x80\x93" "2026", "a hyphen (U+2013, an en dash): type a plain hyphen (-)"},
           {"PKR 123\xE2\x88\x95" "2026",
            "a slash (U+2215, a division slash): type a plain slash (/)"}}) {
    SCOPED_TRACE(rule);
    v1::Purpose purpose = GoodPurpose();
    purpose.set_case_reference(reference);
    storage::AuditLog* log = server_->server()->audit_log();
    const uint64_t before = log->CurrentHead().size;
    const ReadResult r = DoRead(court_, GetParam(), record_id_, &purpose);
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(r.status.error_message(),
              "purpose.case_reference: holds a look-alike of " + rule);
    EXPECT_EQ(r.records, 0);
    ASSERT_EQ(log->CurrentHead().size, before + 1);
    const v1::AuditEvent event = StoredEvent(*server_, before);
    EXPECT_TRUE(event.case_reference().empty());
    EXPECT_FALSE(absl::StrContains(event.detail(), "123")) << event.detail();
  }
}

INSTANTIATE_TEST_SUITE_P(CourtReads, CourtPurposeTest,
                         ::testing::Values(Read::kGetRecord, Read::kSearchRecords,
                                           Read::kGetRecordHistory),
                         [](const ::testing::TestParamInfo<Read>& info) {
                           switch (info.param) {
                             case Read::kGetRecord: return std::string("GetRecord");
                             case Read::kSearchRecords: return std::string("SearchRecords");
                             case Read::kGetRecordHistory: return std::string("GetRecordHistory");
                           }
                           return std::string("Unknown");
                         });

TEST(ClerkReadTest, ClerkReadsNeedNoPurpose) {
  auto server = TestServer::Start();
  auto clerk = server->Channel("clerk");
  auto ctx = NewCallContext();
  v1::CreateRecordResponse created;
  grpc::Status s = v1::RecordService::NewStub(clerk)->CreateRecord(
      ctx.get(), testing::ExampleRecord(), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (Read read : {Read::kGetRecord, Read::kSearchRecords, Read::kGetRecordHistory}) {
    SCOPED_TRACE(ActionOf(read));
    const uint64_t before = server->server()->audit_log()->CurrentHead().size;
    const ReadResult r = DoRead(clerk, read, created.record_id(), nullptr);
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    EXPECT_EQ(r.records, 1);
    const v1::AuditEvent event = StoredEvent(*server, before);
    EXPECT_EQ(testing::OutcomeName(event), "OK");
    EXPECT_EQ(event.role(), v1::ROLE_CLERK);
    EXPECT_EQ(event.recipient(), "kjc-registry");
  }
}

// ---- Vetting: consent and position category ----

v1::VettingCheckRequest Candidate() {
  v1::VettingCheckRequest req;
  req.set_personal_number("1098765432");
  req.set_surname("Berisha");
  req.set_given_name("Driton");
  req.set_birth_date("1990-02-03");
  req.set_position_category("teacher");
  req.set_consent_reference("CONSENT-2026-0042");
  return req;
}

class VettingConsentTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }

  grpc::Status Check(const std::string& identity, const v1::VettingCheckRequest& req,
                     v1::VettingCheckResponse* resp) {
    auto ctx = NewCallContext();
    return v1::VettingService::NewStub(server_->Channel(identity))
        ->VettingCheck(ctx.get(), req, resp);
  }

  // Expects FAILED_PRECONDITION naming `field`, one audit event, no answer.
  void ExpectRefused(const v1::VettingCheckRequest& req, const std::string& field) {
    storage::AuditLog* log = server_->server()->audit_log();
    const uint64_t before = log->CurrentHead().size;
    v1::VettingCheckResponse resp;
    const grpc::Status s = Check("vetting", req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), field)) << s.error_message();
    EXPECT_EQ(resp.result(), v1::VETTING_RESULT_UNSPECIFIED);
    EXPECT_FALSE(resp.has_certificate());
    ASSERT_EQ(log->CurrentHead().size, before + 1);
    const v1::AuditEvent event = StoredEvent(*server_, before);
    EXPECT_EQ(testing::OutcomeName(event), "FAILED_PRECONDITION");
    EXPECT_EQ(event.actor(), kVettingId);
    EXPECT_EQ(event.action(), kVettingCheckMethod);
    EXPECT_TRUE(absl::StrContains(event.detail(), field)) << event.detail();
    EXPECT_TRUE(event.recipient().empty());
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(VettingConsentTest, CheckWithoutConsentNamesConsentReference) {
  v1::VettingCheckRequest req = Candidate();
  req.clear_consent_reference();
  ExpectRefused(req, "consent_reference");
}

TEST_F(VettingConsentTest, PositionCategoryOfAnotherOrganisationIsRefused) {
  v1::VettingCheckRequest req = Candidate();
  // dev-school may check teachers and school staff, not care workers.
  req.set_position_category("care_worker");
  ExpectRefused(req, "position_category");
  req.clear_position_category();
  ExpectRefused(req, "position_category");
}

// "teacher " is the employer's own category typed with a space: it is told so, as
// a consent reference with a space around it is, not that its organisation may not check for
// it; the refusal is audited and nothing is answered about the person.
TEST_F(VettingConsentTest, APositionCategoryWithASpaceAroundItIsRefusedAsSuch) {
  for (const char* category : {"teacher ", " teacher", "teacher\t"}) {
    SCOPED_TRACE(category);
    v1::VettingCheckRequest req = Candidate();
    req.set_position_category(category);
    storage::AuditLog* log = server_->server()->audit_log();
    const uint64_t before = log->CurrentHead().size;
    v1::VettingCheckResponse resp;
    const grpc::Status s = Check("vetting", req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message(), "position_category: begins or ends with a space");
    EXPECT_FALSE(resp.has_certificate());
    ASSERT_EQ(log->CurrentHead().size, before + 1);
    const v1::AuditEvent event = StoredEvent(*server_, before);
    EXPECT_EQ(testing::OutcomeName(event), "INVALID_ARGUMENT");
    EXPECT_TRUE(event.recipient().empty());
  }
}

// A consent reference typed with an en dash for its hyphens is told of the dash, not the
// reference's rule it seems to meet; nothing is answered about the person.
TEST_F(VettingConsentTest, AConsentReferenceWithAnEnDashIsToldToTypeAPlainHyphen) {
  v1::VettingCheckRequest req = Candidate();
  req.set_consent_reference("CONSENT\xE2\x80\x93" "2026\xE2\x80\x93" "0042");
  v1::VettingCheckResponse resp;
  const grpc::Status s = Check("vetting", req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "consent_reference: holds a look-alike of a hyphen (U+2013, an en dash): type a "
            "plain hyphen (-)");
  EXPECT_FALSE(resp.has_certificate());
}

TEST_F(VettingConsentTest, CheckWithConsentAndAllowedCategoryIsAnswered) {
  storage::AuditLog* log = server_->server()->audit_log();
  uint64_t before = log->CurrentHead().size;
  v1::VettingCheckResponse resp;
  grpc::Status s = Check("vetting", Candidate(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.result(), v1::VETTING_RESULT_CLEAR);
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  v1::AuditEvent event = StoredEvent(*server_, before);
  EXPECT_EQ(testing::OutcomeName(event), "OK");
  EXPECT_EQ(event.consent_reference(), "CONSENT-2026-0042");
  EXPECT_EQ(event.recipient(), "dev-school");

  // The category refused to dev-school is the one dev-care-home is allowed.
  v1::VettingCheckRequest care = Candidate();
  care.set_position_category("care_worker");
  before = log->CurrentHead().size;
  s = Check("vetting2", care, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  event = StoredEvent(*server_, before);
  EXPECT_EQ(event.recipient(), "dev-care-home");
}

// One organisation checked four candidates under one stated consent ("CONSENT-2026-001" for four
// personal numbers), each answered. A consent reference is bound to the candidate it was first
// answered for: another candidate under it is refused before any lookup, audited, in words that
// are the same whatever the registry holds about either person, also after a restart; the same
// candidate again is answered; another organisation may use the same text.
TEST_F(VettingConsentTest, AConsentReferenceGivenForOneCandidateIsRefusedForAnother) {
  const std::string refusal =
      "consent_reference: already given for another candidate: each candidate's consent has a "
      "reference of its own";
  const v1::Person registered = ExampleRecord().person();
  CreatedRecordId(*server_, "clerk", ExampleRecord());
  v1::VettingCheckRequest unknown = Candidate();
  ASSERT_NE(unknown.personal_number(), registered.personal_number());
  v1::VettingCheckRequest known = CandidateOf(registered);
  known.set_consent_reference(unknown.consent_reference());
  v1::VettingCheckResponse resp;
  ASSERT_TRUE(Check("vetting", unknown, &resp).ok());
  EXPECT_EQ(resp.result(), v1::VETTING_RESULT_CLEAR);
  // The same candidate under the same consent again: answered.
  ASSERT_TRUE(Check("vetting", unknown, &resp).ok());

  // A registered candidate under the reference of an unregistered one, and the other way round.
  v1::VettingCheckResponse none;
  grpc::Status s = Check("vetting", known, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), refusal);
  EXPECT_FALSE(none.has_certificate());
  ExpectRefused(known, "consent_reference: already given for another candidate");
  known.set_consent_reference("CONSENT-2026-0043");
  ASSERT_TRUE(Check("vetting", known, &resp).ok());
  v1::VettingCheckRequest unknown_under_known = unknown;
  unknown_under_known.set_consent_reference("CONSENT-2026-0043");
  s = Check("vetting", unknown_under_known, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), refusal);
  // Refused before anything was read: the event names no record.
  const v1::AuditEvent event =
      StoredEvent(*server_, server_->server()->audit_log()->CurrentHead().size - 1);
  EXPECT_EQ(testing::OutcomeName(event), "FAILED_PRECONDITION");
  EXPECT_EQ(event.record_ids_size(), 0);

  // Another organisation may state the same text for another candidate.
  v1::VettingCheckRequest care = known;
  care.set_consent_reference(unknown.consent_reference());
  care.set_position_category("care_worker");
  ASSERT_TRUE(Check("vetting2", care, &resp).ok());

  // Kept across a restart: the binding is stored, not only in memory.
  ASSERT_TRUE(server_->Restart().ok());
  known.set_consent_reference(unknown.consent_reference());
  s = Check("vetting", known, &resp);
  EXPECT_EQ(s.error_message(), refusal);
  ASSERT_TRUE(Check("vetting", unknown, &resp).ok());
}

// Bad input first (row 111): a candidate with a bad name under a consent reference already given
// for another candidate is told what is wrong with the name, not that the reference is taken;
// the reference stays the first candidate's.
TEST_F(VettingConsentTest, ABadNameUnderABoundConsentReferenceIsToldAsBadInput) {
  v1::VettingCheckRequest first = Candidate();
  v1::VettingCheckResponse resp;
  ASSERT_TRUE(Check("vetting", first, &resp).ok());
  v1::VettingCheckRequest other = CandidateOf(ExampleRecord().person());
  ASSERT_NE(other.personal_number(), first.personal_number());
  other.set_consent_reference(first.consent_reference());
  other.set_surname("Hox\u0299a");  // small capital B
  v1::VettingCheckResponse none;
  const grpc::Status s = Check("vetting", other, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "surname")) << s.error_message();
  EXPECT_FALSE(none.has_certificate());
  // With the name put right, the reference is still the first candidate's.
  other.set_surname(ExampleRecord().person().surname());
  ExpectRefused(other, "consent_reference: already given for another candidate");
  ASSERT_TRUE(Check("vetting", first, &resp).ok());
}

}  // namespace
}  // namespace registry::testing
