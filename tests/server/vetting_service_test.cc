// VettingService through a real registryd (mTLS, RocksDB, audit log) with a fake clock set to
// 2026-06-01: the result codes and when each applies, minimal disclosure (the answer's bytes do
// not depend on what the record says), refusals that write nothing but their audit event, the
// signed certificate, the audit event of a check, and the data subject's view of who checked them.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/time_format.h"
#include "crypto/aes_gcm.h"
#include "crypto/ed25519.h"
#include "crypto/secret_bytes.h"
#include "crypto/vetting_certificate.h"
#include "gmock/gmock.h"
#include "common/deterministic_bytes.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "storage/check_store.h"
#include "storage/database.h"
#include "storage/stored.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kListMethod[] = "/registry.v1.VettingService/ListChecksAboutPerson";
constexpr char kRequestRef[] = "DSR-2026-7";

absl::Time At(int y, int m, int d, int hour = 9) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), absl::UTCTimeZone());
}

v1::VettingCheckRequest CandidateOf(const v1::Person& person) {
  return ::registry::testing::CandidateOf(person, "C-1");
}

// A candidate no record names.
v1::VettingCheckRequest UnknownCandidate() {
  v1::VettingCheckRequest req;
  req.set_personal_number("5555555555");
  req.set_surname("Rexhepi");
  req.set_given_name("Drita");
  req.set_birth_date("1990-02-03");
  req.set_position_category("teacher");
  req.set_consent_reference("C-1");
  return req;
}

// A record that differs from ExampleRecord() in everything a record can say: another person,
// a foreign court, other laws, articles, sentence, bans, dates and case number.
v1::CreateRecordRequest VeryDifferentRecord() {
  v1::CreateRecordRequest r;
  v1::Person* p = r.mutable_person();
  p->set_surname("Gashi");
  p->set_given_name("Luan");
  p->set_father_name("Hasan");
  p->add_aliases("Luani");
  p->set_sex(v1::SEX_MALE);
  p->set_birth_date("1975-11-30");
  p->set_birth_place("Gjakovë");
  p->add_citizenships("XK");
  p->add_citizenships("AL");
  p->set_personal_number("2000000007");
  p->set_last_known_address("Rr. Nëna Terezë 3, Gjakovë");
  v1::Conviction* c = r.mutable_conviction();
  c->set_court_id("foreign");
  c->set_foreign_court("Landgericht Berlin");
  c->set_foreign_country("DE");
  c->set_case_number("KLs 512 Js 4471/19");
  c->set_judgment_date("2018-02-11");
  c->set_final_date("2018-09-30");
  v1::Offence* o1 = c->add_offences();
  o1->set_law("04/L-082");
  o1->set_article(237);
  v1::Offence* o2 = c->add_offences();
  o2->set_law("04/L-082");
  o2->set_article(236);
  c->mutable_sentence()->set_type(v1::SENTENCE_TYPE_SUSPENDED);
  c->mutable_sentence()->set_months(24);
  v1::AccessoryBan* lifelong = c->add_bans();
  lifelong->set_type(v1::BAN_TYPE_WORK_WITH_CHILDREN);  // no end date: for life
  v1::AccessoryBan* contact = c->add_bans();
  contact->set_type(v1::BAN_TYPE_CONTACT_WITH_VICTIM);
  contact->set_end_date("2030-01-01");
  return r;
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

class VettingServiceTest : public ::testing::Test {
 protected:
  struct Reply {
    grpc::Status status;
    v1::VettingCheckResponse response;
  };

  void SetUp() override {
    server_ = TestServer::Start(TestServerOptions::OnClock(&clock_));
  }

  v1::VettingService::Stub* Vetting(const std::string& identity) {
    auto& stub = vetting_stubs_[identity];
    if (stub == nullptr) stub = v1::VettingService::NewStub(server_->Channel(identity));
    return stub.get();
  }
  v1::RecordService::Stub* Records(const std::string& identity) {
    auto& stub = record_stubs_[identity];
    if (stub == nullptr) stub = v1::RecordService::NewStub(server_->Channel(identity));
    return stub.get();
  }

  // A request with this file's consent reference "C-1" is sent with the candidate's own
  // (ConsentFor): a consent reference is one candidate's.
  Reply Check(const v1::VettingCheckRequest& req, const std::string& identity = "vetting") {
    Reply reply;
    grpc::ClientContext ctx;
    v1::VettingCheckRequest sent = req;
    if (sent.consent_reference() == "C-1") {
      sent.set_consent_reference(ConsentFor(sent.personal_number(), "C-1"));
    }
    reply.status = Vetting(identity)->VettingCheck(&ctx, sent, &reply.response);
    return reply;
  }

  // The result of a check that must succeed.
  v1::VettingResult ResultOf(const v1::VettingCheckRequest& req) {
    const Reply reply = Check(req);
    EXPECT_TRUE(reply.status.ok()) << reply.status.error_message();
    EXPECT_EQ(reply.response.certificate().certificate().result(), reply.response.result());
    return reply.response.result();
  }

  // Expunges record `id` as the clerk; the expunge must succeed.
  void ExpungeAsClerk(const std::string& id) {
    grpc::ClientContext ctx;
    v1::ExpungeRecordRequest req;
    req.set_record_id(id);
    req.set_legal_basis("CC 04/L-082 art. 103");
    v1::ExpungeRecordResponse resp;
    const grpc::Status s = Records("clerk")->ExpungeRecord(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::string CreateRecord(const v1::CreateRecordRequest& req) {
    grpc::ClientContext ctx;
    v1::CreateRecordResponse resp;
    const grpc::Status s = Records("clerk")->CreateRecord(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record_id();
  }

  v1::Record ClerkGet(const std::string& id) {
    grpc::ClientContext ctx;
    v1::GetRecordRequest req;
    req.set_record_id(id);
    v1::GetRecordResponse resp;
    const grpc::Status s = Records("clerk")->GetRecord(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record();
  }

  grpc::Status Dispute(const std::string& id) {
    grpc::ClientContext ctx;
    v1::DisputeRecordRequest req;
    req.set_record_id(id);
    req.set_reason("the person states the conviction concerns a namesake");
    v1::RecordStatusResponse resp;
    return Records("clerk")->DisputeRecord(&ctx, req, &resp);
  }

  grpc::Status ListChecks(const std::string& personal_number, const std::string& reference,
                          v1::ListChecksAboutPersonResponse* resp,
                          const std::string& identity = "clerk", uint32_t page_size = 0,
                          const std::string& page_token = "") {
    grpc::ClientContext ctx;
    v1::ListChecksAboutPersonRequest req;
    req.set_personal_number(personal_number);
    req.set_request_reference(reference);
    req.set_page_size(page_size);
    req.set_page_token(page_token);
    return Vetting(identity)->ListChecksAboutPerson(&ctx, req, resp);
  }

  // The person's whole history, every page of `page_size` (0: the default) followed.
  std::vector<v1::CheckSummary> ChecksAbout(const std::string& personal_number,
                                            uint32_t page_size = 0) {
    std::vector<v1::CheckSummary> checks;
    std::string token;
    do {
      v1::ListChecksAboutPersonResponse resp;
      const grpc::Status s =
          ListChecks(personal_number, kRequestRef, &resp, "clerk", page_size, token);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      checks.insert(checks.end(), resp.checks().begin(), resp.checks().end());
      if (!resp.next_page_token().empty() && resp.next_page_token() == token) {
        ADD_FAILURE() << "the same page token again";
        break;
      }
      token = resp.next_page_token();
    } while (!token.empty());
    return checks;
  }

  v1::PublicKey PublicKey() {
    grpc::ClientContext ctx;
    v1::PublicKey key;
    const grpc::Status s = Vetting("vetting")->GetVettingPublicKey(&ctx, {}, &key);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return key;
  }

  uint64_t AuditSize() { return server_->server()->audit_log()->CurrentHead().size; }

  std::string EventBytes(uint64_t index) {
    absl::StatusOr<std::string> bytes = server_->server()->audit_log()->ReadEvent(index);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : "";
  }

  v1::AuditEvent Event(uint64_t index) {
    v1::AuditEvent event;
    EXPECT_TRUE(event.ParseFromString(EventBytes(index)));
    return event;
  }

  // Every entry of the families that hold records and checks ("family/key" -> value).
  std::map<std::string, std::string> DataFamilies() {
    std::map<std::string, std::string> all;
    for (storage::Cf cf : {storage::Cf::kRecords, storage::Cf::kVersions, storage::Cf::kIndex,
                           storage::Cf::kExpiry, storage::Cf::kChecks}) {
      auto it = server_->server()->database()->NewIterator(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        all[absl::StrCat(storage::CfName(cf), "/", std::string(it->key()))] = std::string(it->value());
      }
      EXPECT_TRUE(it->status().ok());
    }
    return all;
  }

  // Declared before the server, which holds a pointer to it.
  FakeClock clock_{At(2026, 6, 1)};
  std::unique_ptr<TestServer> server_;
  std::map<std::string, std::unique_ptr<v1::VettingService::Stub>> vetting_stubs_;
  std::map<std::string, std::unique_ptr<v1::RecordService::Stub>> record_stubs_;
};

// --- Result codes ------------------------------------------------------------------------------

TEST_F(VettingServiceTest, UnknownPersonIsClear) {
  CreateRecord(ExampleRecord());  // someone else
  EXPECT_EQ(ResultOf(UnknownCandidate()), v1::VETTING_RESULT_CLEAR);
}

TEST_F(VettingServiceTest, ActiveRecordInItsVisiblePeriodIsNotClear) {
  const std::string id = CreateRecord(ExampleRecord());
  const v1::Record record = ClerkGet(id);
  ASSERT_EQ(record.metadata().status(), v1::RECORD_STATUS_ACTIVE);
  absl::StatusOr<absl::CivilDay> until = ParseDate(record.metadata().employer_visible_until());
  ASSERT_TRUE(until.ok()) << record.metadata().employer_visible_until();
  ASSERT_LE(KosovoDay(clock_.Now()), *until);
  EXPECT_EQ(ResultOf(CandidateOf(ExampleRecord().person())), v1::VETTING_RESULT_NOT_CLEAR);
}

TEST_F(VettingServiceTest, IdentityMismatchOnAnyFieldIsReferNeverClear) {
  CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest exact = CandidateOf(ExampleRecord().person());
  v1::VettingCheckRequest surname = exact;
  surname.set_surname("Krasniqi");
  v1::VettingCheckRequest given = exact;
  given.set_given_name("Arbër");
  v1::VettingCheckRequest birth = exact;
  birth.set_birth_date("1980-04-13");
  for (const auto& [what, req] : std::vector<std::pair<std::string, v1::VettingCheckRequest>>{
           {"surname", surname}, {"given name", given}, {"birth date", birth}}) {
    SCOPED_TRACE(what);
    EXPECT_EQ(ResultOf(req), v1::VETTING_RESULT_REFER);
  }
}

// A REFER leaves the employer waiting on the registry: the answer says whom to contact (the
// policy's contact for the organisation's region); no other answer names anyone.
TEST_F(VettingServiceTest, AReferNamesTheContactOfTheOrganisationsRegion) {
  CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest exact = CandidateOf(ExampleRecord().person());
  v1::VettingCheckRequest mismatch = exact;
  mismatch.set_given_name("Artan");
  Reply refer = Check(mismatch);
  ASSERT_TRUE(refer.status.ok()) << refer.status.error_message();
  ASSERT_EQ(refer.response.result(), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(refer.response.refer_contact(),
            "KJC registry office Prishtinë (development), referrals-prishtine@registry.kjc.dev");
  // Another organisation, another region.
  v1::VettingCheckRequest care = mismatch;
  care.set_position_category("care_worker");
  Reply other = Check(care, "vetting2");
  ASSERT_TRUE(other.status.ok()) << other.status.error_message();
  EXPECT_EQ(other.response.refer_contact(),
            "KJC registry office Prizren (development), referrals-prizren@registry.kjc.dev");
  Reply not_clear = Check(exact);
  ASSERT_EQ(not_clear.response.result(), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(not_clear.response.refer_contact(), "");
  // Neither the number nor the name and birth date are in any record.
  Reply clear = Check(UnknownCandidate());
  ASSERT_EQ(clear.response.result(), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(clear.response.refer_contact(), "");
}

TEST_F(VettingServiceTest, DisputedRecordIsReferUntilResolved) {
  const std::string id = CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest candidate = CandidateOf(ExampleRecord().person());
  ASSERT_EQ(ResultOf(candidate), v1::VETTING_RESULT_NOT_CLEAR);

  const grpc::Status disputed = Dispute(id);
  ASSERT_TRUE(disputed.ok()) << disputed.error_message();
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_REFER);

  grpc::ClientContext ctx;
  v1::ResolveDisputeRequest resolve;
  resolve.set_record_id(id);
  resolve.set_reason("identity confirmed by the court file");
  v1::RecordStatusResponse resp;
  const grpc::Status resolved = Records("clerk")->ResolveDispute(&ctx, resolve, &resp);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_NOT_CLEAR);
}

TEST_F(VettingServiceTest, ClearAfterTheVisiblePeriodWhileCourtsStillSeeTheRecord) {
  const std::string id = CreateRecord(ExampleRecord());
  const std::string until_text = ClerkGet(id).metadata().employer_visible_until();
  absl::StatusOr<absl::CivilDay> until = ParseDate(until_text);
  ASSERT_TRUE(until.ok()) << until_text;
  const v1::VettingCheckRequest candidate = CandidateOf(ExampleRecord().person());

  // The last visible day still counts, to its last minute in Kosovo; the next day begins at
  // midnight there, an hour or two before UTC's.
  clock_.Set(KosovoMidnight(*until + 1) - absl::Minutes(1));
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_NOT_CLEAR);

  clock_.Set(KosovoMidnight(*until + 1));
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_CLEAR);

  grpc::ClientContext ctx;
  v1::GetRecordRequest get;
  get.set_record_id(id);
  get.mutable_purpose()->set_case_reference("PKR 1/2026");
  get.mutable_purpose()->set_purpose_code("criminal_proceedings");
  v1::GetRecordResponse resp;
  const grpc::Status s = Records("court")->GetRecord(&ctx, get, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.record().metadata().record_id(), id);
  EXPECT_EQ(resp.record().person().personal_number(), ExampleRecord().person().personal_number());
}

// A ban for life on work with children outlasts every finite ban: decades after a fine (the
// lightest sentence, whose own periods are long over) the employer still learns of it, and the
// record is not due for deletion.
TEST_F(VettingServiceTest, ABanForLifeOnWorkWithChildrenIsNotClearDecadesLater) {
  const v1::CreateRecordRequest record = testing::OldFineWithAChildrenBan("");  // for life
  const std::string id = CreateRecord(record);
  ASSERT_FALSE(id.empty());
  const v1::Record stored = ClerkGet(id);
  EXPECT_EQ(stored.metadata().employer_visible_until(), "2105-03-01");
  EXPECT_EQ(stored.metadata().delete_after(), "2105-03-02");  // the day after: never on it
  const v1::VettingCheckRequest candidate = CandidateOf(record.person());
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_NOT_CLEAR);
  clock_.Set(At(2090, 6, 1));
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_NOT_CLEAR);
}

TEST_F(VettingServiceTest, ExpungedRecordIsClear) {
  const std::string id = CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest candidate = CandidateOf(ExampleRecord().person());
  ASSERT_EQ(ResultOf(candidate), v1::VETTING_RESULT_NOT_CLEAR);
  ASSERT_NO_FATAL_FAILURE(ExpungeAsClerk(id));
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_CLEAR);
}

TEST_F(VettingServiceTest, NameVariantsStillMatch) {
  CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest exact = CandidateOf(ExampleRecord().person());
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"KERQELI", "Arben"}, {"kerqeli", "arben"}, {"KËRQELI", "ARBEN"}, {"Kerqeli", "Arben"}}) {
    SCOPED_TRACE(surname + " " + given);
    v1::VettingCheckRequest req = exact;
    req.set_surname(surname);
    req.set_given_name(given);
    EXPECT_EQ(ResultOf(req), v1::VETTING_RESULT_NOT_CLEAR);
  }
}

