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
  v1::CreateRecordRequest abroad = RecordUnder("K 5/2021");
  abroad.mutable_conviction()->set_court_id("foreign");
  abroad.mutable_conviction()->set_foreign_court("Tribunal d'arrondissement de Lausanne");
  abroad.mutable_conviction()->set_foreign_country("CH");
  const std::string lausanne = Create(abroad);
  ASSERT_FALSE(lausanne.empty());
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", lausanne).ok());
  v1::CreateRecordRequest again = abroad;
  again.mutable_conviction()->set_foreign_court("Tribunal d arrondissement de Lausanne");
  ASSERT_NO_FATAL_FAILURE(ExpectConvictionRefusedAsExpunged(
      again, other,
      {"conviction.court_id", "conviction.foreign_court", "conviction.foreign_country",
       "conviction.case_number"}));
}

}  // namespace
}  // namespace registry::testing
