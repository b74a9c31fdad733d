// Names across Albanian and Serbian spellings, through a real registryd: a court's name search
// returns the exact matches first, then the records that match only in the loose form as
// "possible matches"; vetting never uses the loose form, so a loosely matching name never
// widens an employer's answer.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/time_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Found {
  std::vector<std::string> exact;
  std::vector<std::string> possible;
};

class LooseSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    v1::CreateRecordRequest r = ExampleRecord();
    r.mutable_person()->set_surname("Petroviq");  // an Albanian spelling of Petrović
    r.mutable_person()->set_given_name("Gjorgje");
    grpc::ClientContext ctx;
    v1::CreateRecordResponse created;
    ASSERT_TRUE(v1::RecordService::NewStub(server_->Channel("clerk"))
                    ->CreateRecord(&ctx, r, &created)
                    .ok());
    id_ = created.record_id();
    person_ = r.person();
  }

  Found Search(const std::string& surname, const std::string& given,
               const std::string& birth = "1980-04-12") {
    v1::SearchRecordsRequest req;
    req.mutable_name()->set_surname(surname);
    req.mutable_name()->set_given_name(given);
    req.mutable_name()->set_birth_date(birth);
    v1::SearchRecordsResponse resp;
    const grpc::Status s = SearchRecordsAs(*server_, "court", req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    Found f;
    for (const auto& r : resp.records()) f.exact.push_back(r.metadata().record_id());
    for (const auto& r : resp.possible_matches()) f.possible.push_back(r.metadata().record_id());
    return f;
  }

  v1::VettingResult Vet(const std::string& pn, const std::string& surname,
                        const std::string& given) {
    v1::Person p = person_;
    p.set_personal_number(pn);
    p.set_surname(surname);
    p.set_given_name(given);
    grpc::ClientContext ctx;
    v1::VettingCheckResponse resp;
    const grpc::Status s = v1::VettingService::NewStub(server_->Channel("vetting"))
                               ->VettingCheck(&ctx, CandidateOf(p), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.result();
  }

  std::unique_ptr<TestServer> server_;
  std::string id_;
  v1::Person person_;
};

TEST_F(LooseSearchTest, ExactMatchesComeFirstAndOtherSpellingsArePossibleMatches) {
  const Found exact = Search("PETROVIQ", "gjorgje");
  EXPECT_THAT(exact.exact, ElementsAre(id_));
  EXPECT_THAT(exact.possible, IsEmpty());  // never listed twice

  for (const auto& [surname, given] :
       std::vector<std::pair<std::string, std::string>>{{"Petrović", "Đorđe"},
                                                        {"Петровић", "Ђорђе"},
                                                        {"Petrovic", "Dorde"},
                                                        {"Petrovic", "Djordje"}}) {
    SCOPED_TRACE(surname + " " + given);
    const Found f = Search(surname, given);
    EXPECT_THAT(f.exact, IsEmpty());
    EXPECT_THAT(f.possible, ElementsAre(id_));
  }
  // The birth date still has to agree; another name is no match at all.
  EXPECT_THAT(Search("Petrović", "Đorđe", "1980-04-13").possible, IsEmpty());
  EXPECT_THAT(Search("Petrovski", "Đorđe").possible, IsEmpty());

  // What the court saw, possible matches included, is on the record.
  storage::AuditLog* log = server_->server()->audit_log();
  v1::AuditEvent event;
  Search("Petrović", "Đorđe");
  ASSERT_TRUE(event.ParseFromString(*log->ReadEvent(log->CurrentHead().size - 1)));
  EXPECT_THAT(event.record_ids(), ElementsAre(id_));
  EXPECT_EQ(event.tokens_size(), 2);  // the exact and the loose token
}

// The same registered person, asked about under other spellings: vetting compares exact tokens
// only, so a loosely matching name is an identity mismatch (REFER), never NOT_CLEAR; and a
// loosely matching name under another personal number finds nothing (CLEAR).
TEST_F(LooseSearchTest, VettingNeverUsesTheLooseForm) {
  const std::string pn = person_.personal_number();
  EXPECT_EQ(Vet(pn, "Petroviq", "Gjorgje"), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(Vet(pn, "Petrović", "Đorđe"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(pn, "Petrovic", "Dorde"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(pn, "Petrovski", "Gjorgje"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet("5555555555", "Petroviq", "Gjorgje"), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(Vet("5555555555", "Petrović", "Đorđe"), v1::VETTING_RESULT_CLEAR);
}

// A search by name is checked like a vetting candidate: a birth date that is not before today is
// refused (it found nothing, quietly), and every bad field is named at once.
TEST_F(LooseSearchTest, ASearchByNameRefusesABirthDateNotBeforeTodayAndNamesEveryBadField) {
  const absl::CivilDay today = KosovoDay(absl::Now());
  for (const absl::CivilDay day : {today, today + 2, absl::CivilDay(2999, 1, 1)}) {
    v1::SearchRecordsRequest req;
    req.mutable_name()->set_surname("Petroviq");
    req.mutable_name()->set_given_name("Gjorgje");
    req.mutable_name()->set_birth_date(absl::FormatCivilTime(day));
    const grpc::Status s = SearchRecordsAs(*server_, "court", req, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << req.name().birth_date();
    EXPECT_EQ(s.error_message(), "name.birth_date: must be before today");
  }
  v1::SearchRecordsRequest both;
  both.mutable_name()->set_surname("Petroviq7");
  both.mutable_name()->set_given_name("Gjorgje");
  both.mutable_name()->set_birth_date(absl::FormatCivilTime(today + 2));
  const grpc::Status s = SearchRecordsAs(*server_, "court", both, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("name.surname: "));
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("name.birth_date: must be before today"));
}

}  // namespace
}  // namespace registry::testing