// --- Minimal disclosure ------------------------------------------------------------------------

// The response without what is random (ids, signature) or echoed from the request.
std::string WithoutRequestEchoAndRandomness(v1::VettingCheckResponse r) {
  r.clear_check_id();
  v1::SignedVettingCertificate* signed_cert = r.mutable_certificate();
  signed_cert->clear_signature();
  v1::VettingCertificate* c = signed_cert->mutable_certificate();
  c->clear_certificate_id();
  c->clear_personal_number();
  c->clear_surname();
  c->clear_given_name();
  c->clear_birth_date();
  return DeterministicBytes(r);
}

// --- A record naming the candidate under another personal number ------------------------------

// ExampleRecord's conviction (visible to employers until 2034), of `surname` `given_name`, born
// `birth_date`, under `personal_number`.
v1::CreateRecordRequest RecordOf(const std::string& personal_number, const std::string& surname,
                                 const std::string& given_name, const std::string& birth_date,
                                 const std::string& case_number = "P 1/2024") {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_personal_number(personal_number);
  r.mutable_person()->set_surname(surname);
  r.mutable_person()->set_given_name(given_name);
  r.mutable_person()->set_birth_date(birth_date);
  r.mutable_person()->clear_aliases();
  r.mutable_conviction()->set_case_number(case_number);
  return r;
}

constexpr char kThaci[] = "Tha\xc3\xa7i";  // Thaçi

// The KJC legal review's case: the person is registered under 4000000001; a check under
// 4000000099 (a number mistyped in the judgment or the record, or a false one from the
// candidate) with exactly that name and birth date used to be a signed CLEAR. It refers, as any
// REFER does: the reply and the history say nothing of the other number or its record.
// A record of two given names ("Ali Arben") names a candidate who gives one of them, or both in
// the other order, and a record of one names a candidate who gives it with another: under
// another number it refers, never CLEAR as before; under the candidate's own number the name is
// not the record's exact name, so it refers there too, never NOT_CLEAR.
TEST_F(VettingServiceTest, ACandidateNamedByOneOfTwoGivenNamesIsReferNeverClear) {
  ASSERT_FALSE(CreateRecord(RecordOf("4000000201", "Mehmeti", "Ali Arben", "1982-02-02")).empty());
  ASSERT_FALSE(CreateRecord(RecordOf("4000000202", "Hoti", "Besnik", "1982-02-02")).empty());
  v1::VettingCheckRequest candidate = CandidateOf(ExampleRecord().person());
  candidate.set_personal_number("4000000299");
  candidate.set_birth_date("1982-02-02");
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Mehmeti", "Arben"}, {"Mehmeti", "Ali"}, {"Mehmeti", "Arben Ali"},
           {"Hoti", "Besnik Ali"}}) {
    SCOPED_TRACE(surname + " " + given);
    candidate.set_surname(surname);
    candidate.set_given_name(given);
    candidate.set_consent_reference(absl::StrCat("C-", surname, "-", given));
    EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_REFER);
  }
  candidate.set_personal_number("4000000201");
  candidate.set_surname("Mehmeti");
  candidate.set_given_name("Arben");
  candidate.set_consent_reference("C-own-Arben");
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_REFER);
  candidate.set_given_name("Ali Arben");
  candidate.set_consent_reference("C-own-Ali-Arben");
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_NOT_CLEAR);
  candidate.set_personal_number("4000000299");
  candidate.set_given_name("Besnik");
  candidate.set_consent_reference("C-Besnik");
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_CLEAR);
}

// The candidate's name under `personal_number`, born `birth_date`, with a consent reference of
// its own (another on each call).
v1::VettingCheckRequest NamedCandidate(const std::string& personal_number,
                                       const std::string& surname, const std::string& given_name,
                                       const std::string& birth_date) {
  v1::VettingCheckRequest candidate = CandidateOf(ExampleRecord().person());
  candidate.set_personal_number(personal_number);
  candidate.set_surname(surname);
  candidate.set_given_name(given_name);
  candidate.set_birth_date(birth_date);
  static int consents = 0;
  candidate.set_consent_reference(absl::StrCat("C-named-", ++consents));
  return candidate;
}

// A personal number no record is under, another on each call: each check of one is its own
// person's (the daily limit on checks of one person stays out of the way).
std::string Another() {
  static int n = 0;
  return absl::StrCat("40000009", 10 + n++ % 90);
}

// A name whose words the employer (or the candidate) puts in the other field ("Arben, Krasniqi"
// for "Krasniqi, Arben"; "Krasniqi, Ali Arben" for "Krasniqi Ali, Arben"), under another number,
// with the record's birth date: the record names the candidate, so it refers (before, a signed
// CLEAR), never NOT_CLEAR. Under the record's own number it is a name mismatch, REFER as before;
// the name as registered decides there. Other words, or another birth date, are someone else.
TEST_F(VettingServiceTest, ACandidateWhoseNameWordsAreInTheOtherFieldIsReferNeverClear) {
  ASSERT_FALSE(CreateRecord(RecordOf("4000000301", "Krasniqi", "Arben", "1982-03-03")).empty());
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000302", "Krasniqi Ali", "Arben", "1982-03-04")).empty());
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Arben", "Krasniqi", "1982-03-03"}, {"Krasniqi", "Ali Arben", "1982-03-04"},
           {"Arben", "Krasniqi Ali", "1982-03-04"}, {"Ali Arben", "Krasniqi", "1982-03-04"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000301", "Arben", "Krasniqi", "1982-03-03")),
            v1::VETTING_RESULT_REFER);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000301", "Krasniqi", "Arben", "1982-03-03")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Arben", "Krasniqi", "1982-03-05")),
            v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Arben", "Gashi", "1982-03-03")),
            v1::VETTING_RESULT_CLEAR);
}

// A record of two surnames ("Hoxha Berisha", or "Hoxha-Berisha") names a candidate who gives one
// of them with the same given name and birth date, and a record of one surname a candidate who
// gives it with another: under another number it refers (before, a signed CLEAR), never
// NOT_CLEAR; under the record's own number one surname is a name mismatch, REFER as before.
TEST_F(VettingServiceTest, ACandidateWhoGivesOneOfTwoSurnamesIsReferNeverClear) {
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000401", "Hoxha Berisha", "Arben", "1982-04-04")).empty());
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000402", "Gashi-Morina", "Drita", "1982-04-05")).empty());
  ASSERT_FALSE(CreateRecord(RecordOf("4000000403", "Kelmendi", "Besnik", "1982-04-06")).empty());
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Berisha", "Arben", "1982-04-04"}, {"Hoxha", "Arben", "1982-04-04"},
           {"Morina", "Drita", "1982-04-05"}, {"Gashi", "Drita", "1982-04-05"},
           {"Kelmendi Hoti", "Besnik", "1982-04-06"}, {"Hoti-Kelmendi", "Besnik", "1982-04-06"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000401", "Berisha", "Arben", "1982-04-04")),
            v1::VETTING_RESULT_REFER);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000401", "Hoxha-Berisha", "Arben", "1982-04-04")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Berisha", "Arben", "1982-04-07")),
            v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Berisha", "Besnik", "1982-04-04")),
            v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Hoti", "Besnik", "1982-04-06")),
            v1::VETTING_RESULT_CLEAR);
}

// A given name or surname of two words written as one ("AliArben", "HoxhaBerisha"), or one
// written as two, with the same birth date: under another number the record refers (before, a
// signed CLEAR), never NOT_CLEAR; under its own number the joined spelling is a name mismatch,
// REFER as before, and a hyphen for the space is the name itself.
TEST_F(VettingServiceTest, ACandidateWhoseNameWordsAreJoinedOrSplitIsReferNeverClear) {
  ASSERT_FALSE(CreateRecord(RecordOf("4000000501", "Gashi", "Ali Arben", "1982-05-05")).empty());
  ASSERT_FALSE(CreateRecord(RecordOf("4000000502", "Morina", "LuanDren", "1982-05-06")).empty());
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000503", "HoxhaBerisha", "Besnik", "1982-05-07")).empty());
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000504", "Hoti Kelmendi", "Drita", "1982-05-08")).empty());
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Gashi", "AliArben", "1982-05-05"}, {"Morina", "Luan Dren", "1982-05-06"},
           {"Morina", "Luan-Dren", "1982-05-06"}, {"Hoxha Berisha", "Besnik", "1982-05-07"},
           {"Hoxha-Berisha", "Besnik", "1982-05-07"}, {"HotiKelmendi", "Drita", "1982-05-08"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000501", "Gashi", "AliArben", "1982-05-05")),
            v1::VETTING_RESULT_REFER);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000501", "Gashi", "Ali-Arben", "1982-05-05")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Gashi", "AliArben", "1982-05-09")),
            v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Gashi", "AlArben", "1982-05-05")),
            v1::VETTING_RESULT_CLEAR);
}

