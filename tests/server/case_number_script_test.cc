// A Cyrillic case number whose register uses letters that look like other Latin ones (Р, В, Н,
// С, У, Х) is the conviction its Latin spelling names, through the service: an expunged one does
// not come back when retyped in the other script, by a create, an import row or an amendment,
// while the register its letters only look like is another conviction.

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "tests/testing/case_number_spellings.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;

class ErasureTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start({}); }

  // A record of a person nobody else here has, at basic-mitrovice under `case_number`.
  static v1::CreateRecordRequest RecordUnder(const std::string& case_number) {
    v1::CreateRecordRequest r = ExampleRecord();
    r.mutable_person()->set_surname("Xhemajlqerosi");
    r.mutable_person()->set_given_name("Vllazniforte");
    r.mutable_person()->set_personal_number("4815162399");
    r.mutable_conviction()->set_court_id("basic-mitrovice");
    r.mutable_conviction()->set_case_number(case_number);
    return r;
  }

  std::string Create(const v1::CreateRecordRequest& req) {
    return CreatedRecordId(*server_, "clerk", req);
  }

  // `req` again under `case_number` is refused as expunged: by a create, an import row, and an
  // amendment of the live record `other` into it.
  void ExpectRefusedAsExpunged(const v1::CreateRecordRequest& req, const std::string& case_number,
                               const std::string& other) {
    SCOPED_TRACE(case_number);
    v1::CreateRecordRequest again = req;
    again.mutable_conviction()->set_case_number(case_number);
    ExpectConvictionRefusedAsExpunged(again, other, {"conviction.case_number"});
  }

  // A conviction under `case_number` by the Tribunal d'arrondissement de Lausanne (CH), entered
  // and expunged: the same again with the court's name written `retyped` is refused as expunged.
  void ExpectExpungedAbroadRefusedAs(const std::string& case_number, const std::string& retyped,
                                     const std::string& other) {
    v1::CreateRecordRequest abroad = RecordUnder(case_number);
    abroad.mutable_conviction()->set_court_id("foreign");
    abroad.mutable_conviction()->set_foreign_court("Tribunal d'arrondissement de Lausanne");
    abroad.mutable_conviction()->set_foreign_country("CH");
    const std::string lausanne = Create(abroad);
    ASSERT_FALSE(lausanne.empty());
    ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", lausanne).ok());
    v1::CreateRecordRequest again = abroad;
    again.mutable_conviction()->set_foreign_court(retyped);
    ExpectConvictionRefusedAsExpunged(again, other,
                                      {"conviction.court_id", "conviction.foreign_court",
                                       "conviction.foreign_country", "conviction.case_number"});
  }

  // `again` is refused as expunged: by a create, an import row, and an amendment of the live
  // record `other` into its conviction (the fields `paths`).
  void ExpectConvictionRefusedAsExpunged(const v1::CreateRecordRequest& again,
                                         const std::string& other,
                                         const std::vector<std::string>& paths) {
    const grpc::Status created = CreateRecordAs(*server_, "clerk", again, nullptr);
    EXPECT_EQ(created.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << created.error_message();
    EXPECT_THAT(created.error_message(), HasSubstr("expunged"));

    v1::ImportRecordsRequest import;
    v1::ImportRow* row = import.add_rows();
    row->set_line(1);
    *row->mutable_record() = again;
    v1::ImportRecordsResponse imported;
    grpc::ClientContext import_ctx;
    import_ctx.set_deadline(CallDeadline());
    const grpc::Status s = v1::RecordService::NewStub(server_->Channel("clerk"))
                               ->ImportRecords(&import_ctx, import, &imported);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(imported.results_size(), 1);
    EXPECT_EQ(imported.results(0).outcome(), v1::ImportRowResult::OUTCOME_INVALID);
    EXPECT_THAT(imported.results(0).error(), HasSubstr("expunged"));

    v1::AmendRecordRequest amend;
    amend.set_record_id(other);
    *amend.mutable_person() = again.person();
    *amend.mutable_conviction() = again.conviction();
    for (const std::string& path : paths) amend.mutable_update_mask()->add_paths(path);
    amend.set_reason("case number corrected");
    v1::AmendRecordResponse amended;
    grpc::ClientContext amend_ctx;
    amend_ctx.set_deadline(CallDeadline());
    const grpc::Status a = v1::RecordService::NewStub(server_->Channel("clerk"))
                               ->AmendRecord(&amend_ctx, amend, &amended);
    EXPECT_EQ(a.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << a.error_message();
    EXPECT_THAT(a.error_message(), HasSubstr("expunged"));
  }

  std::unique_ptr<TestServer> server_;
};

// "КР 16/2021" expunged came back as "KR 16/2021", and "KP 16/2021", another register, was refused
// as it; so for each register whose Cyrillic letters look like other Latin ones, either way round.
TEST_F(ErasureTest, AnExpungedCyrillicRegisterDoesNotComeBackInLatinNorTheOtherWayRound) {
  std::vector<std::pair<std::string, std::string>> registers;
  for (const LookalikeRegister& r : kLookalikeRegisters) {
    const std::string number = " " + std::to_string(16 + registers.size()) + "/2021";
    registers.emplace_back(r.cyrillic + number, r.latin + number);
  }
  // A live record to amend into each.
  const std::string other = Create(RecordUnder("K 1/2020"));
  ASSERT_FALSE(other.empty());
  int year = 2030;
  for (const auto& [cyrillic, latin] : registers) {
    for (const bool cyrillic_first : {true, false}) {
      // Another year each round: the same case number is erased once.
      const auto with_year = [&](const std::string& s) {
        return s.substr(0, s.size() - 4) + std::to_string(year);
      };
      const std::string first = with_year(cyrillic_first ? cyrillic : latin);
      const std::string second = with_year(cyrillic_first ? latin : cyrillic);
      ++year;
      const v1::CreateRecordRequest req = RecordUnder(first);
      const std::string id = Create(req);
      ASSERT_FALSE(id.empty()) << first;
      ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", id).ok());
      ASSERT_NO_FATAL_FAILURE(ExpectRefusedAsExpunged(req, first, other));
      ASSERT_NO_FATAL_FAILURE(ExpectRefusedAsExpunged(req, second, other));
    }
  }
  // The register the Cyrillic letters only look like is another conviction.
  const std::string kr = Create(RecordUnder("\xd0\x9a\xd0\xa0 16/2040"));
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", kr).ok());
  EXPECT_FALSE(Create(RecordUnder("KP 16/2040")).empty());
  const std::string r = Create(RecordUnder("\xd0\xa0 17/2040"));
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", r).ok());
  EXPECT_FALSE(Create(RecordUnder("P 17/2040")).empty());
}

// After "P 15/2021" was expunged, "P 15/2021 e vitit", "P nr. 15/2021 i datës 10.05.2021", "P nr.
// 15 viti 2021", "P.n. 15/2021" and their like came back as new records, by a create, an import
// row or an amendment of another record; so did a conviction abroad whose court's name was typed
// with a space for its apostrophe.
TEST_F(ErasureTest, AnExpungedCaseNumberDoesNotComeBackWithWhatMayFollowItsYear) {
  const std::string other = Create(RecordUnder("K 1/2020"));
  ASSERT_FALSE(other.empty());
  const v1::CreateRecordRequest req = RecordUnder("P 15/2021");
  const std::string id = Create(req);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", id).ok());
  for (const char* spelling :
       {"P.nr.15/2021 dt.10.05.2021", "P nr. 15/2021 i dat\xc3\xabs 10.05.2021",
        "P. br. 15/2021 od 10.05.2021", "P 15/2021 e vitit", "P 15/2021 od",
        "P 15/2021 iz 2021", "P nr. 15 viti 2021", "P nr. 15 i 2021", "P 15 od 2021",
        "P.n. 15/2021", "Pnr15/2021", "P 15/2021 l"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRefusedAsExpunged(req, spelling, other));
  }
  // A court abroad, its apostrophe typed as a space.
  ASSERT_NO_FATAL_FAILURE(ExpectExpungedAbroadRefusedAs("K 5/2021",
                                                         "Tribunal d arrondissement de Lausanne",
                                                         other));
}

// After "P 15/2021" was expunged, the reviewer brought it back with what the closed list of what
// may follow a year missed (month names, Roman months and years, other prepositions, a word
// after the date, a date between the number and the year) and with number words written onto
// the register, by a create, an import row or an amendment; and "Tribunal d'arrondissement de
// Lausanne" came back with its apostrophe left out. While it is live, "P 15/2021/3", "PV 15/2021"
// and "P 15/2021 K" are other convictions.
TEST_F(ErasureTest, AnExpungedCaseNumberDoesNotComeBackWhateverFollowsItsYear) {
  const std::string other = Create(RecordUnder("K 1/2020"));
  ASSERT_FALSE(other.empty());
  const v1::CreateRecordRequest req = RecordUnder("P 15/2021");
  const std::string id = Create(req);
  ASSERT_FALSE(id.empty());
  for (const char* distinct : {"P 15/2021/3", "PV 15/2021", "P 15/2021 K"}) {
    EXPECT_FALSE(Create(RecordUnder(distinct)).empty()) << distinct;
  }
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", id).ok());
  for (const char* spelling :
       {"P 15/2021 of 10 May 2021", "P 15/2021 od 10. maja 2021",
        "P 15/2021 e dat\xc3\xabs 10 maj 2021", "P 15/2021 od 10.V.2021",
        "P 15/2021 dt 10-V-2021", "P 15/2021 MMXXI", "P 15/2021 e vitit MMXXI",
        "P 15/2021 m\xc3\xab 10.05.2021", "P 15/2021 datuar 10.05.2021",
        "P 15/2021 \xd0\xbd\xd0\xb0 10.05.2021", "P 15/2021 vom 10.05.2021",
        "P 15/2021 od 10.O5.2O21", "P 15/2021 dt. 10.05.2021 dhe",
        "P 15/2021 dat\xc3\xab 10.05.2021 ora 12", "P 15 od 10.05.2021",
        "P 15 od 10.05.2021/2021", "Pbroj 15/2021", "Pnum\xc3\xabr 15/2021", "Pno. 15/2021",
        "PNr 15/2021"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRefusedAsExpunged(req, spelling, other));
  }
  // The refusal says why, with no personal data.
  v1::CreateRecordRequest month = req;
  month.mutable_conviction()->set_case_number("P 15/2021 of 10 May 2021");
  const grpc::Status refused = CreateRecordAs(*server_, "clerk", month, nullptr);
  EXPECT_THAT(refused.error_message(), HasSubstr("up to its year"));
  EXPECT_THAT(refused.error_message(), ::testing::Not(HasSubstr("4815162399")));
  // A court abroad, its apostrophe left out.
  ASSERT_NO_FATAL_FAILURE(ExpectExpungedAbroadRefusedAs("K 6/2021",
                                                         "Tribunal darrondissement de Lausanne",
                                                         other));
}

// Two rows of one import, "P 25/2021" and "P 25/2021 of 10 May 2021", were both entered: one
// conviction, filed twice.
TEST_F(ErasureTest, AnImportSeesTwoRowsOfOneCaseNumberUpToItsYearAsOneConviction) {
  v1::ImportRecordsRequest import;
  int line = 1;
  for (const char* spelling : {"P 25/2021", "P 25/2021 of 10 May 2021"}) {
    v1::ImportRow* row = import.add_rows();
    row->set_line(line++);
    *row->mutable_record() = RecordUnder(spelling);
  }
  v1::ImportRecordsResponse imported;
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  const grpc::Status s = v1::RecordService::NewStub(server_->Channel("clerk"))
                             ->ImportRecords(&ctx, import, &imported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(imported.results_size(), 2);
  int entered = 0;
  for (const v1::ImportRowResult& result : imported.results()) {
    if (result.outcome() == v1::ImportRowResult::OUTCOME_CREATED) {
      ++entered;
    } else {
      EXPECT_THAT(result.error(), HasSubstr("the same conviction"));
    }
  }
  EXPECT_EQ(entered, 1);
}

}  // namespace
}  // namespace registry::testing
