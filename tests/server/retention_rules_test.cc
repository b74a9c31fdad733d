// Retention through a real registryd: a later conviction of the same person keeps the earlier
// ones visible (and not deleted) as long as itself; amending or erasing the later one recomputes
// them; convictions imported together are dated together; and a change of the retention rules
// re-dates the stored records at start-up as an audited system change.
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/data_files.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

absl::Time Today() {
  return absl::FromCivil(absl::CivilSecond(2026, 6, 1, 9, 0, 0), absl::UTCTimeZone());
}

// A fine for the example person, final on `final_date`: the adult catch-all rule, 10 / 15 years
// from the final date (a fine has no later end).
v1::CreateRecordRequest Fine(const std::string& judgment_date, const std::string& final_date,
                             const std::string& case_number) {
  v1::CreateRecordRequest r = ExampleRecord();
  v1::Conviction* c = r.mutable_conviction();
  c->set_case_number(case_number);
  c->set_judgment_date(judgment_date);
  c->set_final_date(final_date);
  c->mutable_sentence()->set_type(v1::SENTENCE_TYPE_FINE);
  c->mutable_sentence()->set_months(0);
  c->clear_bans();
  c->clear_release_date();
  testing::UnderTheCodeOfItsTime(c);
  return r;
}

// A copy of the shipped reference tables, in a new folder, for a test to change.
std::string CopyOfReference() {
  const std::string dir = testing::MakeTempDir("retention-rules-test");
  for (const char* file : {"offences.json", "courts.json", "retention.json"}) {
    std::filesystem::copy_file(absl::StrCat(REGISTRY_SOURCE_DIR, "/deploy/reference/", file),
                               absl::StrCat(dir, "/", file));
  }
  return dir;
}

// The adult catch-all rule (a fine's: 10 / 15 years) of the tables in `dir` becomes `visible` /
// `deleted` years.
void ChangeCatchAll(const std::string& dir, int visible, int deleted) {
  const std::string path = dir + "/retention.json";
  const std::string rules = testing::ReadBinary(path);
  const std::string catch_all =
      R"({"min_sentence_months": 0, "juvenile": false, "employer_visible_years": 10, "delete_after_years": 15})";
  ASSERT_TRUE(absl::StrContains(rules, catch_all));
  std::ofstream(path, std::ios::trunc) << absl::StrReplaceAll(
      rules, {{catch_all, absl::StrCat(R"({"min_sentence_months": 0, "juvenile": false, )",
                                       R"("employer_visible_years": )", visible,
                                       R"(, "delete_after_years": )", deleted, "}")}});
}

class RetentionRulesTest : public ::testing::Test {
 protected:
  void Start(TestServerOptions options = {}) {
    options.clock = &clock_;
    server_ = TestServer::Start(std::move(options));
  }

  // Starts the stopped server again (on a new port).
  // Stores the example record on a registry reading a copy of the reference data, stops it,
  // hands the line of the record's court in courts.json to `edit` (which changes it, or empties it
  // to take the court out), and starts the registry again. The record's id; "" on a failure.
  std::string StoreExampleThenEditItsCourt(const std::string& reference,
                                           const std::function<void(std::string*)>& edit) {
    TestServerOptions options;
    options.reference_dir = reference;
    Start(std::move(options));
    const v1::CreateRecordRequest example = ExampleRecord();
    const std::string id = Create(example);
    server_->Stop();
    const std::string courts_path = reference + "/courts.json";
    const std::string courts = testing::ReadBinary(courts_path);
    const std::string entry =
        absl::StrCat(R"({"id": ")", example.conviction().court_id(), R"(")");
    const size_t at = courts.find(entry);
    const size_t end = at == std::string::npos ? at : courts.find('\n', at);
    if (end == std::string::npos) {
      ADD_FAILURE() << "no line of the court in " << courts_path;
      return "";
    }
    std::string line = courts.substr(at, end + 1 - at);
    edit(&line);
    std::ofstream(courts_path, std::ios::trunc) << courts.substr(0, at) << line
                                                << courts.substr(end + 1);
    const absl::Status restarted = Restart();
    EXPECT_TRUE(restarted.ok()) << restarted;
    return restarted.ok() ? id : "";
  }