// D with stroke typed as a plain D ("Duric" for "Đurić", "Dokic Dorde" for "Ђокић Ђорђе", or
// one of two so typed), with the same birth date: under another number the record refers
// (before, a signed CLEAR, where every other letter typed without its mark referred), never
// NOT_CLEAR; another birth date or another name is still CLEAR.
TEST_F(VettingServiceTest, ACandidateWithAPlainDForDWithStrokeIsReferNeverClear) {
  ASSERT_FALSE(CreateRecord(RecordOf("4000000601", "Đurić", "Nenad", "1988-08-08")).empty());
  ASSERT_FALSE(CreateRecord(RecordOf("4000000602", "Ђокић", "Ђорђе", "1979-01-02")).empty());
  ASSERT_FALSE(CreateRecord(RecordOf("4000000603", "Djukić", "Ana", "1990-03-04")).empty());
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Duric", "Nenad", "1988-08-08"}, {"DURIC", "Nenad", "1988-08-08"},
           {"Durić", "Nenad", "1988-08-08"}, {"Dokic", "Dorde", "1979-01-02"},
           {"Đokić", "Đorde", "1979-01-02"}, {"Dokić", "Đorđe", "1979-01-02"},
           {"Dukic", "Ana", "1990-03-04"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000601", "Duric", "Nenad", "1988-08-08")),
            v1::VETTING_RESULT_REFER);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Duric", "Nenad", "1988-08-09")),
            v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Doric", "Nenad", "1988-08-08")),
            v1::VETTING_RESULT_CLEAR);
}

// Two of the other ways of writing a name combined (one of two surnames with one of two given
// names, the words swapped and one left out, a field joined and the words swapped, an extra
// word, a plain D for Đ with the words swapped): a candidate who shares any two words of the
// record's name and its birth date, under another number, is referred (before, each a signed
// CLEAR, where each way alone referred), never NOT_CLEAR; under the record's own number the
// exact name still decides and the others are a name mismatch, REFER as before; one shared
// word, or two with another birth date, is still CLEAR.
TEST_F(VettingServiceTest, ACandidateWhoSharesAnyTwoWordsOfARecordsNameIsReferNeverClear) {
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000701", "Hoti Morina", "Ali Arben", "1984-06-06")).empty());
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000702", "Đurić Hoti", "Nenad", "1986-02-02")).empty());
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Hoti", "Arben", "1984-06-06"}, {"Arben", "Hoti", "1984-06-06"},
           {"AliArben", "Morina", "1984-06-06"}, {"Hoti Morina Xhafa", "Arben", "1984-06-06"},
           {"Morina", "Ali", "1984-06-06"}, {"Ali", "Arben", "1984-06-06"},
           {"HotiMorina", "Besnik Ali", "1984-06-06"}, {"Nenad", "Duric", "1986-02-02"},
           {"Nenad", "DuricHoti", "1986-02-02"}, {"Nenad", "Hoti", "1986-02-02"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000701", "Hoti Morina", "Ali Arben", "1984-06-06")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000701", "Hoti", "Arben", "1984-06-06")),
            v1::VETTING_RESULT_REFER);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000702", "Nenad", "Duric", "1986-02-02")),
            v1::VETTING_RESULT_REFER);
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Hoti", "Besnik", "1984-06-06"}, {"Gashi", "Arben", "1984-06-06"},
           {"Hoti", "Hoti", "1984-06-06"}, {"Hotimorin", "Arben", "1984-06-06"},
           {"Hoti", "Arben", "1984-06-07"}, {"Arben Ali", "Hoti", "1984-06-05"},
           {"Nenad", "Duric", "1986-02-03"}}) {
    SCOPED_TRACE(surname + ", " + given + " " + born);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_CLEAR);
  }
}

TEST_F(VettingServiceTest, ARecordNamingTheCandidateUnderAnotherNumberIsReferNeverClear) {
  const std::string id = CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15"));
  ASSERT_FALSE(id.empty());
  v1::VettingCheckRequest candidate = CandidateOf(ExampleRecord().person());
  candidate.set_personal_number("4000000099");
  candidate.set_surname(kThaci);
  candidate.set_given_name("Dardan");
  candidate.set_birth_date("1985-07-15");
  const uint64_t before = AuditSize();
  const Reply refer = Check(candidate);
  ASSERT_TRUE(refer.status.ok()) << refer.status.error_message();
  EXPECT_EQ(refer.response.result(), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(refer.response.certificate().certificate().result(), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(refer.response.certificate().certificate().personal_number(), "4000000099");
  // The registry's verification by hand starts from the check's audit event, which names the
  // record that referred it.
  const v1::AuditEvent event = Event(before);
  EXPECT_THAT(event.record_ids(), ::testing::ElementsAre(id));
  EXPECT_EQ(event.tokens_size(), 1);

  // The check is in the candidate's history (the number asked about), and in that of the person
  // whose record referred it (ACheckReferredByARecordUnderAnotherNumberIsInThatPersonsHistory).
  const std::vector<v1::CheckSummary> history = ChecksAbout("4000000099");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].check_id(), refer.response.check_id());
  EXPECT_EQ(history[0].result(), v1::VETTING_RESULT_REFER);

  // Byte for byte the REFER a record under the number that names someone else gives.
  v1::VettingCheckRequest namesake = candidate;
  namesake.set_personal_number("4000000001");
  namesake.set_given_name("Arben");
  const Reply other_refer = Check(namesake);
  ASSERT_EQ(other_refer.response.result(), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(WithoutRequestEchoAndRandomness(refer.response),
            WithoutRequestEchoAndRandomness(other_refer.response));

  // Another birth date is another person: nothing names them.
  v1::VettingCheckRequest born_later = candidate;
  born_later.set_birth_date("1985-07-16");
  EXPECT_EQ(ResultOf(born_later), v1::VETTING_RESULT_CLEAR);
}

// A probe of a registered person's name and birth date under a made-up number is in that
// person's own history (docs/security.md row 13): the REFER their record gave is entered under
// their number too, in the check's batch, while the employer's reply and the audit event are what
// they were (the event names the asked number's token only).
TEST_F(VettingServiceTest, ACheckReferredByARecordUnderAnotherNumberIsInThatPersonsHistory) {
  const std::string id = CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15"));
  ASSERT_FALSE(id.empty());
  const v1::VettingCheckRequest probe =
      CandidateOf(RecordOf("4000000099", kThaci, "Dardan", "1985-07-15").person());
  const uint64_t before = AuditSize();
  const Reply refer = Check(probe);
  ASSERT_TRUE(refer.status.ok()) << refer.status.error_message();
  ASSERT_EQ(refer.response.result(), v1::VETTING_RESULT_REFER);
  const v1::AuditEvent event = Event(before);
  EXPECT_EQ(event.tokens_size(), 1);

  const std::vector<v1::CheckSummary> theirs = ChecksAbout("4000000001");
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].check_id(), refer.response.check_id());
  EXPECT_EQ(theirs[0].organisation(), "dev-school");
  EXPECT_EQ(theirs[0].result(), v1::VETTING_RESULT_REFER);
  EXPECT_TRUE(theirs[0].asked_under_another_number());
  EXPECT_EQ(theirs[0].status_code(), 0);

  // A CLEAR (another birth date: nothing names the probe) is not theirs.
  v1::VettingCheckRequest born_later = probe;
  born_later.set_birth_date("1985-07-16");
  ASSERT_EQ(ResultOf(born_later), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ChecksAbout("4000000001").size(), 1u);
}

// The deciding record ids of every stored entry of check `check_id` (the asked number's and each
// copy in another person's history), as the holder of the key file reads them: the entry asked
// under the number first, then the copies, each as a sorted list.
std::vector<std::vector<std::string>> DecidingIdsOfEntries(const TestServer& server,
                                                           storage::Database* db,
                                                           const std::string& check_id) {
  const crypto::SecretBytes key = DerivedKeyOf(server, storage::kCheckStoreKeyPurpose);
  absl::StatusOr<std::unique_ptr<storage::CheckStore>> checks =
      storage::CheckStore::Create(db, key);
  absl::StatusOr<std::unique_ptr<crypto::AesGcm>> aead = crypto::AesGcm::Create(key);
  EXPECT_TRUE(checks.ok() && aead.ok());
  if (!checks.ok() || !aead.ok()) return {};
  std::vector<std::vector<std::string>> asked;
  std::vector<std::vector<std::string>> copies;
  std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kChecks);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    // Each history's copy has a slot of its own: every entry is opened.
    absl::StatusOr<std::string> plain = (*aead)->Decrypt(it->value(), it->key());
    EXPECT_TRUE(plain.ok()) << plain.status();
    storage::StoredCheck check;
    EXPECT_TRUE(plain.ok() && check.ParseFromString(*plain));
    if (check.summary().check_id() != check_id) continue;
    std::vector<std::string> ids(check.deciding_record_ids().begin(),
                                 check.deciding_record_ids().end());
    std::sort(ids.begin(), ids.end());
    (check.summary().asked_under_another_number() ? copies : asked).push_back(std::move(ids));
  }
  EXPECT_TRUE(it->status().ok()) << it->status();
  std::sort(copies.begin(), copies.end());
  asked.insert(asked.end(), copies.begin(), copies.end());
  return asked;
}

// A REFER given by a record under the asked number (naming someone else) and by two namesakes'
// records under numbers of their own. Each namesake's copy of the check named every deciding
// record, the other namesake's and the asked number's too: an erasure of any of them withheld
// the REFER in every copy, and a copy named records that are not its person's. Each copy now
// names its person's own record only, and stays shown while that record is stored; so does the
// asked number's entry, withheld once its own record is erased and not when a namesake's is.
TEST_F(VettingServiceTest, EachNamesakesCopyOfAReferNamesOnlyTheirOwnRecord) {
  const std::string own =
      CreateRecord(RecordOf("4000000099", kThaci, "Arben", "1985-07-15", "P 9/2024"));
  const std::string a =
      CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15", "P 1/2024"));
  const std::string b =
      CreateRecord(RecordOf("4000000002", kThaci, "Dardan", "1985-07-15", "P 2/2024"));
  ASSERT_FALSE(own.empty());
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const Reply refer =
      Check(CandidateOf(RecordOf("4000000099", kThaci, "Dardan", "1985-07-15").person()));
  ASSERT_TRUE(refer.status.ok()) << refer.status.error_message();
  ASSERT_EQ(refer.response.result(), v1::VETTING_RESULT_REFER);
  const std::string check_id = refer.response.check_id();

  std::vector<std::vector<std::string>> copies = {{a}, {b}};
  std::sort(copies.begin(), copies.end());
  const std::vector<std::vector<std::string>> entries =
      DecidingIdsOfEntries(*server_, server_->server()->database(), check_id);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0], std::vector<std::string>{own});
  EXPECT_EQ(std::vector<std::vector<std::string>>(entries.begin() + 1, entries.end()), copies);

  // The entry of `number` for the check: its result, and whether it is withheld.
  const auto entry_of = [&](const std::string& number) {
    const std::vector<v1::CheckSummary> history = ChecksAbout(number);
    EXPECT_EQ(history.size(), 1u) << number;
    v1::CheckSummary entry;
    if (!history.empty()) entry = history[0];
    EXPECT_EQ(entry.check_id(), check_id) << number;
    return entry;
  };
  // The asked number's own record goes: the namesakes' REFERs stay theirs.
  ASSERT_NO_FATAL_FAILURE(ExpungeAsClerk(own));
  EXPECT_TRUE(entry_of("4000000099").result_withheld());
  for (const char* number : {"4000000001", "4000000002"}) {
    const v1::CheckSummary entry = entry_of(number);
    EXPECT_EQ(entry.result(), v1::VETTING_RESULT_REFER) << number;
    EXPECT_FALSE(entry.result_withheld()) << number;
    EXPECT_TRUE(entry.asked_under_another_number()) << number;
  }
  // Namesake A's record goes: A's copy is withheld, B's is still B's REFER.
  ASSERT_NO_FATAL_FAILURE(ExpungeAsClerk(a));
  const v1::CheckSummary of_a = entry_of("4000000001");
  EXPECT_EQ(of_a.result(), v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(of_a.result_withheld());
  const v1::CheckSummary of_b = entry_of("4000000002");
  EXPECT_EQ(of_b.result(), v1::VETTING_RESULT_REFER);
  EXPECT_FALSE(of_b.result_withheld());
}

// Once the record under the other number is spent, it takes no part: CLEAR.
TEST_F(VettingServiceTest, ARecordUnderAnotherNumberRefersUntilItIsSpent) {
  const std::string id = CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15"));
  const std::string until_text = ClerkGet(id).metadata().employer_visible_until();
  absl::StatusOr<absl::CivilDay> until = ParseDate(until_text);
  ASSERT_TRUE(until.ok()) << until_text;
  v1::VettingCheckRequest candidate = CandidateOf(RecordOf("4000000099", kThaci, "Dardan",
                                                           "1985-07-15").person());
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_REFER);
  clock_.Set(KosovoMidnight(*until + 1) - absl::Minutes(1));
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_REFER);
  clock_.Set(KosovoMidnight(*until + 1));
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_CLEAR);
}

// The REFER a namesake's record gave stays in the history of the number asked about, which has
// no record of its own, as it was answered: were it withheld when that record is erased, the
// history would tell its person (and anyone who makes them show it) that a record of someone
// sharing their name and birth date existed and was expunged, and, asked again and again, when.
// The namesake's own copy is withheld: the record was theirs.
TEST_F(VettingServiceTest, ARecordUnderAnotherNumberRefersUntilItIsExpunged) {
  const std::string id = CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15"));
  const v1::VettingCheckRequest candidate =
      CandidateOf(RecordOf("4000000099", kThaci, "Dardan", "1985-07-15").person());
  const Reply refer = Check(candidate);
  ASSERT_EQ(refer.response.result(), v1::VETTING_RESULT_REFER);
  // A number that never had to do with any record, asked about under another name.
  EXPECT_EQ(ResultOf(CandidateOf(RecordOf("4000000098", "Gashi", "Besa", "1985-07-15").person())),
            v1::VETTING_RESULT_CLEAR);
  const auto serialized = [&](const std::string& number) {
    std::vector<std::string> entries;
    for (const v1::CheckSummary& check : ChecksAbout(number)) {
      entries.push_back(check.SerializeAsString());
    }
    return entries;
  };
  const std::vector<std::string> asked_before = serialized("4000000099");
  const std::vector<std::string> untouched_before = serialized("4000000098");
  ASSERT_EQ(asked_before.size(), 1u);

  ASSERT_NO_FATAL_FAILURE(ExpungeAsClerk(id));
  // The asked number's history reads as it did, byte for byte: the REFER that was answered.
  EXPECT_EQ(serialized("4000000099"), asked_before);
  EXPECT_EQ(serialized("4000000098"), untouched_before);
  const std::vector<v1::CheckSummary> asked = ChecksAbout("4000000099");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].check_id(), refer.response.check_id());
  EXPECT_EQ(asked[0].result(), v1::VETTING_RESULT_REFER);
  EXPECT_FALSE(asked[0].result_withheld());
  // The record's person's copy is withheld.
  const std::vector<v1::CheckSummary> own = ChecksAbout("4000000001");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].check_id(), refer.response.check_id());
  EXPECT_EQ(own[0].result(), v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(own[0].result_withheld());
  // The record is gone: the candidate is clear now, and that check is an entry like any other.
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_CLEAR);
  for (const v1::CheckSummary& check : ChecksAbout("4000000099")) {
    EXPECT_FALSE(check.result_withheld());
  }
}

TEST_F(VettingServiceTest, ADisputedRecordUnderAnotherNumberIsRefer) {
  const std::string id = CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15"));
  const grpc::Status disputed = Dispute(id);
  ASSERT_TRUE(disputed.ok()) << disputed.error_message();
  EXPECT_EQ(ResultOf(CandidateOf(RecordOf("4000000099", kThaci, "Dardan", "1985-07-15")
                                     .person())),
            v1::VETTING_RESULT_REFER);
}

// The candidate's own number decides first: its live matching record is NOT_CLEAR whatever
// another number holds under the same name, which refers a candidate under a third number.
TEST_F(VettingServiceTest, TheOwnNumbersMatchingRecordIsNotClearWhateverAnotherNumberHolds) {
  CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15"));
  CreateRecord(RecordOf("4000000002", kThaci, "Dardan", "1985-07-15"));
  const v1::Person own = RecordOf("4000000001", kThaci, "Dardan", "1985-07-15").person();
  EXPECT_EQ(ResultOf(CandidateOf(own)), v1::VETTING_RESULT_NOT_CLEAR);
  v1::Person third = own;
  third.set_personal_number("4000000003");
  EXPECT_EQ(ResultOf(CandidateOf(third)), v1::VETTING_RESULT_REFER);
}

// When the candidate's own number decides NOT_CLEAR, a record naming the candidate exactly under
// another number is read too, but the answer is the asked number's own record's, that is another
// person's: the check is not entered in the namesake's history, where it would tell them of it
// (with its answer, or without one, which could only be a NOT_CLEAR). The employer's reply and
// the audit event are those of any NOT_CLEAR (the event names the asked number's token and its
// record).
TEST_F(VettingServiceTest, ANotClearIsNotInTheHistoryOfANamesakeUnderAnotherNumber) {
  const std::string own = CreateRecord(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15"));
  const std::string other =
      CreateRecord(RecordOf("4000000002", kThaci, "Dardan", "1985-07-15", "P 2/2024"));
  ASSERT_FALSE(own.empty());
  ASSERT_FALSE(other.empty());
  const uint64_t before = AuditSize();
  const Reply not_clear =
      Check(CandidateOf(RecordOf("4000000001", kThaci, "Dardan", "1985-07-15").person()));
  ASSERT_TRUE(not_clear.status.ok()) << not_clear.status.error_message();
  ASSERT_EQ(not_clear.response.result(), v1::VETTING_RESULT_NOT_CLEAR);
  const v1::AuditEvent event = Event(before);
  EXPECT_THAT(event.record_ids(), ::testing::ElementsAre(own));
  EXPECT_EQ(event.tokens_size(), 1);

  const std::vector<v1::CheckSummary> own_history = ChecksAbout("4000000001");
  ASSERT_EQ(own_history.size(), 1u);
  EXPECT_EQ(own_history[0].check_id(), not_clear.response.check_id());
  EXPECT_EQ(own_history[0].organisation(), "dev-school");
  EXPECT_EQ(own_history[0].result(), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(own_history[0].status_code(), 0);
  EXPECT_TRUE(ChecksAbout("4000000002").empty());

  // Byte for byte the NOT_CLEAR of a person whose name no record under another number holds.
  ASSERT_FALSE(CreateRecord(RecordOf("4000000003", "Gashi", "Besa", "1985-07-15")).empty());
  const Reply alone = Check(CandidateOf(RecordOf("4000000003", "Gashi", "Besa",
                                                 "1985-07-15").person()));
  ASSERT_EQ(alone.response.result(), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(WithoutRequestEchoAndRandomness(not_clear.response),
            WithoutRequestEchoAndRandomness(alone.response));
  EXPECT_TRUE(ChecksAbout("4000000002").empty());
}

// The exact name vetting compares is the same in Serbian Latin and Cyrillic: a candidate named
// in Cyrillic is referred by the Latin record under another number.
TEST_F(VettingServiceTest, ACyrillicNameMatchesALatinRecordUnderAnotherNumber) {
  CreateRecord(RecordOf("4000000401", "Petrovi\xc4\x87", "Dragan", "1980-04-12"));
  v1::VettingCheckRequest candidate =
      CandidateOf(RecordOf("4000000499", "Petrovi\xc4\x87", "Dragan", "1980-04-12").person());
  candidate.set_surname("\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x9b");
  candidate.set_given_name("\xd0\x94\xd1\x80\xd0\xb0\xd0\xb3\xd0\xb0\xd0\xbd");
  EXPECT_EQ(ResultOf(candidate), v1::VETTING_RESULT_REFER);
}

// An attacker's probe: the surname typed in Cyrillic letters that look Latin ("Рера", which
// sounds "Rera") under a false number was a signed CLEAR whose certificate reads "Arben Pepa",
// where the Latin spelling refers. It refers as that does (row 100), and is in the history of the
// person whose record referred it (row 13), as are the Latin probe and the all-Cyrillic one.
TEST_F(VettingServiceTest, ASurnameInCyrillicLettersThatLookLatinRefersAsTheLatinItReadsAs) {
  const std::string id = CreateRecord(RecordOf("2000000300", "Pepa", "Arben", "1981-01-01"));
  ASSERT_FALSE(id.empty());
  const v1::VettingCheckRequest latin =
      CandidateOf(RecordOf("2000000301", "Pepa", "Arben", "1981-01-01").person());
  v1::VettingCheckRequest cyrillic = latin;
  cyrillic.set_surname("\u0420\u0435\u0440\u0430");  // Рера
  v1::VettingCheckRequest all_cyrillic = cyrillic;
  all_cyrillic.set_given_name("\u0410\u0440\u0431\u0435\u043d");  // Арбен

  std::vector<std::string> check_ids;
  for (const v1::VettingCheckRequest* probe :
       std::vector<const v1::VettingCheckRequest*>{&latin, &cyrillic, &all_cyrillic}) {
    const uint64_t before = AuditSize();
    const Reply reply = Check(*probe);
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    EXPECT_EQ(reply.response.result(), v1::VETTING_RESULT_REFER) << probe->surname();
    EXPECT_EQ(reply.response.certificate().certificate().result(), v1::VETTING_RESULT_REFER);
    EXPECT_THAT(Event(before).record_ids(), ::testing::ElementsAre(id));
    check_ids.push_back(reply.response.check_id());
  }
  std::vector<std::string> theirs;
  for (const v1::CheckSummary& check : ChecksAbout("2000000300")) {
    EXPECT_EQ(check.result(), v1::VETTING_RESULT_REFER);
    theirs.push_back(check.check_id());
  }
  EXPECT_THAT(theirs, ::testing::UnorderedElementsAreArray(check_ids));

  // Another birth date names no one, in either script: CLEAR, and not in their history.
  v1::VettingCheckRequest born_later = cyrillic;
  born_later.set_birth_date("1981-01-02");
  EXPECT_EQ(ResultOf(born_later), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ChecksAbout("2000000300").size(), check_ids.size());
}

// The other way round: a record stored in Cyrillic ("Петровић Марко", "Рера Arben") that an
// employer copies by eye into Latin letters ("Mapko", "Pepa") under another number was a signed
// CLEAR, where the spelling by sound ("Marko", "Rera") refers. It refers as that does (row 100),
// and is in the history of the person whose record referred it (row 13).
TEST_F(VettingServiceTest, ALatinNameThatLooksLikeACyrillicRecordRefersAsTheCyrillicItReadsAs) {
  const std::string marko =
      CreateRecord(RecordOf("1000000007", "Петровић", "Марко", "1979-07-07", "P 7/2024"));
  const std::string rera =
      CreateRecord(RecordOf("1000000008", "Рера", "Arben", "1982-02-02", "P 8/2024"));
  ASSERT_FALSE(marko.empty());
  ASSERT_FALSE(rera.empty());
  const auto probe = [](const char* surname, const char* given, const char* born) {
    return CandidateOf(RecordOf("1000000094", surname, given, born).person());
  };
  struct Case {
    v1::VettingCheckRequest request;
    const std::string* record;
    const char* number;
  };
  const Case cases[] = {
      {probe("Петровић", "Mapko", "1979-07-07"), &marko, "1000000007"},
      {probe("Петровић", "Marko", "1979-07-07"), &marko, "1000000007"},
      {probe("Pepa", "Arben", "1982-02-02"), &rera, "1000000008"},
      {probe("PEPA", "Arben", "1982-02-02"), &rera, "1000000008"},
      {probe("Rera", "Arben", "1982-02-02"), &rera, "1000000008"},
  };
  std::map<std::string, std::vector<std::string>> check_ids;
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.request.surname(), " ", c.request.given_name()));
    const uint64_t before = AuditSize();
    const Reply reply = Check(c.request);
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    EXPECT_EQ(reply.response.result(), v1::VETTING_RESULT_REFER);
    EXPECT_EQ(reply.response.certificate().certificate().result(), v1::VETTING_RESULT_REFER);
    EXPECT_THAT(Event(before).record_ids(), ::testing::ElementsAre(*c.record));
    check_ids[c.number].push_back(reply.response.check_id());
  }
  for (const auto& [number, ids] : check_ids) {
    std::vector<std::string> theirs;
    for (const v1::CheckSummary& check : ChecksAbout(number)) {
      EXPECT_EQ(check.result(), v1::VETTING_RESULT_REFER);
      theirs.push_back(check.check_id());
    }
    EXPECT_THAT(theirs, ::testing::UnorderedElementsAreArray(ids)) << number;
  }
  // Another birth date names no one: CLEAR, and not in their history.
  EXPECT_EQ(ResultOf(probe("Pepa", "Arben", "1982-02-03")), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(probe("Петровић", "Mapko", "1979-07-08")), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ChecksAbout("1000000008").size(), 3u);
}