  absl::Status Restart() {
    clerk_.reset();
    return server_->Restart();
  }

  v1::RecordService::Stub* Clerk() {
    if (clerk_ == nullptr) clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
    return clerk_.get();
  }

  std::string Create(const v1::CreateRecordRequest& req) {
    grpc::ClientContext ctx;
    v1::CreateRecordResponse resp;
    const grpc::Status s = Clerk()->CreateRecord(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record_id();
  }

  v1::RecordMetadata Meta(const std::string& id) {
    v1::Record record;
    const grpc::Status s = testing::GetRecordAs(*server_, "clerk", id, &record);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return record.metadata();
  }

  v1::VettingResult Vet() { return testing::VetAs(*server_, "vetting", ExampleRecord().person()); }

  void Dispute(const std::string& id) {
    grpc::ClientContext ctx;
    v1::DisputeRecordRequest req;
    req.set_record_id(id);
    req.set_reason("the person contests the identity");
    v1::RecordStatusResponse resp;
    ASSERT_TRUE(Clerk()->DisputeRecord(&ctx, req, &resp).ok());
  }

  // The clerk's amendment `amend`: its status, and the answer in `resp` when one is wanted.
  grpc::Status Amend(const v1::AmendRecordRequest& amend,
                     v1::AmendRecordResponse* resp = nullptr) {
    grpc::ClientContext ctx;
    v1::AmendRecordResponse ignored;
    return Clerk()->AmendRecord(&ctx, amend, resp != nullptr ? resp : &ignored);
  }

  // An amendment of version 1 of the record `id` that corrects its address alone.
  static v1::AmendRecordRequest AddressAmendment(const std::string& id) {
    v1::AmendRecordRequest amend;
    amend.set_record_id(id);
    amend.set_expected_version(1);
    amend.mutable_person()->set_last_known_address("Rruga B 2, Prishtinë");
    amend.mutable_update_mask()->add_paths("person.last_known_address");
    amend.set_reason("address corrected");
    return amend;
  }

  grpc::Status Expunge(const std::string& id) {
    grpc::ClientContext ctx;
    v1::ExpungeRecordRequest req;
    req.set_record_id(id);
    req.set_legal_basis("CC 04/L-082 art. 103");
    v1::ExpungeRecordResponse resp;
    return Clerk()->ExpungeRecord(&ctx, req, &resp);
  }

  FakeClock clock_{Today()};
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> clerk_;
};

TEST_F(RetentionRulesTest, ALaterConvictionKeepsTheEarlierOneAndErasingItGivesItBack) {
  Start();
  // A first offence, spent since 2024.
  const std::string first = Create(Fine("2014-01-02", "2014-01-10", "P 1/2014"));
  EXPECT_EQ(Meta(first).employer_visible_until(), "2024-01-10");
  EXPECT_EQ(Meta(first).delete_after(), "2029-01-10");
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_CLEAR);