// A letter that looks like another than the one the name index folds it to ("Krɣeziu": small
// gamma, folded to g, reads y; "Mʋja", Cyrillic "КаЬако" with the soft sign, "Peħa" copied from
// the Cyrillic "Рећа") under a false number was a signed CLEAR whose certificate reads as the
// record's name. It refers (row 100); the long s, which reads f ("ſetahu"), is refused as a
// historic letter, naming the surname. And the two readings combine: a name read by eye with
// one of a record's given names ("Рера Arben" for "Pepa Arben Ali", "Pepa Mapko" for "Рера
// Марко Јован") refers too, where each reading alone did and both together were CLEAR.
TEST_F(VettingServiceTest, ANameThatReadsByEyeAsARecordsRefersHoweverItIsRead) {
  int n = 0;
  for (const auto& [number, surname, given] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"3000000001", "Kryeziu", "Arben"},
           {"3000000002", "Muja", "Besnik"},
           {"3000000003", "Kabako", "Agim"},
           {"3000000004", "\u0420\u0435\u045B\u0430", "Arben"},  // Рећа
           {"3000000005", "Pepa", "Arben Ali"},
           {"3000000006", "\u0420\u0435\u0440\u0430",
            "\u041C\u0430\u0440\u043A\u043E \u0408\u043E\u0432\u0430\u043D"}}) {
    ASSERT_FALSE(CreateRecord(RecordOf(number, surname, given, "1983-03-03",
                                       absl::StrCat("P ", 30 + ++n, "/2024")))
                     .empty())
        << number;
  }
  const auto probe = [](const char* surname, const char* given) {
    return CandidateOf(RecordOf("3000000099", surname, given, "1983-03-03").person());
  };
  for (const v1::VettingCheckRequest& candidate :
       {probe("Kr\u0263eziu", "Arben"), probe("M\u028Bja", "Besnik"),
        probe("\u041A\u0430\u042C\u0430\u043A\u043E", "Agim"),  // КаЬако
        probe("Pe\u0127a", "Arben"), probe("\u0420\u0435\u0440\u0430", "Arben"),
        probe("Pepa", "Mapko")}) {
    SCOPED_TRACE(absl::CHexEscape(candidate.surname()) + " " + candidate.given_name());
    const Reply reply = Check(candidate);
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    EXPECT_EQ(reply.response.result(), v1::VETTING_RESULT_REFER);
    EXPECT_EQ(reply.response.certificate().certificate().result(), v1::VETTING_RESULT_REFER);
  }
  const Reply long_s = Check(probe("\u017Fetahu", "Drita"));
  EXPECT_EQ(long_s.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(long_s.status.error_message(), ::testing::HasSubstr("surname"));
  EXPECT_THAT(long_s.status.error_message(), ::testing::HasSubstr("historic letter"));
  // Another birth date names no one: CLEAR.
  v1::VettingCheckRequest born_later = probe("Kr\u0263eziu", "Arben");
  born_later.set_birth_date("1983-03-04");
  EXPECT_EQ(ResultOf(born_later), v1::VETTING_RESULT_CLEAR);
}

TEST_F(VettingServiceTest, ResponseBytesDoNotDependOnTheRecordsContents) {
  const v1::CreateRecordRequest a = ExampleRecord();
  const v1::CreateRecordRequest b = VeryDifferentRecord();
  const std::string id_a = CreateRecord(a);
  const std::string id_b = CreateRecord(b);
  ASSERT_FALSE(id_a.empty());
  ASSERT_FALSE(id_b.empty());
  const v1::Record stored_a = ClerkGet(id_a);
  const v1::Record stored_b = ClerkGet(id_b);
  ASSERT_NE(stored_a.metadata().employer_visible_until(),
            stored_b.metadata().employer_visible_until());

  std::vector<v1::VettingCheckResponse> not_clear, refer;
  for (const v1::CreateRecordRequest* r : {&a, &b}) {
    Reply reply = Check(CandidateOf(r->person()));
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    ASSERT_EQ(reply.response.result(), v1::VETTING_RESULT_NOT_CLEAR);
    not_clear.push_back(reply.response);

    v1::VettingCheckRequest mismatch = CandidateOf(r->person());
    mismatch.set_given_name("Shpend");
    reply = Check(mismatch);
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    ASSERT_EQ(reply.response.result(), v1::VETTING_RESULT_REFER);
    refer.push_back(reply.response);
  }
  // A REFER for another reason (a dispute) looks the same too.
  ASSERT_TRUE(Dispute(id_b).ok());
  Reply disputed = Check(CandidateOf(b.person()));
  ASSERT_TRUE(disputed.status.ok());
  ASSERT_EQ(disputed.response.result(), v1::VETTING_RESULT_REFER);
  refer.push_back(disputed.response);

  EXPECT_EQ(WithoutRequestEchoAndRandomness(not_clear[0]),
            WithoutRequestEchoAndRandomness(not_clear[1]));
  EXPECT_EQ(WithoutRequestEchoAndRandomness(refer[0]), WithoutRequestEchoAndRandomness(refer[1]));
  EXPECT_EQ(WithoutRequestEchoAndRandomness(refer[0]), WithoutRequestEchoAndRandomness(refer[2]));

  // And nothing the record says (beyond the identity the employer sent) is in the bytes.
  std::vector<std::string> secrets = {id_a, id_b, "basic-prishtine", "Basic Court",
                                      "Landgericht", "foreign", "06/L-074", "04/L-082",
                                      "Besim", "Hasan", "Luani", "Prishtin", "Gjakov", "Agim",
                                      "Terez"};
  for (const v1::Record* r : {&stored_a, &stored_b}) {
    const v1::Conviction& c = r->conviction();
    for (const std::string& s : {c.case_number(), c.judgment_date(), c.final_date(),
                                 r->metadata().employer_visible_until(),
                                 r->metadata().delete_after()}) {
      if (!s.empty()) secrets.push_back(s);
    }
    for (const v1::AccessoryBan& ban : c.bans()) {
      if (!ban.end_date().empty()) secrets.push_back(ban.end_date());
    }
    if (!c.release_date().empty()) secrets.push_back(c.release_date());
  }
  for (const auto* list : {&not_clear, &refer}) {
    for (v1::VettingCheckResponse response : *list) {
      // The contact a REFER names is the organisation's (its region's, in the policy), the same
      // for every referral; it may name a town a record also names.
      EXPECT_EQ(response.refer_contact(), response.result() == v1::VETTING_RESULT_REFER
                                              ? "KJC registry office Prishtinë (development), "
                                                "referrals-prishtine@registry.kjc.dev"
                                              : "");
      response.clear_refer_contact();
      const std::string bytes = response.SerializeAsString();
      for (const std::string& secret : secrets) {
        EXPECT_THAT(bytes, Not(HasSubstr(secret))) << secret;
      }
    }
  }
}

// --- Refusals ----------------------------------------------------------------------------------

// A refused call writes its audit event and, when it names a well-formed personal number, a
// check without a result in that person's history; nothing else.
TEST_F(VettingServiceTest, RefusedChecksWriteTheirEventAndTheProbeInThePersonsHistory) {
  CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest good = CandidateOf(ExampleRecord().person());
  v1::VettingCheckRequest no_consent = good;
  no_consent.clear_consent_reference();
  v1::VettingCheckRequest other_orgs_position = good;
  other_orgs_position.set_position_category("care_worker");  // dev-care-home's, not dev-school's
  v1::VettingCheckRequest unknown_position = good;
  unknown_position.set_position_category("bus_driver");
  v1::VettingCheckRequest no_position = good;
  no_position.clear_position_category();
  v1::VettingCheckRequest bad_number = good;
  bad_number.set_personal_number("12345X7890");

  struct Case {
    std::string what;
    v1::VettingCheckRequest req;
    grpc::StatusCode code;
    std::string message_start;
    bool names_person;
  };
  const std::vector<Case> cases = {
      {"no consent", no_consent, grpc::StatusCode::FAILED_PRECONDITION, "consent_reference", true},
      {"other organisation's position", other_orgs_position,
       grpc::StatusCode::FAILED_PRECONDITION, "position_category", true},
      {"unknown position", unknown_position, grpc::StatusCode::FAILED_PRECONDITION,
       "position_category", true},
      {"no position", no_position, grpc::StatusCode::FAILED_PRECONDITION, "position_category",
       true},
      {"bad personal number", bad_number, grpc::StatusCode::INVALID_ARGUMENT, "personal_number",
       false},
  };
  size_t probes = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::map<std::string, std::string> before = DataFamilies();
    const uint64_t audit_before = AuditSize();
    const Reply reply = Check(c.req);
    EXPECT_EQ(reply.status.error_code(), c.code) << reply.status.error_message();
    EXPECT_THAT(reply.status.error_message(), StartsWith(c.message_start));
    EXPECT_FALSE(reply.response.has_certificate());
    EXPECT_TRUE(reply.response.check_id().empty());

    ASSERT_EQ(AuditSize(), audit_before + 1);
    const v1::AuditEvent event = Event(audit_before);
    EXPECT_EQ(event.action(), kVettingCheckMethod);
    EXPECT_EQ(event.outcome(), static_cast<int>(c.code));
    EXPECT_EQ(event.actor(), kVettingId);
    EXPECT_THAT(event.detail(), StartsWith(c.message_start));
    EXPECT_EQ(event.tokens_size(), c.names_person ? 1 : 0);
    // The refused value is not in the log either.
    EXPECT_THAT(EventBytes(audit_before), Not(HasSubstr("12345X7890")));

    // Only the person's history grew, by one check, and only when a person was named.
    std::map<std::string, std::string> after = DataFamilies();
    std::vector<std::string> added;
    for (const auto& [key, value] : after) {
      if (before.count(key) == 0) added.push_back(key);
    }
    for (const auto& [key, value] : before) EXPECT_EQ(after[key], value) << key;
    ASSERT_EQ(added.size(), c.names_person ? 1u : 0u);
    if (c.names_person) {
      EXPECT_TRUE(absl::StartsWith(added[0], "checks/"));
      ++probes;
    }
  }
  const std::vector<v1::CheckSummary> probed = ChecksAbout(good.personal_number());
  ASSERT_EQ(probed.size(), probes);
  for (const v1::CheckSummary& check : probed) {
    EXPECT_EQ(check.result(), v1::VETTING_RESULT_UNSPECIFIED);
    EXPECT_EQ(check.status_code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
    EXPECT_EQ(check.organisation(), "dev-school");
    EXPECT_EQ(check.requester(), kVettingId);
    EXPECT_EQ(check.check_id().size(), 32u);
  }
  // The valid request itself is admitted and kept, with its result.
  EXPECT_EQ(ResultOf(good), v1::VETTING_RESULT_NOT_CLEAR);
  const std::vector<v1::CheckSummary> all = ChecksAbout(good.personal_number());
  ASSERT_EQ(all.size(), probes + 1);
  // The fake clock stands still, so the order among same-instant checks is by id: find it.
  size_t answered = 0;
  for (const v1::CheckSummary& check : all) {
    if (check.status_code() != 0) continue;
    ++answered;
    EXPECT_EQ(check.result(), v1::VETTING_RESULT_NOT_CLEAR);
  }
  EXPECT_EQ(answered, 1u);
}