  // A new offence: rehabilitation of the first lapses; it counts again, as long as the new one.
  const std::string second = Create(Fine("2020-02-20", "2020-03-01", "P 2/2020"));
  EXPECT_EQ(Meta(second).employer_visible_until(), "2030-03-01");
  EXPECT_EQ(Meta(first).employer_visible_until(), "2030-03-01");
  EXPECT_EQ(Meta(first).delete_after(), "2035-03-01");
  // While the new one is disputed it keeps nothing visible: the first is spent on its own dates,
  // and the disputed one refers (a spent record must not turn a dispute into NOT_CLEAR). Its
  // deletion stays put off, in case the dispute ends in the record's favour.
  Dispute(second);
  EXPECT_EQ(Meta(first).employer_visible_until(), "2024-01-10");
  EXPECT_EQ(Meta(first).delete_after(), "2035-03-01");
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_REFER);
  // Confirmed: the first counts again, as long as the new one.
  {
    grpc::ClientContext ctx;
    v1::ResolveDisputeRequest resolve;
    resolve.set_record_id(second);
    resolve.set_reason("the court confirmed the identity");
    v1::RecordStatusResponse resp;
    ASSERT_TRUE(Clerk()->ResolveDispute(&ctx, resolve, &resp).ok());
  }
  EXPECT_EQ(Meta(first).employer_visible_until(), "2030-03-01");
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_NOT_CLEAR);

  // Amending the later one recomputes the earlier one.
  {
    v1::AmendRecordRequest amend;
    amend.set_record_id(second);
    amend.mutable_conviction()->set_final_date("2021-04-01");
    amend.mutable_update_mask()->add_paths("conviction.final_date");
    amend.set_reason("final date corrected by court notice");
    ASSERT_TRUE(Amend(amend).ok());
  }
  EXPECT_EQ(Meta(first).employer_visible_until(), "2031-04-01");

  // Erasing the later one gives the first its own dates back: spent again.
  ASSERT_TRUE(Expunge(second).ok());
  EXPECT_EQ(Meta(first).employer_visible_until(), "2024-01-10");
  EXPECT_EQ(Meta(first).delete_after(), "2029-01-10");
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_CLEAR);
}

// Someone with write access to the data folder (not the key file) saves a record's head and puts
// it back after its person's other records changed: the head authenticates, at the same version,
// with the dates in force of that earlier time. Vetting and retention take the dates in force from
// the person's records' own dates, so the put-back head changes no answer and erases nothing
// early; the data check names it.
class PutBackHeadTest : public RetentionRulesTest {
 protected:
  // The stored head of `id`, as an insider copies it; the server is started again.
  StoredRows SaveHead(const std::string& id) {
    StoredRows head;
    EXPECT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
      for (const auto& row : CopyRows(db, {storage::Cf::kRecords})) {
        if (row.second.first == id) head.push_back(row);
      }
    }));
    EXPECT_EQ(head.size(), 1u);
    EXPECT_TRUE(Restart().ok());
    return head;
  }
  void PutBack(const StoredRows& rows) {
    ASSERT_NO_FATAL_FAILURE(
        EditStoppedData(*server_, [&](storage::Database* db) { PutRows(db, rows); }));
    ASSERT_TRUE(Restart().ok());
  }
  std::vector<std::string> Problems() {
    grpc::ClientContext ctx;
    v1::VerifyDataResponse resp;
    const grpc::Status s = v1::AdminService::NewStub(server_->Channel("admin"))
                               ->VerifyData(&ctx, v1::VerifyDataRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.problems().begin(), resp.problems().end()};
  }
  static std::string Named(const std::string& id) {
    return absl::StrCat("record ", id,
                        ": dates in force differ from what the person's records give (a head put "
                        "back from before a re-dating)");
  }
};

TEST_F(PutBackHeadTest, AnErasedRecordsExtensionDoesNotComeBackWithAnOldHead) {
  Start();
  const std::string first = Create(Fine("2014-01-02", "2014-01-10", "P 1/2014"));
  const std::string second = Create(Fine("2020-02-20", "2020-03-01", "P 2/2020"));
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_NOT_CLEAR);
  const StoredRows extended = SaveHead(first);  // visible until 2030-03-01, by the second
  ASSERT_TRUE(Expunge(second).ok());
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_CLEAR);
  ASSERT_TRUE(Problems().empty());

  PutBack(extended);
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_CLEAR) << "the erased record's extension came back";
  EXPECT_THAT(Problems(), ::testing::ElementsAre(Named(first)));
}