// A personal number sent by a caller that may not vet (an auditor, who reads the log; a
// certificate the policy does not list; a revoked one) is refused without its token in the
// event: otherwise an auditor could have the registry compute a chosen number's token into the
// log and follow that person through every event that names it. The person's history still
// keeps the probe; a vetting client's refused check still names the person in the log.
TEST_F(VettingServiceTest, ANumberSentByACallerThatMayNotVetPutsNoTokenInTheLog) {
  CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest good = CandidateOf(ExampleRecord().person());
  const uint64_t start = AuditSize();
  for (const std::string identity : {"auditor", "clerk", "court", "admin", "unlisted", "revoked"}) {
    SCOPED_TRACE(identity);
    const uint64_t before = AuditSize();
    const Reply reply = Check(good, identity);
    EXPECT_FALSE(reply.status.ok());
    ASSERT_EQ(AuditSize(), before + 1);
    EXPECT_EQ(Event(before).tokens_size(), 0) << "the number's token is in the log";
  }
  v1::VettingCheckRequest no_consent = good;
  no_consent.clear_consent_reference();
  const uint64_t before = AuditSize();
  EXPECT_EQ(Check(no_consent).status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_EQ(AuditSize(), before + 1);
  EXPECT_EQ(Event(before).tokens_size(), 1) << "a vetting client's refused check names the person";
  EXPECT_GT(AuditSize(), start);
  EXPECT_EQ(ChecksAbout(good.personal_number()).size(), 7u) << "every probe is in the history";
}

// A check whose request never comes is refused and audited once: by the decode guard, which gRPC
// tells of the failed read, and not a second time by the handler.
TEST_F(VettingServiceTest, ACheckWithoutARequestIsRefusedAndAuditedOnce) {
  const uint64_t before = AuditSize();
  const grpc::Status s = CallWithoutRequest(*server_, "vetting", kVettingCheckMethod);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  ASSERT_EQ(AuditSize(), before + 1) << "one audit event";
  const v1::AuditEvent event = Event(before);
  EXPECT_EQ(event.action(), kVettingCheckMethod);
  EXPECT_EQ(event.outcome(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
}

// A request over the transport's 8 MiB limit never reaches the service's code, and the caller
// gets RESOURCE_EXHAUSTED from the transport; the call existed (VettingCheck reads its own
// bytes), so its refusal is still written to the audit log, once, naming no personal data.
TEST_F(VettingServiceTest, ARequestOverTheSizeLimitIsRefusedAndStillAudited) {
  v1::VettingCheckRequest huge = UnknownCandidate();
  huge.set_given_name(std::string(9 << 20, 'a'));
  const uint64_t before = AuditSize();
  const Reply reply = Check(huge);
  EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << reply.status.error_message();
  // The event may be written just after the transport answered.
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (AuditSize() == before && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(AuditSize(), before + 1) << "one audit event";
  const v1::AuditEvent event = Event(before);
  EXPECT_EQ(event.action(), kVettingCheckMethod);
  EXPECT_EQ(testing::OutcomeName(event), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(event.actor(), testing::kVettingId);
  EXPECT_EQ(EventBytes(before).find(UnknownCandidate().personal_number()), std::string::npos);
}

TEST_F(VettingServiceTest, OtherRolesMayNotCheckAndThePersonSeesTheirAttempts) {
  for (const char* identity : {"clerk", "court", "auditor", "admin"}) {
    SCOPED_TRACE(identity);
    const uint64_t audit_before = AuditSize();
    const Reply reply = Check(UnknownCandidate(), identity);
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(AuditSize(), audit_before + 1);
    // The person's history has the attempt; the log does not name the person (see
    // ANumberSentByACallerThatMayNotVetPutsNoTokenInTheLog).
    EXPECT_EQ(Event(audit_before).tokens_size(), 0);
  }
  const std::vector<v1::CheckSummary> attempts = ChecksAbout(UnknownCandidate().personal_number());
  ASSERT_EQ(attempts.size(), 4u);
  for (const v1::CheckSummary& check : attempts) {
    EXPECT_EQ(check.status_code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
    EXPECT_EQ(check.result(), v1::VETTING_RESULT_UNSPECIFIED);
    EXPECT_FALSE(check.requester().empty());
  }
}

// --- The certificate ---------------------------------------------------------------------------

TEST_F(VettingServiceTest, CertificateVerifiesWithThePublishedKeyUntilItExpires) {
  CreateRecord(ExampleRecord());
  const v1::VettingCheckRequest req = CandidateOf(ExampleRecord().person());
  const Reply reply = Check(req);
  ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
  const v1::SignedVettingCertificate& signed_cert = reply.response.certificate();
  const v1::VettingCertificate& cert = signed_cert.certificate();
  const v1::PublicKey key = PublicKey();
  ASSERT_EQ(key.ed25519().size(), crypto::kEd25519PublicKeySize);
  EXPECT_EQ(key.key_id(), crypto::Ed25519KeyId(key.ed25519()));
  absl::StatusOr<std::string> from_pem = crypto::Ed25519PublicKeyFromPem(key.pem());
  ASSERT_TRUE(from_pem.ok()) << from_pem.status();
  EXPECT_EQ(*from_pem, key.ed25519());

  // What it states.
  EXPECT_EQ(cert.certificate_id(), reply.response.check_id());
  EXPECT_EQ(cert.certificate_id().size(), 32u);
  EXPECT_TRUE(IsLowerHex(cert.certificate_id()));
  EXPECT_EQ(cert.key_id(), key.key_id());
  EXPECT_EQ(cert.organisation(), "dev-school");
  EXPECT_EQ(cert.personal_number(), req.personal_number());
  EXPECT_EQ(cert.surname(), req.surname());
  EXPECT_EQ(cert.given_name(), req.given_name());
  EXPECT_EQ(cert.birth_date(), req.birth_date());
  EXPECT_EQ(cert.position_category(), "teacher");
  EXPECT_EQ(cert.result(), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(signed_cert.signature().size(), crypto::kEd25519SignatureSize);

  // Valid for 90 days (the default) from the server's now.
  absl::StatusOr<absl::Time> issued = ParseInstant(cert.issued_at());
  absl::StatusOr<absl::Time> valid_until = ParseInstant(cert.valid_until());
  ASSERT_TRUE(issued.ok() && valid_until.ok());
  EXPECT_EQ(*issued, clock_.Now());
  EXPECT_EQ(*valid_until, *issued + absl::Hours(24 * 90));

  EXPECT_TRUE(crypto::VerifyCertificate(signed_cert, key.ed25519(), clock_.Now()).ok());
  EXPECT_TRUE(
      crypto::VerifyCertificate(signed_cert, key.ed25519(), *valid_until - absl::Seconds(1)).ok());
  for (absl::Time late : {*valid_until, *valid_until + absl::Hours(24)}) {
    const absl::Status s = crypto::VerifyCertificate(signed_cert, key.ed25519(), late);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("expired"));
  }
}

TEST_F(VettingServiceTest, AnyChangedFieldBreaksTheSignature) {
  CreateRecord(ExampleRecord());
  const Reply reply = Check(CandidateOf(ExampleRecord().person()));
  ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
  const v1::SignedVettingCertificate original = reply.response.certificate();
  const std::string key = PublicKey().ed25519();
  ASSERT_TRUE(crypto::VerifyCertificate(original, key, clock_.Now()).ok());

  const google::protobuf::Descriptor* d = v1::VettingCertificate::descriptor();
  int fields_changed = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    SCOPED_TRACE(f->name());
    v1::SignedVettingCertificate changed = original;
    v1::VettingCertificate* c = changed.mutable_certificate();
    const google::protobuf::Reflection* r = c->GetReflection();
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_ENUM) {
      for (auto other : {v1::VETTING_RESULT_CLEAR, v1::VETTING_RESULT_REFER}) {
        v1::SignedVettingCertificate variant = changed;
        variant.mutable_certificate()->set_result(other);
        const absl::Status s = crypto::VerifyCertificate(variant, key, clock_.Now());
        EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
      }
      ++fields_changed;
      continue;
    }
    ASSERT_EQ(f->type(), google::protobuf::FieldDescriptor::TYPE_STRING);
    std::string value = r->GetString(*c, f);
    ASSERT_FALSE(value.empty());
    // One byte, kept printable: the last character moves to its neighbour.
    value.back() = value.back() == '0' ? '1' : static_cast<char>(value.back() ^ 0x01);
    r->SetString(c, f, value);
    const absl::Status s = crypto::VerifyCertificate(changed, key, clock_.Now());
    if (f->name() == "key_id") {
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
      EXPECT_THAT(std::string(s.message()), HasSubstr("unknown key"));
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
      EXPECT_THAT(std::string(s.message()), HasSubstr("bad signature"));
    }
    ++fields_changed;
  }
  EXPECT_EQ(fields_changed, 11);

  v1::SignedVettingCertificate bad_signature = original;
  bad_signature.mutable_signature()->at(10) ^= 0x20;
  EXPECT_EQ(crypto::VerifyCertificate(bad_signature, key, clock_.Now()).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(VettingServiceTest, AnotherKeyIsUnknown) {
  const Reply reply = Check(UnknownCandidate());
  ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
  absl::StatusOr<crypto::SecretBytes> seed = crypto::SecretBytes::Random(crypto::kEd25519SeedSize);
  ASSERT_TRUE(seed.ok());
  absl::StatusOr<std::unique_ptr<crypto::Ed25519Signer>> other =
      crypto::Ed25519Signer::FromSeed(*seed);
  ASSERT_TRUE(other.ok()) << other.status();

  absl::Status s = crypto::VerifyCertificate(reply.response.certificate(),
                                             (*other)->public_key(), clock_.Now());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown key"));

  // A forger who signs the same statement with their own key is not taken for the registry.
  absl::StatusOr<v1::SignedVettingCertificate> forged =
      crypto::SignCertificate(**other, reply.response.certificate().certificate());
  ASSERT_TRUE(forged.ok());
  s = crypto::VerifyCertificate(*forged, PublicKey().ed25519(), clock_.Now());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown key"));
}

// --- The audit event of a check ----------------------------------------------------------------

TEST_F(VettingServiceTest, CheckEventHoldsReferencesAndTokensButNoIdentity) {
  CreateRecord(ExampleRecord());
  const v1::Person person = ExampleRecord().person();
  v1::VettingCheckRequest mismatch = CandidateOf(person);
  mismatch.set_given_name("Shpend");
  const std::vector<v1::VettingCheckRequest> requests = {CandidateOf(person), mismatch,
                                                         UnknownCandidate()};
  std::vector<std::string> tokens;
  for (const v1::VettingCheckRequest& req : requests) {
    SCOPED_TRACE(req.given_name());
    const uint64_t before = AuditSize();
    ASSERT_TRUE(Check(req).status.ok());
    ASSERT_EQ(AuditSize(), before + 1);
    const v1::AuditEvent event = Event(before);
    EXPECT_EQ(event.action(), kVettingCheckMethod);
    EXPECT_EQ(testing::OutcomeName(event), "OK");
    EXPECT_EQ(event.actor(), kVettingId);
    EXPECT_EQ(event.role(), v1::ROLE_VETTING);
    EXPECT_EQ(event.organisation(), "dev-school");
    EXPECT_EQ(event.consent_reference(), ConsentFor(req.personal_number(), "C-1"));
    ASSERT_EQ(event.tokens_size(), 1);
    EXPECT_EQ(event.tokens(0).size(), 64u);
    EXPECT_TRUE(IsLowerHex(event.tokens(0))) << event.tokens(0);
    tokens.push_back(event.tokens(0));
  }
  // The token names the personal number: the same person gives the same token.
  EXPECT_EQ(tokens[0], tokens[1]);
  EXPECT_NE(tokens[0], tokens[2]);

  // No event of the whole log (the record's creation included) names anyone.
  const std::vector<std::string> identities = {
      person.personal_number(), person.surname(), "KERQELI", "Kerqeli", "kerqeli",
      person.given_name(), "ARBEN", "arben", person.birth_date(), "Shpend",
      UnknownCandidate().personal_number(), UnknownCandidate().surname(),
      UnknownCandidate().given_name(), UnknownCandidate().birth_date()};
  const uint64_t size = AuditSize();
  for (uint64_t i = 0; i < size; ++i) {
    const std::string bytes = EventBytes(i);
    for (const std::string& identity : identities) {
      EXPECT_THAT(bytes, Not(HasSubstr(identity))) << "event " << i << ": " << identity;
    }
  }
}

// --- Transparency for the data subject ---------------------------------------------------------

// A refused check enters the person's history too, but its position only when it is one of the
// caller's organisation's categories: the field is the caller's text until the policy says so.
TEST_F(VettingServiceTest, ARefusedChecksPositionIsKeptOnlyWhenItIsTheCallersCategory) {
  const v1::Person person = ExampleRecord().person();
  struct Attempt {
    const char* identity;
    const char* position;
    grpc::StatusCode code;
    const char* kept;
  };
  const Attempt attempts[] = {
      {"court", "Arben Krasniqi 1980-03-04", grpc::StatusCode::PERMISSION_DENIED, ""},
      {"court", "teacher", grpc::StatusCode::PERMISSION_DENIED, ""},
      {"vetting", "PN 1234567890", grpc::StatusCode::FAILED_PRECONDITION, ""},
      {"vetting", "care_worker", grpc::StatusCode::FAILED_PRECONDITION, ""},  // another org's
      {"vetting", "teacher", grpc::StatusCode::OK, "teacher"},
  };
  for (const Attempt& a : attempts) {
    v1::VettingCheckRequest req = CandidateOf(person);
    req.set_position_category(a.position);
    EXPECT_EQ(Check(req, a.identity).status.error_code(), a.code) << a.identity << " " << a.position;
    clock_.Advance(absl::Minutes(1));
  }
  const std::vector<v1::CheckSummary> checks = ChecksAbout(person.personal_number());
  ASSERT_EQ(checks.size(), std::size(attempts));
  for (size_t i = 0; i < checks.size(); ++i) {
    const Attempt& a = attempts[std::size(attempts) - 1 - i];  // newest first
    EXPECT_EQ(checks[i].position_category(), a.kept) << a.identity << " " << a.position;
  }
}

TEST_F(VettingServiceTest, DataSubjectSeesEveryCheckNewestFirst) {
  CreateRecord(ExampleRecord());
  const v1::Person person = ExampleRecord().person();

  struct Made {
    std::string check_id;
    std::string organisation;
    std::string at;
    std::string position;
    v1::VettingResult result;
  };
  std::vector<Made> made;
  auto check = [&](const std::string& identity, const std::string& organisation,
                   v1::VettingCheckRequest req, const std::string& position) {
    req.set_position_category(position);
    const Reply reply = Check(req, identity);
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    made.push_back({reply.response.check_id(), organisation, FormatInstant(clock_.Now()),
                    position, reply.response.result()});
    clock_.Advance(absl::Minutes(7));
  };
  check("vetting", "dev-school", CandidateOf(person), "teacher");
  check("vetting2", "dev-care-home", CandidateOf(person), "care_worker");
  v1::VettingCheckRequest mismatch = CandidateOf(person);
  mismatch.set_surname("Krasniqi");
  check("vetting", "dev-school", mismatch, "school_staff");
  check("vetting", "dev-school", UnknownCandidate(), "teacher");  // another person
  ASSERT_EQ(made.size(), 4u);
  EXPECT_EQ(made[2].result, v1::VETTING_RESULT_REFER);

  const std::vector<v1::CheckSummary> checks = ChecksAbout(person.personal_number());
  ASSERT_EQ(checks.size(), 3u);
  for (size_t i = 0; i < checks.size(); ++i) {
    const Made& want = made[2 - i];
    SCOPED_TRACE(want.check_id);
    EXPECT_EQ(checks[i].check_id(), want.check_id);
    EXPECT_EQ(checks[i].organisation(), want.organisation);
    EXPECT_EQ(checks[i].checked_at(), want.at);
    EXPECT_EQ(checks[i].position_category(), want.position);
    EXPECT_EQ(checks[i].result(), want.result);
  }

  const std::vector<v1::CheckSummary> other = ChecksAbout(UnknownCandidate().personal_number());
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].check_id(), made[3].check_id);
  EXPECT_EQ(other[0].result(), v1::VETTING_RESULT_CLEAR);
  // People nobody checked see nothing, wherever their token falls among the checked ones'.
  for (int i = 0; i < 8; ++i) {
    EXPECT_THAT(ChecksAbout(absl::StrCat("777777777", i)), IsEmpty()) << i;
  }
}

// The flood that used to hide a check: one organisation checks a person, then another makes 1005
// calls naming them in a burst, all but the first over its rate limit. Each call is in the
// history, and so, a page at a time, is the earlier organisation's check: the newest 1000 are
// not all there is.
TEST_F(VettingServiceTest, AFloodOfRefusedChecksHidesNoEarlierCheckFromTheDataSubject) {
  ASSERT_TRUE(registry::testing::LimitOrganisation(*server_, "dev-school", 1, 1).ok());
  const std::string subject = UnknownCandidate().personal_number();

  v1::VettingCheckRequest earlier_request = UnknownCandidate();
  earlier_request.set_position_category("care_worker");
  const Reply earlier = Check(earlier_request, "vetting2");
  ASSERT_TRUE(earlier.status.ok()) << earlier.status.error_message();
  clock_.Advance(absl::Seconds(1));
  constexpr int kFlood = 1005;
  int refused = 0;
  for (int i = 0; i < kFlood; ++i) {
    const Reply reply = Check(UnknownCandidate());
    if (reply.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++refused;
  }
  EXPECT_GE(refused, kFlood - 1);

  // The first page: the default 100, and a token; each page is a call of its own, audited
  // under the request's reference with the person's token and without their number.
  v1::ListChecksAboutPersonResponse first;
  const grpc::Status listed = ListChecks(subject, kRequestRef, &first);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_EQ(first.checks_size(), 100);
  ASSERT_FALSE(first.next_page_token().empty());
  const uint64_t before = AuditSize();
  v1::ListChecksAboutPersonResponse second;
  const grpc::Status next =
      ListChecks(subject, kRequestRef, &second, "clerk", 0, first.next_page_token());
  ASSERT_TRUE(next.ok()) << next.error_message();
  EXPECT_EQ(second.checks_size(), 100);
  EXPECT_NE(second.checks(0).check_id(), first.checks(99).check_id());
  ASSERT_EQ(AuditSize(), before + 1);
  const v1::AuditEvent page_event = Event(before);
  EXPECT_EQ(page_event.action(), kListMethod);
  EXPECT_EQ(page_event.reference(), kRequestRef);
  EXPECT_EQ(testing::OutcomeName(page_event), "OK");
  ASSERT_EQ(page_event.tokens_size(), 1);
  EXPECT_EQ(page_event.tokens(0), Event(before - 1).tokens(0));
  EXPECT_THAT(EventBytes(before), Not(HasSubstr(subject)));

  for (const uint32_t page_size : {0u, 1000u}) {
    SCOPED_TRACE(page_size);
    const std::vector<v1::CheckSummary> checks = ChecksAbout(subject, page_size);
    ASSERT_EQ(checks.size(), static_cast<size_t>(kFlood + 1));
    std::set<std::string> ids;
    for (const v1::CheckSummary& c : checks) ids.insert(c.check_id());
    EXPECT_EQ(ids.size(), checks.size()) << "a check on two pages";
    for (size_t i = 1; i < checks.size(); ++i) {
      ASSERT_LE(checks[i].checked_at(), checks[i - 1].checked_at()) << i;
    }
    EXPECT_EQ(checks.back().check_id(), earlier.response.check_id());
    EXPECT_EQ(checks.back().organisation(), "dev-care-home");
    EXPECT_EQ(checks.back().result(), v1::VETTING_RESULT_CLEAR);
    EXPECT_EQ(checks.front().organisation(), "dev-school");
  }
}

TEST_F(VettingServiceTest, AMalformedPageTokenOrPageSizeIsInvalidArgumentNamingIt) {
  ASSERT_TRUE(Check(UnknownCandidate()).status.ok());
  const std::string subject = UnknownCandidate().personal_number();
  const std::string id(32, 'a');
  for (const std::string& token :
       {std::string("x"), std::string("17"), absl::StrCat("17.", std::string(31, 'a')),
        absl::StrCat("017.", id), absl::StrCat("-17.", id), absl::StrCat("+17.", id),
        absl::StrCat(" 17.", id), absl::StrCat("17.", std::string(32, 'A')),
        absl::StrCat("17.", id, "."), absl::StrCat("17..", id), absl::StrCat(".", id),
        absl::StrCat("99999999999999999999.", id), absl::StrCat("9223372036854775808.", id),
        absl::StrCat("17-", id)}) {
    SCOPED_TRACE(token);
    const uint64_t before = AuditSize();
    v1::ListChecksAboutPersonResponse resp;
    const grpc::Status s = ListChecks(subject, kRequestRef, &resp, "clerk", 0, token);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message(), "page_token: not a token from this service");
    EXPECT_EQ(resp.checks_size(), 0);
    EXPECT_EQ(AuditSize(), before + 1);
    EXPECT_EQ(testing::OutcomeName(Event(before)), "INVALID_ARGUMENT");
  }
  v1::ListChecksAboutPersonResponse resp;
  const grpc::Status s = ListChecks(subject, kRequestRef, &resp, "clerk", 1001);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), StartsWith("page_size:"));
  // A token of the shape the service writes is a place in the history: one from before the
  // first check lists nothing; the largest time lists everything.
  v1::ListChecksAboutPersonResponse none;
  ASSERT_TRUE(ListChecks(subject, kRequestRef, &none, "clerk", 0, absl::StrCat("0.", id)).ok());
  EXPECT_EQ(none.checks_size(), 0);
  EXPECT_TRUE(none.next_page_token().empty());
  v1::ListChecksAboutPersonResponse all;
  ASSERT_TRUE(ListChecks(subject, kRequestRef, &all, "clerk", 0,
                         absl::StrCat("9223372036854775807.", id))
                  .ok());
  EXPECT_EQ(all.checks_size(), 1);
}

TEST_F(VettingServiceTest, ListingChecksIsAuditedWithoutThePersonalNumber) {
  ASSERT_TRUE(Check(UnknownCandidate()).status.ok());
  const uint64_t before = AuditSize();
  ASSERT_EQ(ChecksAbout(UnknownCandidate().personal_number()).size(), 1u);
  ASSERT_EQ(AuditSize(), before + 1);
  const v1::AuditEvent event = Event(before);
  EXPECT_EQ(event.action(), kListMethod);
  EXPECT_EQ(event.role(), v1::ROLE_CLERK);
  EXPECT_EQ(event.reference(), kRequestRef);
  EXPECT_EQ(testing::OutcomeName(event), "OK");
  ASSERT_EQ(event.tokens_size(), 1);
  EXPECT_EQ(event.tokens(0), Event(before - 1).tokens(0));  // the token the check used
  EXPECT_THAT(EventBytes(before), Not(HasSubstr(UnknownCandidate().personal_number())));
}

TEST_F(VettingServiceTest, ListingChecksNeedsARequestReference) {
  ASSERT_TRUE(Check(UnknownCandidate()).status.ok());
  const uint64_t before = AuditSize();
  v1::ListChecksAboutPersonResponse resp;
  const grpc::Status s = ListChecks(UnknownCandidate().personal_number(), "", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("request_reference"));
  EXPECT_EQ(resp.checks_size(), 0);
  EXPECT_EQ(AuditSize(), before + 1);
}

TEST_F(VettingServiceTest, OnlyTheClerkListsChecks) {
  ASSERT_TRUE(Check(UnknownCandidate()).status.ok());
  for (const char* identity : {"vetting", "vetting2", "court", "auditor", "admin"}) {
    SCOPED_TRACE(identity);
    const uint64_t before = AuditSize();
    v1::ListChecksAboutPersonResponse resp;
    const grpc::Status s =
        ListChecks(UnknownCandidate().personal_number(), kRequestRef, &resp, identity);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_EQ(resp.checks_size(), 0);
    EXPECT_EQ(AuditSize(), before + 1);
  }
}

// What can honestly be asserted about the checks at rest: the audit log holds the organisation
// and the consent reference in plaintext by design (they are not personal data), so the
// organisation cannot serve as a marker. The check summary's position category and the
// candidate's identity appear nowhere else in plaintext, so a unique position category and a
// unique candidate must be absent from every file, while the consent reference, stored in the
// audit event in plaintext, proves the scan reads the bytes where plaintext would be.
TEST_F(VettingServiceTest, ChecksAreSealedAtRest) {
  constexpr char kCategory[] = "zzq_unique_category";
  constexpr char kConsent[] = "CONSENT-ZZQ-4711";
  v1::AccessPolicy policy = registry::testing::DevPolicy();
  for (v1::Organisation& org : *policy.mutable_organisations()) {
    if (org.id() == "dev-school") org.add_position_categories(kCategory);
  }
  server_->WritePolicy(policy);
  ASSERT_TRUE(server_->server()->ReloadPolicy().ok());

  v1::VettingCheckRequest req;
  req.set_personal_number("9081726354");
  req.set_surname("Zogaj");
  req.set_given_name("Vjollcëza");
  req.set_birth_date("1993-07-21");
  req.set_position_category(kCategory);
  req.set_consent_reference(kConsent);
  ASSERT_EQ(ResultOf(req), v1::VETTING_RESULT_CLEAR);
  const std::vector<v1::CheckSummary> checks = ChecksAbout(req.personal_number());
  ASSERT_EQ(checks.size(), 1u);
  ASSERT_EQ(checks[0].position_category(), kCategory);

  ASSERT_TRUE(server_->server()->database()->Flush().ok());
  const std::string data_dir = server_->config().data_dir();
  server_->Stop();

  std::string all;
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir)) {
    if (!entry.is_regular_file()) continue;
    all += registry::testing::ReadFileOrDie(entry.path().string());
    ++files;
  }
  ASSERT_GT(files, 0u);
  // The scan sees plaintext where there is some: the keys of the registry's own metadata.
  // (Plain booleans: the files are too big to print.)
  EXPECT_TRUE(absl::StrContains(all, "audit/frontier"));
  // The consent reference is in the check and in the call's audit event, both sealed.
  for (const std::string& s : {std::string(kConsent), std::string(kCategory),
                               req.personal_number(), req.surname(),
                               req.given_name(), std::string("Vjollc"), req.birth_date()}) {
    EXPECT_FALSE(absl::StrContains(all, s)) << s << " is in the data directory in plaintext";
  }
}

// A check whose audit event could not be written (the disk failed under it) is answered
// UNAVAILABLE and recorded nowhere: not in the log, not in the person's history, and not in the
// limit rows a restarted registryd counts. What it took from the organisation's daily limits on
// checks of the person and of the name stayed taken in memory all the same, so that an employer
// who tried again found a candidate's checks spent by checks that never happened. It takes
// nothing now.
TEST(VettingLimitTest, ACheckWhoseAuditEventIsNotWrittenTakesNothingFromTheDailyLimits) {
  FakeClock clock(At(2026, 6, 1));
  SwitchableFault fault;
  TestServerOptions options = TestServerOptions::OnClock(&clock);
  options.fault_injector = &fault;
  options.policy = std::make_unique<v1::AccessPolicy>(DevPolicy());
  for (v1::Organisation& org : *options.policy->mutable_organisations()) {
    if (org.id() != "dev-school") continue;
    org.mutable_rate_limit()->set_checks_per_person_per_day(2);
    org.mutable_rate_limit()->set_checks_per_name_per_day(3);
  }
  std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  std::unique_ptr<v1::VettingService::Stub> stub =
      v1::VettingService::NewStub(server->Channel("vetting"));
  // One name under the personal number `number`.
  const auto vet = [&](const std::string& number) {
    v1::VettingCheckRequest req = UnknownCandidate();
    req.set_personal_number(number);
    req.set_consent_reference(ConsentFor(number, "C-1"));
    grpc::ClientContext ctx;
    v1::VettingCheckResponse resp;
    return stub->VettingCheck(&ctx, req, &resp).error_code();
  };
  const uint64_t before = server->server()->audit_log()->CurrentHead().size;
  fault.set_failing(true);
  ASSERT_EQ(vet("5555555555"), grpc::StatusCode::UNAVAILABLE);
  fault.set_failing(false);
  ASSERT_EQ(server->server()->audit_log()->CurrentHead().size, before) << "the check was recorded";

  // The person's two checks a day, and the name's third, are all there.
  EXPECT_EQ(vet("5555555555"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("5555555555"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("5555555555"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("5555555556"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("5555555557"), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// A name whose surname and given name are joined across the fields ("KrasniqiArben", "Arben"
// for "Krasniqi", "Arben"), or whose words are swapped with one given twice ("Arben",
// "Krasniqi Arben"), under another number with the record's birth date: the record names the
// candidate, so it refers (before, the join was a signed CLEAR), never NOT_CLEAR. Under the
// record's own number the name as registered decides, as before. The join with a word the
// record does not have, or another birth date, is someone else.
TEST_F(VettingServiceTest, ACandidateWhoseNameIsJoinedAcrossTheFieldsIsReferNeverClear) {
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000801", "Krasniqi", "Arben", "1987-03-03")).empty());
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"KrasniqiArben", "Arben"}, {"Krasniqi-Arben", "Arben"}, {"ArbenKrasniqi", "Krasniqi"},
           {"Arben", "KrasniqiArben"}, {"Arben", "Krasniqi Arben"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, "1987-03-03")),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000801", "Krasniqi", "Arben", "1987-03-03")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000801", "KrasniqiArben", "Arben", "1987-03-03")),
            v1::VETTING_RESULT_REFER);
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"KrasniqiArben", "Besnik", "1987-03-03"}, {"KrasniqiArben", "Arben", "1987-03-04"},
           {"KrasniqiArbe", "Arben", "1987-03-03"}}) {
    SCOPED_TRACE(surname + ", " + given + " " + born);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_CLEAR);
  }
}