TEST_F(PutBackHeadTest, AnOldHeadWithAnEarlierDeletionDateErasesNothingEarly) {
  Start();
  const std::string first = Create(Fine("2014-01-02", "2014-01-10", "P 1/2014"));
  const StoredRows alone = SaveHead(first);  // delete after 2029-01-10
  Create(Fine("2020-02-20", "2020-03-01", "P 2/2020"));
  EXPECT_EQ(Meta(first).delete_after(), "2035-03-01");

  PutBack(alone);
  clock_.Advance(absl::Hours(24 * 365 * 3));  // 2029-05-31: past the put-back date, not the real
  ASSERT_TRUE(server_->server()->RunRetentionOnce().ok());
  v1::Record record;
  EXPECT_TRUE(testing::GetRecordAs(*server_, "clerk", first, &record).ok())
      << "erased six years early";
  EXPECT_THAT(Problems(), ::testing::ElementsAre(Named(first)));
}

// The same insider, when the retention rules changed in between: the re-dating at start-up seals
// every head again under the new rules, so a head put back from before the change is one sealed
// under other rules. Vetting and retention compute its own dates from its conviction under the
// rules in force, and the data check names it.
class PutBackAcrossRulesTest : public PutBackHeadTest {
 protected:
  void SetUp() override {
    reference_ = CopyOfReference();
    TestServerOptions options;
    options.reference_dir = reference_;
    Start(std::move(options));
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(reference_);
  }
  // The catch-all rule changes (ChangeCatchAll) and the server starts again: the stored records
  // are re-dated.
  void ChangeRules(int visible, int deleted) {
    server_->Stop();
    ASSERT_NO_FATAL_FAILURE(ChangeCatchAll(reference_, visible, deleted));
    ASSERT_TRUE(Restart().ok());
  }
  static std::string SealedUnderOtherRules(const std::string& id) {
    return absl::StrCat("record ", id,
                        ": own dates sealed under other retention rules than those in force (a "
                        "head put back from before a change of the rules)");
  }
  std::string reference_;
};

TEST_F(PutBackAcrossRulesTest, AHeadFromBeforeLongerRulesDoesNotMakeARecordSpent) {
  const std::string first = Create(Fine("2014-01-02", "2014-01-10", "P 1/2014"));
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_CLEAR);  // spent since 2024-01-10
  // Another person's record, under a rule that stays: its dates stay, and its head is sealed
  // again under the new rules all the same (the data check below finds nothing).
  v1::CreateRecordRequest other = Fine("2019-01-02", "2019-01-10", "P 9/2019");
  other.mutable_person()->set_personal_number("2222222222");
  other.mutable_conviction()->mutable_sentence()->set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  other.mutable_conviction()->mutable_sentence()->set_months(24);
  const std::string unchanged = Create(other);
  EXPECT_EQ(Meta(unchanged).employer_visible_until(), "2036-01-10");
  const StoredRows spent = SaveHead(first);
  ASSERT_NO_FATAL_FAILURE(ChangeRules(15, 20));
  EXPECT_EQ(Meta(first).employer_visible_until(), "2029-01-10");
  EXPECT_EQ(Meta(unchanged).employer_visible_until(), "2036-01-10");
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_NOT_CLEAR);
  ASSERT_TRUE(Problems().empty());

  PutBack(spent);
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_NOT_CLEAR) << "the rules no longer in force answered";
  EXPECT_THAT(Problems(), ::testing::Contains(SealedUnderOtherRules(first)));
  // Nor is it erased by the old rules' date (2029-01-10) once that has passed.
  clock_.Advance(absl::Hours(24 * 365 * 3));
  ASSERT_TRUE(server_->server()->RunRetentionOnce().ok());
  v1::Record record;
  EXPECT_TRUE(testing::GetRecordAs(*server_, "clerk", first, &record).ok())
      << "erased five years early";
}

TEST_F(PutBackAcrossRulesTest, AHeadFromBeforeShorterRulesDoesNotKeepARecordPastItsTime) {
  const std::string first = Create(Fine("2016-01-02", "2016-01-10", "P 1/2016"));
  EXPECT_EQ(Meta(first).delete_after(), "2031-01-10");
  const StoredRows kept = SaveHead(first);
  ASSERT_NO_FATAL_FAILURE(ChangeRules(10, 12));
  EXPECT_EQ(Meta(first).delete_after(), "2028-01-10");

  PutBack(kept);
  EXPECT_THAT(Problems(), ::testing::Contains(SealedUnderOtherRules(first)));
  clock_.Advance(absl::Hours(24 * 365 * 2));  // 2028-05-31: past the rules' date, not the old
  ASSERT_TRUE(server_->server()->RunRetentionOnce().ok());
  v1::Record record;
  EXPECT_EQ(testing::GetRecordAs(*server_, "clerk", first, &record).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "kept three years past its deletion date";
}

// An earlier conviction whose own retention has ended is kept by a later one; when the later one
// is expunged, the earlier one is erased with it, as the retention run would erase it (a system
// event of its own), before the clerk's answer: it stayed readable by courts until the next
// retention run, up to an hour, or a day with a longer interval.
TEST_F(RetentionRulesTest, ExpungingTheLaterConvictionErasesAnEarlierOneItKeptPastItsTime) {
  Start();
  // Final on 2020-01-05, within the earlier one's period (it counts until 2020-01-10).
  const std::string later = Create(Fine("2019-12-20", "2020-01-05", "P 2/2020"));
  // Final in 2010: erased on 2025-01-10 by its own dates, kept by the later one until 2035.
  const std::string earlier = Create(Fine("2010-01-02", "2010-01-10", "P 1/2010"));
  ASSERT_EQ(Meta(earlier).delete_after(), "2035-01-05");
  // Another person's record of the same years is not touched.
  v1::CreateRecordRequest other_person = Fine("2020-02-20", "2020-03-01", "P 3/2020");
  other_person.mutable_person()->set_given_name("Besnik");  // another person, another name
  other_person.mutable_person()->set_personal_number("2222222222");
  const std::string other = Create(other_person);

  ASSERT_TRUE(Expunge(later).ok());
  v1::Record record;
  EXPECT_EQ(testing::GetRecordAs(*server_, "clerk", earlier, &record).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(testing::GetRecordAs(*server_, "clerk", other, &record).ok());
  EXPECT_EQ(Vet(), v1::VETTING_RESULT_CLEAR);

  storage::AuditLog* log = server_->server()->audit_log();
  int erasures = 0;
  ASSERT_TRUE(log->Scan(0, log->CurrentHead().size, [&](uint64_t, absl::string_view bytes) {
                   v1::AuditEvent e;
                   EXPECT_TRUE(e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
                   if (e.actor() != "system:retention") return true;
                   ++erasures;
                   EXPECT_EQ(std::vector<std::string>(e.record_ids().begin(),
                                                      e.record_ids().end()),
                             std::vector<std::string>{earlier});
                   EXPECT_EQ(e.reference(), "retention: delete_after reached after an expunge");
                   EXPECT_EQ(e.outcome(), 0);
                   return true;
                 }).ok());
  EXPECT_EQ(erasures, 1);
  // Nothing is left for the retention run.
  absl::StatusOr<int> run = server_->server()->RunRetentionOnce();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(*run, 0);
}

// A repeat offender's later judgment under a married surname, with the same personal number and
// the earlier surname as an alias, is the same person's, as the court's name search takes it:
// the earlier conviction counts, and is kept, as long as the later one (it was erased on its own
// schedule), and vetting under the earlier name is NOT_CLEAR while the later one counts.
TEST_F(RetentionRulesTest, ALaterConvictionUnderAMarriedSurnameWithTheAliasKeepsTheEarlierOne) {
  Start();
  v1::CreateRecordRequest berisha = Fine("2014-12-01", "2015-01-10", "P 1/2014");
  v1::Person* person = berisha.mutable_person();
  person->set_surname("Berisha");
  person->set_given_name("Arta");
  person->set_sex(v1::SEX_FEMALE);
  person->set_birth_date("1980-08-10");
  person->set_personal_number("9910000003");
  const std::string earlier = Create(berisha);
  ASSERT_EQ(Meta(earlier).employer_visible_until(), "2025-01-10");
  ASSERT_EQ(Meta(earlier).delete_after(), "2030-01-10");
  v1::CreateRecordRequest married = Fine("2024-05-01", "2024-06-01", "P 1/2024");
  *married.mutable_person() = *person;
  married.mutable_person()->set_surname("Hoxha-Berisha");
  married.mutable_person()->add_aliases("Berisha");
  const std::string later = Create(married);
  EXPECT_EQ(Meta(later).employer_visible_until(), "2034-06-01");
  EXPECT_EQ(Meta(earlier).employer_visible_until(), "2034-06-01");
  EXPECT_EQ(Meta(earlier).delete_after(), "2039-06-01");
  EXPECT_EQ(testing::VetAs(*server_, "vetting", *person), v1::VETTING_RESULT_NOT_CLEAR);
}

// Berisha Vjosa's record counts for vetting until 2023-03-01; her record under the married
// surname (alias Berisha), final on 2025-01-01, is after that and revives nothing: vetting her
// refers. A record final within her period that only keeps hers from deletion (another person's
// under her number, hers in another spelling, her own disputed one) must not lengthen the
// period so as to take the later one in and answer NOT_CLEAR from a spent record.
TEST_F(RetentionRulesTest, ARecordThatOnlyKeepsAnotherFromDeletionDoesNotMakeASpentOneNotClear) {
  Start();
  enum class Keeper { kAnotherPerson, kAnotherSpelling, kDisputed };
  int n = 40;
  for (const Keeper keeper :
       {Keeper::kAnotherPerson, Keeper::kAnotherSpelling, Keeper::kDisputed}) {
    SCOPED_TRACE(static_cast<int>(keeper));
    v1::CreateRecordRequest a = Fine("2013-01-15", "2013-03-01", "A 1/2013");
    v1::Person* vjosa = a.mutable_person();
    vjosa->set_surname("Berisha");
    vjosa->set_given_name("Vjosa");
    vjosa->set_sex(v1::SEX_FEMALE);
    vjosa->set_birth_date("1980-09-09");
    vjosa->set_personal_number(absl::StrCat("30000000", n++));
    const std::string spent = Create(a);
    ASSERT_EQ(Meta(spent).employer_visible_until(), "2023-03-01");
    v1::CreateRecordRequest b = Fine("2022-10-15", "2022-12-01", "B 1/2022");
    *b.mutable_person() = *vjosa;
    if (keeper == Keeper::kAnotherPerson) {
      b.mutable_person()->set_surname("Gashi");
      b.mutable_person()->set_given_name("Arta");
      b.mutable_person()->set_birth_date("1985-01-01");
    } else if (keeper == Keeper::kAnotherSpelling) {
      b.mutable_person()->set_surname("Berisa");
    }
    const std::string kept = Create(b);
    if (keeper == Keeper::kDisputed) Dispute(kept);
    v1::CreateRecordRequest c = Fine("2024-11-15", "2025-01-01", "C 1/2025");
    *c.mutable_person() = *vjosa;
    c.mutable_person()->set_surname("Hoxha-Berisha");
    c.mutable_person()->add_aliases("Berisha");
    Create(c);
    EXPECT_EQ(Meta(spent).employer_visible_until(), "2023-03-01");
    EXPECT_EQ(Meta(spent).delete_after(), "2040-01-01");
    EXPECT_EQ(testing::VetAs(*server_, "vetting", *vjosa), v1::VETTING_RESULT_REFER);
  }
}

// A conviction final after the person's earlier one had stopped counting (spent on 2024-01-10,
// the new judgment final on 2025-06-01) keeps its own dates and leaves the earlier one's as they
// were: it kept the earlier one eleven years longer, though its rehabilitation had come.
TEST_F(RetentionRulesTest, AConvictionFinalAfterAnEarlierOneWasSpentDoesNotReviveIt) {
  Start();
  const std::string earlier = Create(Fine("2014-01-02", "2014-01-10", "P 1/2014"));
  ASSERT_EQ(Meta(earlier).employer_visible_until(), "2024-01-10");
  ASSERT_EQ(Meta(earlier).delete_after(), "2029-01-10");
  const std::string later = Create(Fine("2025-05-20", "2025-06-01", "P 2/2025"));
  EXPECT_EQ(Meta(earlier).employer_visible_until(), "2024-01-10");
  EXPECT_EQ(Meta(earlier).delete_after(), "2029-01-10");
  EXPECT_EQ(Meta(later).employer_visible_until(), "2035-06-01");
}

TEST_F(RetentionRulesTest, MovingALaterConvictionToAnotherPersonRecomputesBoth) {
  Start();
  const std::string first = Create(Fine("2014-01-02", "2014-01-10", "P 1/2014"));
  const std::string second = Create(Fine("2020-02-20", "2020-03-01", "P 2/2020"));
  ASSERT_EQ(Meta(first).employer_visible_until(), "2030-03-01");
  v1::AmendRecordRequest amend;
  amend.set_record_id(second);
  amend.mutable_person()->set_personal_number("2222222222");
  amend.mutable_update_mask()->add_paths("person.personal_number");
  amend.set_reason("personal number corrected: another person");
  ASSERT_TRUE(Amend(amend).ok());
  EXPECT_EQ(Meta(first).employer_visible_until(), "2024-01-10");
  EXPECT_EQ(Meta(second).employer_visible_until(), "2030-03-01");
}

TEST_F(RetentionRulesTest, ConvictionsImportedTogetherAreDatedTogether) {
  Start();
  grpc::ClientContext ctx;
  v1::ImportRecordsRequest req;
  v1::ImportRow* a = req.add_rows();
  a->set_line(1);
  const v1::CreateRecordRequest first = Fine("2014-01-02", "2014-01-10", "P 1/2014");
  *a->mutable_record()->mutable_person() = first.person();
  *a->mutable_record()->mutable_conviction() = first.conviction();
  v1::ImportRow* b = req.add_rows();
  b->set_line(2);
  const v1::CreateRecordRequest second = Fine("2020-02-20", "2020-03-01", "P 2/2020");
  *b->mutable_record()->mutable_person() = second.person();
  *b->mutable_record()->mutable_conviction() = second.conviction();
  v1::ImportRecordsResponse resp;
  ASSERT_TRUE(Clerk()->ImportRecords(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  EXPECT_EQ(Meta(resp.results(0).record_id()).employer_visible_until(), "2030-03-01");
  EXPECT_EQ(Meta(resp.results(1).record_id()).employer_visible_until(), "2030-03-01");
}

// A court taken out of the reference tables after a record naming it was entered: an amendment of
// another field is refused (the record would be stored again with a court the tables do not
// list), and the answer says that the tables no longer list it, not that the amended field made
// it wrong. Amending the court too is accepted.
TEST_F(RetentionRulesTest, AnAmendmentOfARecordWhoseCourtTheTablesNoLongerListSaysSo) {
  const std::string reference = CopyOfReference();
  const std::string id =
      StoreExampleThenEditItsCourt(reference, [](std::string* line) { line->clear(); });
  ASSERT_FALSE(id.empty());

  v1::AmendRecordRequest amend = AddressAmendment(id);
  {
    const grpc::Status s = Amend(amend);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(),
              "conviction.court_id: not in the court table (left as it was: the reference tables "
              "no longer list what the record holds; amend it too, or have the entry put back in "
              "the reference data)");
  }
  amend.mutable_conviction()->set_court_id("basic-prizren");
  amend.mutable_update_mask()->add_paths("conviction.court_id");
  {
    v1::AmendRecordResponse resp;
    const grpc::Status s = Amend(amend, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.version(), 2u);
  }
  server_.reset();
  std::filesystem::remove_all(reference);
}

// A record stored before a rule that now refuses it (here a court's dates, as a court dated
// after it judged): an amendment of another field is refused, and the answer says that the record
// was entered before the registry checked this, not that the amended field made it wrong.
TEST_F(RetentionRulesTest, AnAmendmentOfARecordEnteredBeforeARuleThatRefusesItSaysSo) {
  const std::string reference = CopyOfReference();
  const std::string id = StoreExampleThenEditItsCourt(reference, [](std::string* line) {
    // Dated after it judged the example.
    *line = absl::StrReplaceAll(*line, {{R"("valid_from": "2013-01-01")",
                                         R"("valid_from": "2099-01-01")"}});
  });
  ASSERT_FALSE(id.empty());
  const v1::CreateRecordRequest example = ExampleRecord();

  v1::AmendRecordRequest amend = AddressAmendment(id);
  const grpc::Status s = Amend(amend);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("did not judge yet on the judgment date"));
  EXPECT_THAT(s.error_message(),
              ::testing::EndsWith("(left as it was: the record was entered before the registry "
                                  "checked this; amend it too)"));
  EXPECT_THAT(s.error_message(), ::testing::Not(::testing::HasSubstr("no longer fits")));
  // An amendment of a field the rule reads (the judgment date) is told that it made the court
  // wrong, not that the record was entered before the rule.
  amend.mutable_conviction()->set_judgment_date(example.conviction().judgment_date());
  amend.mutable_update_mask()->add_paths("conviction.judgment_date");
  const grpc::Status dated = Amend(amend);
  EXPECT_EQ(dated.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(dated.error_message(), ::testing::HasSubstr("no longer fits the amended"));
  EXPECT_THAT(dated.error_message(), ::testing::Not(::testing::HasSubstr("entered before")));
  server_.reset();
  std::filesystem::remove_all(reference);
}

TEST_F(RetentionRulesTest, ChangedRulesReDateStoredRecordsAtStartUpAsAnAuditedSystemChange) {
  const std::string reference = CopyOfReference();
  TestServerOptions options;
  options.reference_dir = reference;
  Start(std::move(options));
  const std::string id = Create(Fine("2020-02-20", "2020-03-01", "P 2/2020"));
  ASSERT_EQ(Meta(id).employer_visible_until(), "2030-03-01");

  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(ChangeCatchAll(reference, 12, 15));
  ASSERT_TRUE(Restart().ok());
  EXPECT_EQ(Meta(id).employer_visible_until(), "2032-03-01");

  storage::AuditLog* log = server_->server()->audit_log();
  int redating_events = 0;
  ASSERT_TRUE(log->Scan(0, log->CurrentHead().size, [&](uint64_t, absl::string_view bytes) {
                   v1::AuditEvent e;
                   EXPECT_TRUE(e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
                   if (e.actor() != "system:retention-rules") return true;
                   ++redating_events;
                   EXPECT_EQ(std::vector<std::string>(e.record_ids().begin(),
                                                      e.record_ids().end()),
                             std::vector<std::string>{id});
                   EXPECT_TRUE(absl::StrContains(e.reference(), "1 re-dated")) << e.reference();
                   return true;
                 }).ok());
  EXPECT_EQ(redating_events, 1);
  // Done once: the next start finds the rules unchanged.
  const uint64_t size = log->CurrentHead().size;
  ASSERT_TRUE(Restart().ok());
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, size);
  server_.reset();
  std::filesystem::remove_all(reference);
}

}  // namespace
}  // namespace registry::testing