// A record of a surname with an alias (a married woman's "Kelmendi", born "Gashi") names a
// candidate who gives both surnames together, as judgments name her, or the alias with the
// given name in either field, under another number: REFER, never CLEAR.
TEST_F(VettingServiceTest, ACandidateWhoGivesTheSurnameAndAnAliasTogetherIsReferNeverClear) {
  v1::CreateRecordRequest r = RecordOf("4000000802", "Kelmendi", "Drita", "1979-09-09");
  r.mutable_person()->add_aliases("Gashi");
  ASSERT_FALSE(CreateRecord(r).empty());
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Kelmendi-Gashi", "Drita"}, {"Kelmendi Gashi", "Drita"}, {"Gashi Kelmendi", "Drita"},
           {"Gashi", "Drita"}, {"Drita", "Gashi"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, "1979-09-09")),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000802", "Kelmendi", "Drita", "1979-09-09")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Gashi", "Arta", "1979-09-09")),
            v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Gashi", "Drita", "1979-09-10")),
            v1::VETTING_RESULT_CLEAR);
}

// Every surname the person bore pairs with every other word of the name: a record of
// "Kelmendi" alias "Gashi", "Drita" names a candidate who gives the two surnames in any order or
// fields, or joined into one word, and one of "Gashi", "Arta" alias "Berisha Hoxha" a candidate
// who gives the surname with a word of the alias; "Marković", "Đorđe" alias "Đukić" one who
// gives the alias with the surname, D with stroke typed plain or "dj". Under another number
// with the record's birth date: REFER (before, each a signed CLEAR), never NOT_CLEAR; one shared
// word, or another birth date, is still CLEAR.
TEST_F(VettingServiceTest, ACandidateWhoGivesTheSurnameWithAWordOfAnAliasIsReferNeverClear) {
  v1::CreateRecordRequest kelmendi = RecordOf("4000000901", "Kelmendi", "Drita", "1979-09-09");
  kelmendi.mutable_person()->add_aliases("Gashi");
  ASSERT_FALSE(CreateRecord(kelmendi).empty());
  v1::CreateRecordRequest gashi = RecordOf("4000000902", "Gashi", "Arta", "1981-04-04");
  gashi.mutable_person()->add_aliases("Berisha Hoxha");
  ASSERT_FALSE(CreateRecord(gashi).empty());
  v1::CreateRecordRequest markovic = RecordOf("4000000903", "Marković", "Đorđe", "1975-05-05");
  markovic.mutable_person()->add_aliases("Đukić");
  ASSERT_FALSE(CreateRecord(markovic).empty());
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Gashi Kelmendi", "Arta", "1979-09-09"}, {"Gashi", "Kelmendi", "1979-09-09"},
           {"Kelmendi", "Gashi", "1979-09-09"}, {"KelmendiGashi", "Drita", "1979-09-09"},
           {"Gashikelmendi", "Drita", "1979-09-09"}, {"Gashi Hoxha", "Drita", "1981-04-04"},
           {"Djukic", "Markovic", "1975-05-05"}, {"Dukic Markovic", "Petar", "1975-05-05"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000901", "Kelmendi", "Drita", "1979-09-09")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000902", "Gashi", "Arta", "1981-04-04")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate("4000000903", "Marković", "Đorđe", "1975-05-05")),
            v1::VETTING_RESULT_NOT_CLEAR);
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Kelmendi", "Arta", "1979-09-09"}, {"Hoxha", "Besnik", "1981-04-04"},
           {"Djukic", "Petar", "1975-05-05"}, {"Gashi", "Kelmendi", "1979-09-10"},
           {"KelmendiGashi", "Drita", "1979-09-08"}, {"Dukic Markovic", "Petar", "1975-05-06"}}) {
    SCOPED_TRACE(surname + ", " + given + " " + born);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_CLEAR);
  }
}

// A field of two words written as one ("Hotimorina" or "Morinahoti" for "Hoti Morina",
// "Arbenali" for "Ali Arben") gives both words: under another number with the record's birth
// date the record refers (before, a signed CLEAR, where "Hoti Morina", "Besnik" referred),
// never NOT_CLEAR; a word cut short, or another birth date, is still CLEAR.
TEST_F(VettingServiceTest, ACandidateWhoWritesAFieldOfTwoWordsAsOneIsReferNeverClear) {
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000904", "Hoti Morina", "Ali Arben", "1980-01-01")).empty());
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Hotimorina", "Besnik"}, {"Morinahoti", "Besnik"}, {"Arbenali", "Xhafa"},
           {"Xhafa", "Hotimorina"}, {"Hoti Morina", "Besnik"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, "1980-01-01")),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000904", "Hoti Morina", "Ali Arben", "1980-01-01")),
            v1::VETTING_RESULT_NOT_CLEAR);
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Hoti", "Besnik", "1980-01-01"}, {"Hotimorin", "Besnik", "1980-01-01"},
           {"Hotimorina", "Besnik", "1980-01-02"}, {"Arbenali", "Xhafa", "1979-12-31"}}) {
    SCOPED_TRACE(surname + ", " + given + " " + born);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_CLEAR);
  }
}

// Every word of a name pairs: words put before two of a record's ("Aa Bb Cc Dd Hoti", "Arben")
// or a record's fifth given name ("Rexhep" of "Mehmet Ali Hasan Ibrahim Rexhep") no longer fall
// outside the pairs (before, a signed CLEAR under another number). A name asked about with more
// than six words in a field is refused naming the field, the same answer whatever the registry
// holds; the record's own exact name of five given names still decides.
TEST_F(VettingServiceTest, EveryWordOfANameOfManyWordsPairsAndMoreThanSixAreRefused) {
  ASSERT_FALSE(
      CreateRecord(RecordOf("4000000905", "Hoti Morina", "Ali Arben", "1980-01-01")).empty());
  ASSERT_FALSE(CreateRecord(RecordOf("4000000906", "Shala", "Mehmet Ali Hasan Ibrahim Rexhep",
                                     "1970-07-07"))
                   .empty());
  for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                   std::string>>{
           {"Aa Bb Cc Dd Hoti", "Arben", "1980-01-01"},
           {"Aa Bb Cc Dd Ee Hoti", "Arben", "1980-01-01"},
           {"Shala", "Ee Ff Gg Hh Rexhep", "1970-07-07"}, {"Rexhep", "Ibrahim", "1970-07-07"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(ResultOf(NamedCandidate(Another(), surname, given, born)),
              v1::VETTING_RESULT_REFER);
  }
  EXPECT_EQ(ResultOf(NamedCandidate("4000000906", "Shala", "Mehmet Ali Hasan Ibrahim Rexhep",
                                    "1970-07-07")),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Aa Bb Cc Dd Hoti", "Besnik", "1980-01-01")),
            v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(ResultOf(NamedCandidate(Another(), "Rexhep", "Ibrahim", "1970-07-08")),
            v1::VETTING_RESULT_CLEAR);
  std::string refusal;
  for (const std::string& number : {Another(), std::string("4000000905")}) {
    for (const auto& [surname, given, born] : std::vector<std::tuple<std::string, std::string,
                                                                     std::string>>{
             {"Aa Bb Cc Dd Ee Ff Hoti", "Arben", "1980-01-01"},
             {"Aa Bb Cc Dd Ee Ff Gg", "Arben", "1990-02-02"}}) {
      SCOPED_TRACE(number + " " + surname);
      const Reply reply = Check(NamedCandidate(number, surname, given, born));
      EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_THAT(reply.status.error_message(), ::testing::HasSubstr("surname"));
      if (refusal.empty()) refusal = reply.status.error_message();
      EXPECT_EQ(reply.status.error_message(), refusal);
    }
  }
  const Reply given = Check(NamedCandidate(Another(), "Hoti", "Aa Bb Cc Dd Ee Ff Arben",
                                           "1980-01-01"));
  EXPECT_EQ(given.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(given.status.error_message(), ::testing::HasSubstr("given_name"));
}

}  // namespace
}  // namespace registry::testing
