// The whole-data check (AdminService.VerifyData, `registryd --verify_data`): a consistent registry
// passes; a deleted index row (which silently turns NOT_CLEAR into CLEAR), an orphaned row, a
// missing version or head, and an erasure the database has not applied are each reported, and
// the offline command exits non-zero.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/info.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/check_config.h"
#include "server/data_check.h"
#include "server/registry_server.h"
#include "crypto/aes_gcm.h"
#include "crypto/hmac.h"
#include "storage/audit_log.h"
#include "storage/audit_watermark.h"
#include "storage/check_store.h"
#include "storage/database.h"
#include "storage/pending_write.h"
#include "storage/stored.pb.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/checked_calls.h"
#include "tests/testing/clients.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/data_files.h"
#include "tests/testing/methods.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class DataCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void Start(TestServerOptions options) { server_ = TestServer::Start(std::move(options)); }

  std::string Create(const v1::CreateRecordRequest& req) {
    return testing::CreatedRecordId(*server_, "clerk", req);
  }

  grpc::Status Expunge(const std::string& id) {
    return testing::ExpungeRecordAs(*server_, "clerk", id);
  }

  void Amend(const std::string& id) { AmendAddressByCourtNotice(*server_, id); }

  v1::VettingResult Vet(const v1::Person& person) {
    return testing::VetAs(*server_, "vetting", person);
  }

  // A court's search by `surname`, `given_name` and `birth_date`: its answer in *found.
  void SearchByName(const std::string& surname, const std::string& given_name,
                    const std::string& birth_date, v1::SearchRecordsResponse* found) {
    v1::SearchRecordsRequest search;
    search.mutable_name()->set_surname(surname);
    search.mutable_name()->set_given_name(given_name);
    search.mutable_name()->set_birth_date(birth_date);
    ASSERT_TRUE(SearchRecordsAs(*server_, "court", search, found).ok());
  }

  // Expects a court's search by `surname`, `given_name` and `birth_date` to find no record and
  // record `id` as its one possible match.
  void ExpectOnlyAPossibleMatch(const std::string& surname, const std::string& given_name,
                                const std::string& birth_date, const std::string& id) {
    v1::SearchRecordsResponse found;
    ASSERT_NO_FATAL_FAILURE(SearchByName(surname, given_name, birth_date, &found));
    EXPECT_EQ(found.records_size(), 0);
    ASSERT_EQ(found.possible_matches_size(), 1);
    EXPECT_EQ(found.possible_matches(0).metadata().record_id(), id);
  }

  v1::VerifyDataResponse Verify() { return VerifiedData(*server_); }

  // Stops the server, applies `edit` to its database, starts it again.
  void Edit(const std::function<void(storage::Database*)>& edit) {
    ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, edit));
    ASSERT_TRUE(server_->Restart().ok());
  }

  // Edit, and leaves the audit watermark as a release before the index seal wrote it: binding no
  // seal, the rest as it was (with LeaveAsSchema: a folder from before the seal).
  void EditBeforeTheSeal(const std::function<void(storage::Database*)>& edit) {
    ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, edit));
    const std::string path = server_->config().audit_watermark_file();
    std::string line;
    {
      std::ifstream in(path);
      std::getline(in, line);
    }
    const std::vector<std::string> fields = absl::StrSplit(line, ' ');
    ASSERT_EQ(fields.size(), 8u) << line;
    const std::string body = absl::StrJoin(fields.begin(), fields.begin() + 5, " ");
    absl::StatusOr<std::string> mac =
        crypto::HmacSha256(DerivedKeyOf(*server_, storage::kAuditWatermarkKeyPurpose),
                           absl::StrCat("kjc-registry/audit-watermark/v1|", body));
    ASSERT_TRUE(mac.ok()) << mac.status();
    WriteFileAtomically(path, absl::StrCat(body, " ", absl::BytesToHexString(*mac), "\n"));
    ASSERT_TRUE(server_->Restart().ok());
  }

  // testing::ForgeIndexSeal: for the tests of what lies behind the index seal (docs/security.md
  // row 115). The server stays stopped.
  void ForgeIndexSeal() { testing::ForgeIndexSeal(*server_); }

  // Edit, by someone holding the key file, who seals the index rows anew (ForgeIndexSeal).
  void EditBehindTheSeal(const std::function<void(storage::Database*)>& edit) {
    ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, edit));
    ASSERT_NO_FATAL_FAILURE(ForgeIndexSeal());
    ASSERT_TRUE(server_->Restart().ok());
  }

  storage::StoredHead Head(storage::Database* db, const std::string& id) {
    storage::StoredHead head;
    auto raw = db->Get(storage::Cf::kRecords, id);
    EXPECT_TRUE(raw.ok() && raw->has_value() && head.ParseFromString(**raw));
    return head;
  }

  static void Delete(storage::Database* db, storage::Cf cf, const std::string& key) {
    testing::DeleteStored(db, cf, key);
  }

  // Calls `visit` with the index and the event of every audit event stored in `db`, opened with
  // the audit log's `key`, as an insider with the key file reads them; stops at the first fatal
  // failure, `visit`'s too.
  static void ForEachOpenedEvent(storage::Database* db, const crypto::SecretBytes& key,
                                 const std::function<void(uint64_t, v1::AuditEvent&)>& visit) {
    std::unique_ptr<storage::Iterator> audit = db->NewIterator(storage::Cf::kAudit);
    for (audit->SeekToFirst(); audit->Valid(); audit->Next()) {
      const uint64_t index = storage::DecodeU64(audit->key());
      absl::StatusOr<std::string> bytes = storage::AuditLog::OpenEvent(key, index, audit->value());
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      v1::AuditEvent event;
      ASSERT_TRUE(event.ParseFromString(*bytes));
      visit(index, event);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  // Every row of the records, versions and index families, as an insider would copy them (the
  // server restarts afterwards).
  StoredRows SaveRecordRows() {
    StoredRows rows;
    Edit([&](storage::Database* db) {
      rows = CopyRows(db, {storage::Cf::kRecords, storage::Cf::kVersions, storage::Cf::kIndex});
    });
    return rows;
  }

  // Runs `registryd --config ... --verify_data` on the stopped server's files; returns its exit
  // code and fills *out with what it printed.
  int RunOffline(std::string* out, bool restart = true) {
    server_->Stop();
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(server_->config(), &json, o).ok());
    const std::string config = server_->dir() + "/verify-config.json";
    std::ofstream(config) << json;
    const std::string printed = server_->dir() + "/verify-output.txt";
    const std::string command = absl::StrCat(REGISTRY_BINARY_DIR, "/registryd --config ", config,
                                             " --verify_data > ", printed, " 2>&1");
    const int status = std::system(command.c_str());
    std::ifstream in(printed);
    out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (restart) {
      EXPECT_TRUE(server_->Restart().ok());
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Expects `problem` among the problems of `r` (VerifyData's answer) and in what
  // `registryd --verify_data` prints, with exit 1: the operator learns it either way.
  void ExpectReportedOnlineAndOffline(const v1::VerifyDataResponse& r, const std::string& problem) {
    EXPECT_THAT(r.problems(), Contains(problem));
    std::string out;
    EXPECT_EQ(RunOffline(&out), 1) << out;
    EXPECT_THAT(out, HasSubstr(problem));
  }

  // VettingCheck of `req` as the employer: its status, and the check id of the answer in *id.
  grpc::Status VetForCheckId(const v1::VettingCheckRequest& req, std::string* id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::VettingCheckResponse resp;
    const grpc::Status s = v1::VettingService::NewStub(server_->Channel("vetting"))
                               ->VettingCheck(&ctx, req, &resp);
    *id = resp.check_id();
    return s;
  }

  // How many entries the person's vetting history shows (ListChecksAboutPerson, as a clerk).
  int HistoryLength(const v1::Person& person) {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::ListChecksAboutPersonRequest req;
    req.set_personal_number(person.personal_number());
    req.set_request_reference("DSR 2026/4");
    v1::ListChecksAboutPersonResponse resp;
    const grpc::Status s = v1::VettingService::NewStub(server_->Channel("clerk"))
                               ->ListChecksAboutPerson(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.checks_size();
  }

  // A server of the dev policy whose organisations take any number of calls: the tests that need
  // hundreds of audit events make them with calls the rate limits would refuse.
  void StartWithoutRateLimits() {
    TestServerOptions options;
    options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
    for (auto& org : *options.policy->mutable_organisations()) {
      if (!org.has_rate_limit()) continue;
      org.mutable_rate_limit()->set_per_minute(100000);
      org.mutable_rate_limit()->set_burst(100000);
    }
    Start(std::move(options));
  }

  // The key of the stored history entry whose check id is `check_id` ("" when there is none).
  // The personal-number token (raw) of the candidate the event of check `check_id` names.
  std::string CandidateToken(const std::string& check_id) const {
    for (uint64_t i = testing::AuditLogSize(*server_); i-- > 0;) {
      const v1::AuditEvent event = testing::StoredEvent(*server_, i);
      if (event.check_id() == check_id && event.tokens_size() == 1) {
        return absl::HexStringToBytes(event.tokens(0));
      }
    }
    ADD_FAILURE() << "no event of check " << check_id;
    return "";
  }
  std::string CheckKey(storage::Database* db, const std::string& check_id) const {
    return StoredCheckKey(*server_, db, check_id);
  }

  // Deletes record `id`'s index row of its personal number.
  void DeletePersonalNumberRow(storage::Database* db, const std::string& id) {
    const storage::StoredHead head = Head(db, id);
    Delete(db, storage::Cf::kIndex, absl::StrCat("p", head.personal_number_token(), id));
  }

  // The keys of the meta family's rows under `prefix`.
  static std::vector<std::string> MetaKeysUnder(storage::Database* db, const std::string& prefix) {
    std::vector<std::string> keys;
    std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kMeta);
    for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
      keys.emplace_back(it->key());
    }
    return keys;
  }

  // Deletes every row of the meta family under `prefix` while the server is stopped (Edit): how
  // many there were.
  size_t DeleteMetaRowsUnder(const std::string& prefix) {
    size_t deleted = 0;
    Edit([&](storage::Database* db) {
      for (const std::string& key : MetaKeysUnder(db, prefix)) {
        Delete(db, storage::Cf::kMeta, key);
        ++deleted;
      }
    });
    return deleted;
  }

  // Deletes the stored vetting history entry of check `check_id` while the server is stopped.
  void DeleteHistoryEntry(const std::string& check_id) {
    Edit([&](storage::Database* db) {
      const std::string key = CheckKey(db, check_id);
      ASSERT_FALSE(key.empty());
      Delete(db, storage::Cf::kChecks, key);
    });
  }

  // Flips bits of the byte at `at` (from the end when negative) of the stored row `key` of `cf`.
  static void DamageStored(storage::Database* db, storage::Cf cf, const std::string& key,
                           int64_t at, char bits) {
    absl::StatusOr<std::optional<std::string>> stored = db->Get(cf, key);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    std::string damaged = **stored;
    damaged[at < 0 ? damaged.size() + at : at] ^= bits;
    storage::Batch batch;
    batch.Put(cf, key, damaged);
    ASSERT_TRUE(db->Write(batch).ok());
  }

  // The status code of a consented vetting check of `person`.
  grpc::StatusCode VetCode(const v1::Person& person) {
    std::string check_id;
    return VetForCheckId(CandidateOf(person), &check_id).error_code();
  }

  // Enters the example record and has its person vetting-checked, under `number` when one is
  // given (a REFER): the check's id in *check_id. The data check then finds nothing.
  void CheckTheExamplePerson(std::string* check_id, const std::string& number = "") {
    Create(ExampleRecord());
    v1::VettingCheckRequest req = CandidateOf(ExampleRecord().person());
    if (!number.empty()) req.set_personal_number(number);
    const grpc::Status s = VetForCheckId(req, check_id);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_FALSE(check_id->empty());
    const v1::VerifyDataResponse r = Verify();
    EXPECT_EQ(r.problem_count(), 0u) << absl::StrJoin(r.problems(), "\n");
  }

  // Checks of `person` answered under its own number (*asked) and under another, with that
  // number's consent, which its record refers (*refer): the person's history shows both.
  void CheckUnderItsOwnAndAnotherNumber(const v1::Person& person, std::string* asked,
                                        std::string* refer) {
    ASSERT_TRUE(VetForCheckId(CandidateOf(person), asked).ok());
    v1::VettingCheckRequest other = CandidateOf(person, ConsentFor("1098765432"));
    other.set_personal_number("1098765432");
    ASSERT_TRUE(VetForCheckId(other, refer).ok());
    ASSERT_EQ(HistoryLength(person), 2);
  }

  // `person` as another person with `surname`, `given_name` and `number` (the birth date kept).
  static v1::Person Namesake(v1::Person person, const std::string& surname,
                             const std::string& given_name, const std::string& number) {
    person.set_surname(surname);
    person.set_given_name(given_name);
    person.set_personal_number(number);
    return person;
  }

  // How many audit events a restart writes.
  uint64_t EventsOfARestart() {
    const uint64_t before = testing::AuditLogSize(*server_);
    const absl::Status restarted = server_->Restart();
    if (!restarted.ok()) {
      ADD_FAILURE() << restarted;
      return ~uint64_t{0};
    }
    return testing::AuditLogSize(*server_) - before;
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(DataCheckTest, AConsistentRegistryPasses) {
  const std::string a = Create(ExampleRecord());
  const std::string b = Create(FictionalRecord(1));
  Create(FictionalRecord(2));
  Amend(a);
  ASSERT_TRUE(Expunge(b).ok());
  Vet(ExampleRecord().person());

  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u);
  EXPECT_THAT(r.problems(), IsEmpty());
  EXPECT_EQ(r.records(), 2u);
  EXPECT_EQ(r.versions(), 3u);    // a: 2, the third: 1
  // 16 per record (number, name, loose name, uniqueness, the words in any order, the pair of its
  // two words, and each word with the whole name joined each way, and those six again in the
  // loose form), and the expunged conviction's rows: under its uniqueness token, and under its
  // case number cut after its year, in the year's two spellings (four digits and two).
  EXPECT_EQ(r.index_rows(), 35u);
  EXPECT_GE(r.audit_events(), 6u);
  EXPECT_EQ(r.vetting_checks(), 1u);

  std::string out;
  EXPECT_EQ(RunOffline(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("2 records, 3 versions, 35 index rows, 1 vetting checks"));
  EXPECT_THAT(out, HasSubstr("consistent"));
}

// An import's event also names the records its duplicate rows repeat: they were not created
// again. A re-import (dry run or not) of an amended record was reported as "version 2 is stored,
// but the audit log saw only version 1 written", a false alarm of tampering every day.
TEST_F(DataCheckTest, AnImportThatRepeatsAnAmendedRecordIsNoProblem) {
  const std::string a = Create(ExampleRecord());
  Amend(a);
  for (const bool dry_run : {true, false}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::ImportRecordsRequest req;
    req.set_dry_run(dry_run);
    v1::ImportRow* repeated = req.add_rows();
    repeated->set_line(2);
    *repeated->mutable_record() = ExampleRecord();
    v1::ImportRow* added = req.add_rows();
    added->set_line(3);
    *added->mutable_record() = FictionalRecord(dry_run ? 3 : 4);
    v1::ImportRecordsResponse resp;
    ASSERT_TRUE(v1::RecordService::NewStub(server_->Channel("clerk"))
                    ->ImportRecords(&ctx, req, &resp)
                    .ok());
    ASSERT_EQ(resp.results(0).outcome(), v1::ImportRowResult::OUTCOME_DUPLICATE);
    ASSERT_EQ(resp.results(0).record_id(), a);
    const v1::VerifyDataResponse r = Verify();
    EXPECT_EQ(r.problem_count(), 0u) << dry_run << "\n" << absl::StrJoin(r.problems(), "\n");
  }
  // The record the real import created is one of the records.
  EXPECT_EQ(Verify().records(), 2u);
}

// An expunge's dry run (the question registry-cli and the console ask before the clerk confirms,
// which records go with it) erases nothing; its event names the record all the same, and was not
// to be read as an erasure of a record still stored.
TEST_F(DataCheckTest, AnExpungesDryRunIsNoErasure) {
  const std::string a = Create(ExampleRecord());
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::ExpungeRecordRequest req;
  req.set_record_id(a);
  req.set_dry_run(true);
  v1::ExpungeRecordResponse resp;
  ASSERT_TRUE(
      v1::RecordService::NewStub(server_->Channel("clerk"))->ExpungeRecord(&ctx, req, &resp).ok());
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << absl::StrJoin(r.problems(), "\n");
  EXPECT_EQ(r.records(), 1u);
}

// The case a lookup cannot see: without its personal-number, name and name-variant rows, the
// record is invisible to vetting, and nothing fails authentication. (Without the personal-number
// row alone, the name index still finds it: ARecordWhosePersonalNumberRowWasDeletedIsStillNotClear;
// and without the name row too, the row of its words in any order.)
TEST_F(DataCheckTest, ADeletedIndexRowIsCaught) {
  const std::string id = Create(ExampleRecord());
  ASSERT_EQ(Vet(ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  Edit([&](storage::Database* db) {
    const storage::StoredHead head = Head(db, id);
    Delete(db, storage::Cf::kIndex, absl::StrCat("p", head.personal_number_token(), id));
    Delete(db, storage::Cf::kIndex, absl::StrCat("n", head.name_token(), id));
    // The words in any order, the pair of the two words, and each word with the whole name
    // joined each way.
    ASSERT_EQ(head.name_variant_tokens_size(), 6);
    for (const std::string& token : head.name_variant_tokens()) {
      Delete(db, storage::Cf::kIndex, absl::StrCat("v", token, id));
    }
  });
  // Was a signed CLEAR, what the check existed for: the index seal now refuses every check.
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);

  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 9u);  // the seal, and one per row deleted
  EXPECT_THAT(r.problems(), Contains(HasSubstr("index seal: ")));
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("record ", id, ": index row 'v' missing")));
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("record ", id, ": index row 'p' missing")));
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("record ", id, ": index row 'n' missing")));
  std::string out;
  EXPECT_EQ(RunOffline(&out), 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("record ", id, ": index row 'p' missing")));
}

// A record's personal-number row deleted from the data folder, with the registry stopped: the
// name index, read on every check, still finds the record, and its head files it under the
// candidate's own number. It decides as the number's record it is: NOT_CLEAR, signed, the event
// naming it, where it was a signed CLEAR whose event named no record. The data check names the
// row.
TEST_F(DataCheckTest, ARecordWhosePersonalNumberRowWasDeletedIsStillNotClear) {
  v1::CreateRecordRequest record = ExampleRecord();
  record.mutable_person()->set_surname("Gashi");
  record.mutable_person()->set_given_name("Blerim");
  record.mutable_person()->set_birth_date("1970-05-05");
  record.mutable_person()->set_personal_number("1000000999");
  const std::string id = Create(record);
  ASSERT_EQ(Vet(record.person()), v1::VETTING_RESULT_NOT_CLEAR);
  // By someone holding the key file: without it, the index seal refuses every check (row 115).
  EditBehindTheSeal([&](storage::Database* db) { DeletePersonalNumberRow(db, id); });
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::VettingCheckResponse answer;
  const grpc::Status s = v1::VettingService::NewStub(server_->Channel("vetting"))
                             ->VettingCheck(&ctx, CandidateOf(record.person()), &answer);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(answer.result(), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_TRUE(answer.has_certificate());
  const v1::AuditEvent event = testing::LastStoredEvent(*server_);
  EXPECT_EQ(event.action(), kVettingCheckMethod);
  EXPECT_THAT(event.record_ids(), ElementsAre(id));

  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("record ", id, ": index row 'p' missing")));
}

// An insider who saved a record's rows before its erasure and writes them back afterwards: each
// row authenticates (they are the registry's own), but the expunged conviction's row says the
// record must stay gone, and so does the erasure ledger. The offline check sees it as written
// back; the next start erases it again (the ledger, not the database's marker, decides), after
// which the data is consistent but for the index seal, which keeps the trace of the rows written.
TEST_F(DataCheckTest, AnExpungedRecordWrittenBackIsCaught) {
  const std::string id = Create(ExampleRecord());
  const StoredRows saved = SaveRecordRows();
  ASSERT_TRUE(Expunge(id).ok());
  ASSERT_EQ(Verify().problem_count(), 0u);
  ASSERT_NO_FATAL_FAILURE(
      testing::EditStoppedData(*server_, [&](storage::Database* db) { PutRows(db, saved); }));

  std::string out;
  EXPECT_EQ(RunOffline(&out), 1) << out;  // restarts the server afterwards
  EXPECT_THAT(out, HasSubstr(absl::StrCat("erased-conviction row for ", id,
                                          ": the record is present")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("erasure ledger entry 0 (record ", id,
                                          "): erased, but the record is stored again")));
  // Only the index seal still says that rows were written into the folder (row 115).
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u) << absl::StrJoin(r.problems(), "\n");
  EXPECT_THAT(r.problems(), Contains(HasSubstr("index seal: ")));
}

// Someone with the data folder puts older audit, merkle and meta families back (an older log,
// whose signed heads are all authentic) and keeps the records: the records are now ahead of the
// log, changes no event describes. The check reads the records before the log, so no stored
// version can legitimately be above the last one the log saw written.
TEST_F(DataCheckTest, ARecordAheadOfTheAuditLogIsCaught) {
  const std::string id = Create(ExampleRecord());
  Amend(id);  // version 2
  StoredRows log_rows;
  Edit([&](storage::Database* db) {
    log_rows = CopyRows(db, {storage::Cf::kAudit, storage::Cf::kMerkle, storage::Cf::kMeta});
  });
  auto records = v1::RecordService::NewStub(server_->Channel("clerk"));
  v1::RecordStatusResponse resp;
  v1::DisputeRecordRequest dispute;
  dispute.set_record_id(id);
  dispute.set_reason("identity contested by the data subject");
  v1::ResolveDisputeRequest resolve;
  resolve.set_record_id(id);
  resolve.set_reason("identity confirmed");
  ASSERT_TRUE(records->DisputeRecord(NewCallContext().get(), dispute, &resp).ok());
  ASSERT_EQ(resp.version(), 3u);
  ASSERT_TRUE(records->ResolveDispute(NewCallContext().get(), resolve, &resp).ok());
  ASSERT_EQ(resp.version(), 4u);
  ASSERT_EQ(Verify().problem_count(), 0u);
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    for (const storage::Cf cf : {storage::Cf::kAudit, storage::Cf::kMerkle, storage::Cf::kMeta}) {
      for (const auto& [family, row] : CopyRows(db, {cf})) Delete(db, family, row.first);
    }
    PutRows(db, log_rows);
  }));
  // The log put back is behind the audit watermark; with the watermark rewritten, the data check
  // names the record that is ahead of it.
  ASSERT_NO_FATAL_FAILURE(testing::ExpectRefusedByTheWatermarkThenForgeIt(*server_));
  ASSERT_TRUE(server_->Restart().ok());

  const v1::VerifyDataResponse r = Verify();
  const std::string problem =
      absl::StrCat("record ", id, ": version 4 is stored, but the audit log saw only version 2 ",
                   "written: the log is behind the record");
  EXPECT_EQ(r.problem_count(), 1u) << (r.problems().empty() ? "" : r.problems(0));
  ExpectReportedOnlineAndOffline(r, problem);
}

// An insider who saved a record's rows and writes them back after an amendment: every row
// authenticates (they are the registry's own) and reads serve the earlier state, but the audit
// log saw version 2 written.
TEST_F(DataCheckTest, ARecordPutBackToAnEarlierStateIsCaught) {
  const std::string id = Create(ExampleRecord());
  const StoredRows saved = SaveRecordRows();
  Amend(id);
  ASSERT_EQ(Verify().problem_count(), 0u);
  Edit([&](storage::Database* db) {
    PutRows(db, saved);
    // The version the amendment wrote goes too, so nothing is left over.
    std::set<std::string> old;
    for (const auto& [cf, row] : saved) old.insert(row.first);
    std::vector<std::string> newer;
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kVersions})) {
      if (old.count(row.first) == 0) newer.push_back(row.first);
    }
    ASSERT_EQ(newer.size(), 1u);
    Delete(db, storage::Cf::kVersions, newer[0]);
  });
  // What the check exists for: a read serves the earlier state and fails no authentication.
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::GetRecordRequest get;
  get.set_record_id(id);
  v1::GetRecordResponse got;
  ASSERT_TRUE(
      v1::RecordService::NewStub(server_->Channel("clerk"))->GetRecord(&ctx, get, &got).ok());
  EXPECT_EQ(got.record().metadata().version(), 1u);

  const v1::VerifyDataResponse r = Verify();
  const std::string problem =
      absl::StrCat("record ", id, ": version 1 is stored, but the audit log saw version 2 ",
                   "written: an earlier state was put back");
  EXPECT_EQ(r.problem_count(), 1u);
  ExpectReportedOnlineAndOffline(r, problem);
}

// Someone with the key file removes a record completely (head, versions, index rows) and edits
// its create event into a read, but leaves the tree alone: the log still opens (its last event
// is untouched), and the check would find a consistent registry if it believed the events. They
// must hash to the authenticated root.
TEST_F(DataCheckTest, AnEditedCreateEventIsCaught) {
  const std::string id = Create(ExampleRecord());
  Create(FictionalRecord(1));  // later events: the edited one is not the last
  const crypto::SecretBytes key = testing::AuditLogKeyOf(*server_);
  Edit([&](storage::Database* db) {
    storage::Batch batch;
    ASSERT_NO_FATAL_FAILURE(ForEachOpenedEvent(db, key, [&](uint64_t index, v1::AuditEvent& event) {
      if (event.record_ids_size() != 1 || event.record_ids(0) != id) return;
      event.set_action(kGetRecordMethod);  // a read, not a create
      absl::StatusOr<std::string> sealed =
          storage::AuditLog::SealEvent(key, index, storage::SerializeEvent(event));
      ASSERT_TRUE(sealed.ok()) << sealed.status();
      batch.Put(storage::Cf::kAudit, storage::EncodeU64(index), *sealed);
    }));
    for (storage::Cf cf : {storage::Cf::kRecords, storage::Cf::kVersions, storage::Cf::kIndex}) {
      std::unique_ptr<storage::Iterator> it = db->NewIterator(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (absl::StrContains(it->key(), id)) batch.Delete(cf, std::string(it->key()));
      }
    }
    ASSERT_TRUE(db->Write(batch).ok());
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_THAT(r.problems(),
              Contains(::testing::HasSubstr("do not hash to the authenticated root")));
  std::string out;
  EXPECT_EQ(RunOffline(&out), 1) << out;
}

// The same without the key file: the events cannot be read, so the intruder puts another stored
// event (a read) over the one in its place. It fails authentication (each event is bound to its
// index), and the check says so instead of reporting on facts it cannot believe.
TEST_F(DataCheckTest, AnEventReplacedWithoutTheKeyIsCaught) {
  Create(ExampleRecord());
  Create(FictionalRecord(1));
  Edit([&](storage::Database* db) {
    absl::StatusOr<std::optional<std::string>> other =
        db->Get(storage::Cf::kAudit, storage::EncodeU64(1));
    ASSERT_TRUE(other.ok() && other->has_value());
    storage::Batch batch;
    batch.Put(storage::Cf::kAudit, storage::EncodeU64(0), **other);
    ASSERT_TRUE(db->Write(batch).ok());
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_THAT(r.problems(), Contains(HasSubstr("audit event 0 fails authentication")));
  std::string out;
  EXPECT_NE(RunOffline(&out), 0) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("audit event 0 fails authentication"));
}

// The check stopped at the first damaged event, so an operator facing an incident learnt of one
// event and nothing of the rest of the log or the data. Two events deleted (apart) and a third
// edited without the key file, among events a data check has already seen (so the registry
// still starts on them): all three are named, what the log then no longer says of the records
// is found too, and the summary is printed, with exit 1.
TEST_F(DataCheckTest, EveryDamagedEventIsNamedAndTheCheckGoesOnPastThem) {
  std::vector<std::string> ids;
  for (int i = 1; i <= 4; ++i) ids.push_back(Create(FictionalRecord(i)));
  absl::StatusOr<uint64_t> before = server_->server()->RunDataCheckOnce();
  ASSERT_TRUE(before.ok() && *before == 0) << before.status();
  const crypto::SecretBytes key = testing::AuditLogKeyOf(*server_);
  // The create events of the first three records: the first and third deleted, the second
  // edited.
  std::vector<uint64_t> creates;
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    ASSERT_NO_FATAL_FAILURE(
        ForEachOpenedEvent(db, key, [&](uint64_t index, const v1::AuditEvent& event) {
          for (size_t i = 0; i < 3; ++i) {
            if (event.record_ids_size() == 1 && event.record_ids(0) == ids[i]) {
              creates.push_back(index);
            }
          }
        }));
    ASSERT_EQ(creates.size(), 3u);
    ASSERT_GE(creates[2] - creates[0], 2u);  // the deleted two are not adjacent
    storage::Batch batch;
    batch.Delete(storage::Cf::kAudit, storage::EncodeU64(creates[0]));
    batch.Delete(storage::Cf::kAudit, storage::EncodeU64(creates[2]));
    absl::StatusOr<std::optional<std::string>> stored =
        db->Get(storage::Cf::kAudit, storage::EncodeU64(creates[1]));
    ASSERT_TRUE(stored.ok() && stored->has_value());
    std::string edited = **stored;
    edited[edited.size() / 2] ^= 0x20;
    batch.Put(storage::Cf::kAudit, storage::EncodeU64(creates[1]), edited);
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  ASSERT_TRUE(server_->Restart().ok());
  const auto expect_named = [&](const std::vector<std::string>& problems) {
    EXPECT_THAT(problems, Contains(absl::StrCat("audit event ", creates[0], " is missing")));
    EXPECT_THAT(problems, Contains(HasSubstr(
                              absl::StrCat("audit event ", creates[1], " fails authentication"))));
    EXPECT_THAT(problems, Contains(absl::StrCat("audit event ", creates[2], " is missing")));
    // Past the damage: the records whose create events are gone, and not the fourth.
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_THAT(problems,
                  Contains(absl::StrCat("record ", ids[i], ": no create event in the audit log")));
    }
    EXPECT_THAT(problems, ::testing::Not(Contains(HasSubstr(ids[3]))));
    // The stored leaves stand in for the damaged events: the rest still hash to the root.
    EXPECT_THAT(problems, ::testing::Not(Contains(HasSubstr("authenticated root"))));
  };
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 6u);
  expect_named({r.problems().begin(), r.problems().end()});
  EXPECT_EQ(r.records(), 4u);

  std::string out;
  EXPECT_EQ(RunOffline(&out), 1) << out;
  std::vector<std::string> printed;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::ConsumePrefix(&line, "problem: ")) printed.emplace_back(line);
  }
  expect_named(printed);
  EXPECT_THAT(out, HasSubstr("4 records, 4 versions, 64 index rows, 0 vetting checks"));
  EXPECT_THAT(out, HasSubstr(": 6 problems\n"));
}

// The audit log refused to open on a damaged last event, so `registryd --verify_data` stopped
// with the start's refusal, which tells the operator to run `registryd --verify_data`: no
// problem list and no summary. It names the last event as it names any other, and goes on.
void ExpectTheDamagedLastEventNamedAndTheCheckFinished(
    TestServer& server, const std::function<void(storage::Database*, uint64_t)>& damage,
    const std::function<int(std::string*)>& run_offline, const std::string& named) {
  uint64_t last = 0;
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(server, [&](storage::Database* db) {
    std::unique_ptr<storage::Iterator> audit = db->NewIterator(storage::Cf::kAudit);
    for (audit->SeekToFirst(); audit->Valid(); audit->Next()) {
      last = storage::DecodeU64(audit->key());
    }
    ASSERT_GT(last, 0u);
    damage(db, last);
  }));
  std::string out;
  EXPECT_EQ(run_offline(&out), 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("problem: audit event ", last, named))) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("registryd does not start on it"))) << out;
  // The other checks ran: the records were counted, and the summary line is printed.
  EXPECT_THAT(out, HasSubstr("2 records, 2 versions")) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("audit events: [0-9]+ problems?\n")) << out;
}

TEST_F(DataCheckTest, AMissingLastEventIsNamedByTheOfflineCheckWhichGoesOnToItsSummary) {
  Create(FictionalRecord(1));
  Create(FictionalRecord(2));
  server_->Stop();
  ExpectTheDamagedLastEventNamedAndTheCheckFinished(
      *server_,
      [](storage::Database* db, uint64_t last) {
        DeleteStored(db, storage::Cf::kAudit, storage::EncodeU64(last));
      },
      [&](std::string* out) { return RunOffline(out, /*restart=*/false); }, " is missing");
}

TEST_F(DataCheckTest, AnEditedLastEventIsNamedByTheOfflineCheckWhichGoesOnToItsSummary) {
  Create(FictionalRecord(1));
  Create(FictionalRecord(2));
  server_->Stop();
  ExpectTheDamagedLastEventNamedAndTheCheckFinished(
      *server_,
      [](storage::Database* db, uint64_t last) {
        absl::StatusOr<std::optional<std::string>> stored =
            db->Get(storage::Cf::kAudit, storage::EncodeU64(last));
        ASSERT_TRUE(stored.ok() && stored->has_value());
        DamageStored(db, storage::Cf::kAudit, storage::EncodeU64(last), (*stored)->size() / 2,
                     0x20);
      },
      [&](std::string* out) { return RunOffline(out, /*restart=*/false); },
      " fails authentication");
}

// The last event's row copied to the next index: the log refused to open, so
// `registryd --verify_data` stopped with one line ("audit log has events beyond its tree"), no
// problem list and no summary. It names the row as the online check does and goes on; a start
// still refuses the folder.
TEST_F(DataCheckTest, AnEventCopiedBeyondTheTreeIsNamedByTheOfflineCheckWhichGoesOnToItsSummary) {
  Create(FictionalRecord(1));
  Create(FictionalRecord(2));
  server_->Stop();
  uint64_t size = 0;
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    std::unique_ptr<storage::Iterator> audit = db->NewIterator(storage::Cf::kAudit);
    std::string last;
    for (audit->SeekToFirst(); audit->Valid(); audit->Next()) {
      size = storage::DecodeU64(audit->key()) + 1;
      last = std::string(audit->value());
    }
    ASSERT_GT(size, 1u);
    storage::Batch batch;
    batch.Put(storage::Cf::kAudit, storage::EncodeU64(size), last);
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  std::string out;
  EXPECT_EQ(RunOffline(&out, /*restart=*/false), 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("problem: audit log: an event is stored beyond the "
                                          "tree's ", size, " events")))
      << out;
  EXPECT_THAT(out, HasSubstr("2 records, 2 versions")) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("audit events: [0-9]+ problems?\n")) << out;
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("audit log has events beyond its tree"));
}

// Every file under `folder`, by its path within it, with its bytes.
std::map<std::string, std::string> FilesUnder(const std::string& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[std::filesystem::relative(entry.path(), folder).string()].assign(
        std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

// Paths only, for a failure message that says which files were added or removed.
std::vector<std::string> PathsOf(const std::map<std::string, std::string>& files) {
  std::vector<std::string> paths;
  for (const auto& file : files) paths.push_back(file.first);
  return paths;
}

// `registryd --verify_data` is documented read-only, but it opened the database to write: a new
// MANIFEST, OPTIONS and write-ahead log, LOG rotated, every time.
TEST_F(DataCheckTest, TheOfflineCheckLeavesEveryFileOfTheDataFolderAsItWas) {
  Create(FictionalRecord(1));
  server_->Stop();
  const std::string data_dir = server_->config().data_dir();
  const std::map<std::string, std::string> before = FilesUnder(data_dir);
  std::string out;
  EXPECT_EQ(RunOffline(&out, /*restart=*/false), 0) << out;
  EXPECT_THAT(out, HasSubstr(": consistent\n"));
  const std::map<std::string, std::string> after = FilesUnder(data_dir);
  EXPECT_EQ(PathsOf(after), PathsOf(before));
  EXPECT_TRUE(after == before) << "a file of the data folder was changed";
}

// Every file of the folder the erasure ledger is kept in (with the key file and the audit
// watermark; here the data folder is under it too), but for the config and the output that
// RunOffline writes there.
std::map<std::string, std::string> FilesBesideTheLedger(const TestServer& server) {
  const std::string ledger = server.config().erasure_ledger_file();
  std::map<std::string, std::string> files =
      FilesUnder(std::filesystem::path(ledger).parent_path().string());
  files.erase("verify-config.json");
  files.erase("verify-output.txt");
  return files;
}

// The check opened the erasure ledger as a start does, which cuts a torn last line off (an
// append a crash stopped before its erasure committed), outside the data folder, beside the
// key file. It reads the ledger without it and leaves the line where it is.
TEST_F(DataCheckTest, TheOfflineCheckLeavesATornLastLineOfTheErasureLedgerAsItWas) {
  const std::string id = Create(FictionalRecord(1));
  ASSERT_TRUE(Expunge(id).ok());
  server_->Stop();
  const std::string ledger = server_->config().erasure_ledger_file();
  std::ofstream(ledger, std::ios::app) << "1 " << std::string(32, 'a') << " "
                                       << std::string(20, 'b');
  const std::map<std::string, std::string> before = FilesBesideTheLedger(*server_);
  ASSERT_TRUE(before.count(std::filesystem::path(ledger).filename().string()));
  std::string out;
  EXPECT_EQ(RunOffline(&out, /*restart=*/false), 0) << out;
  EXPECT_THAT(out, HasSubstr(": consistent\n"));
  const std::map<std::string, std::string> after = FilesBesideTheLedger(*server_);
  EXPECT_EQ(PathsOf(after), PathsOf(before));
  EXPECT_TRUE(after == before) << "a file beside the erasure ledger was changed";
}

// Likewise a ledger that is not there, for a database that has applied no erasure: the check
// made an empty one, as a start makes it. It makes none.
TEST_F(DataCheckTest, TheOfflineCheckMakesNoErasureLedgerWhereThereIsNone) {
  Create(FictionalRecord(1));
  server_->Stop();
  const std::string ledger = server_->config().erasure_ledger_file();
  ASSERT_TRUE(std::filesystem::remove(ledger));
  const std::map<std::string, std::string> before = FilesBesideTheLedger(*server_);
  std::string out;
  EXPECT_EQ(RunOffline(&out, /*restart=*/false), 0) << out;
  EXPECT_THAT(out, HasSubstr(": consistent\n"));
  EXPECT_FALSE(std::filesystem::exists(ledger));
  const std::map<std::string, std::string> after = FilesBesideTheLedger(*server_);
  EXPECT_EQ(PathsOf(after), PathsOf(before));
  EXPECT_TRUE(after == before) << "a file beside the erasure ledger was changed";
}

// A folder put back from an earlier copy (kept for an investigation) from before a key
// rotation: the check also stored the current KEK's check value in it, and flushed it to a new
// table file. It still says the folder was put back, and changes nothing.
TEST_F(DataCheckTest, TheOfflineCheckOfAFolderPutBackWritesNothingAndSaysItWasPutBack) {
  Create(FictionalRecord(1));
  server_->Stop();
  const std::string data_dir = server_->config().data_dir();
  const std::string earlier = server_->dir() + "/earlier-copy";
  std::filesystem::copy(data_dir, earlier, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(server_->Restart().ok());
  Create(FictionalRecord(2));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::RotateKeysResponse rotated;
    const grpc::Status s = v1::AdminService::NewStub(server_->Channel("admin"))
                               ->RotateKeys(&ctx, v1::RotateKeysRequest(), &rotated);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  server_->Stop();
  std::filesystem::remove_all(data_dir);
  std::filesystem::rename(earlier, data_dir);
  const std::map<std::string, std::string> before = FilesUnder(data_dir);
  std::string out;
  EXPECT_EQ(RunOffline(&out, /*restart=*/false), 1) << out;
  EXPECT_THAT(out, HasSubstr("put back from an earlier copy")) << out;
  const std::map<std::string, std::string> after = FilesUnder(data_dir);
  EXPECT_EQ(PathsOf(after), PathsOf(before));
  EXPECT_TRUE(after == before) << "a file of the data folder was changed";
}

// Damage over many events is counted whole but named only at its two ends: memory stays small
// and the operator sees where it starts and where it ends.
TEST_F(DataCheckTest, ManyDamagedEventsAreCountedAndTheFirstAndLastAreNamed) {
  StartWithoutRateLimits();
  auto info = v1::InfoService::NewStub(server_->Channel("clerk"));
  for (int i = 0; i < 150; ++i) {
    v1::WhoAmIResponse who;
    ASSERT_TRUE(info->WhoAmI(NewCallContext().get(), {}, &who).ok());
  }
  absl::StatusOr<uint64_t> before = server_->server()->RunDataCheckOnce();
  ASSERT_TRUE(before.ok() && *before == 0) << before.status();
  const uint64_t size = testing::AuditLogSize(*server_);
  constexpr uint64_t kDeleted = 130;
  const uint64_t from = size - kDeleted - 5;  // the last events stay
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    storage::Batch batch;
    for (uint64_t i = from; i < from + kDeleted; ++i) {
      batch.Delete(storage::Cf::kAudit, storage::EncodeU64(i));
    }
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  ASSERT_TRUE(server_->Restart().ok());
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), kDeleted);
  ASSERT_EQ(r.problems_size(), 101);
  EXPECT_EQ(r.problems(0), absl::StrCat("audit event ", from, " is missing"));
  EXPECT_EQ(r.problems(49), absl::StrCat("audit event ", from + 49, " is missing"));
  EXPECT_EQ(r.problems(50), absl::StrCat("audit log: 30 more events damaged or missing from event ",
                                         from + 50, " to event ", from + 79,
                                         " (not named one by one)"));
  EXPECT_EQ(r.problems(51), absl::StrCat("audit event ", from + 80, " is missing"));
  EXPECT_EQ(r.problems(100), absl::StrCat("audit event ", from + kDeleted - 1, " is missing"));
}

TEST_F(DataCheckTest, AMissingHeadLeavesOrphansAndAnUnmatchedCreateEvent) {
  const std::string id = Create(ExampleRecord());
  Edit([&](storage::Database* db) { Delete(db, storage::Cf::kRecords, id); });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 18u);  // 16 index rows, 1 version, the create event
  EXPECT_THAT(r.problems(),
              Contains(absl::StrCat("record ", id, ": created in the audit log but not stored")));
  EXPECT_THAT(r.problems(),
              Contains(absl::StrCat("version 1 of ", id, ": orphaned (no readable head)")));
  EXPECT_THAT(r.problems(),
              Contains(absl::StrCat("index row 'n' for ", id, ": orphaned (no readable head)")));
}

TEST_F(DataCheckTest, AMissingVersionIsCaught) {
  const std::string id = Create(ExampleRecord());
  Amend(id);
  Edit([&](storage::Database* db) {
    Delete(db, storage::Cf::kVersions, absl::StrCat(id, storage::EncodeU32(1)));
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("record ", id, ": version 1 missing")));
}

// A damaged block that no call reads: start-up opens only the files' meta blocks, and reads
// touch the blocks they need, so only the data check (online and offline) reads them all.
TEST_F(DataCheckTest, ADamagedBlockNoCallReadsIsReported) {
  Create(FictionalRecord(1));
  // Rows no call reads, sorting before every key of the family, so that they fill the first
  // data blocks of their own table file.
  Edit([](storage::Database* db) {
    storage::Batch batch;
    for (int i = 0; i < 2000; ++i) {
      batch.Put(storage::Cf::kMeta, absl::StrCat("!!unread/", 100000 + i), std::string(200, 'q'));
    }
    ASSERT_TRUE(db->Write(batch).ok());
    ASSERT_TRUE(db->Flush().ok());
  });
  EXPECT_EQ(Verify().problem_count(), 0u);

  server_->Stop();
  ASSERT_GT(testing::DamageLargestTableFile(server_->dir() + "/data", 1000), 300000u);
  std::string out;
  EXPECT_EQ(RunOffline(&out), 1) << out;  // restarts the server afterwards
  EXPECT_THAT(out, HasSubstr("a table file is damaged"));
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(), ElementsAre(HasSubstr("a table file is damaged")));
}

// Damage in a block the data check itself reads (an audit event's): the check stopped there, and
// its error said only "registryd --verify_data names the file", to the operator who had just run
// it. The events it cannot read are named, the check goes on, the table files are checked, and
// the damaged file is named.
TEST_F(DataCheckTest, DamageThatStopsTheCheckIsReportedNamingTheFile) {
  StartWithoutRateLimits();
  Create(FictionalRecord(1));
  // Events enough for a table file of many blocks, the largest; the damage is in a block of
  // events past the first, which no seek of the check's iterators reads but its scan of events.
  auto info = v1::InfoService::NewStub(server_->Channel("clerk"));
  for (int i = 0; i < 400; ++i) {
    v1::WhoAmIResponse who;
    ASSERT_TRUE(info->WhoAmI(NewCallContext().get(), {}, &who).ok());
  }
  Edit([](storage::Database* db) { ASSERT_TRUE(db->Flush().ok()); });
  server_->Stop();
  ASSERT_GT(testing::DamageLargestTableFile(server_->dir() + "/data", 40000), 80000u);
  std::string out;
  EXPECT_EQ(RunOffline(&out, /*restart=*/false), 1) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("problem: audit event [0-9]+ cannot be read"));
  EXPECT_THAT(out, HasSubstr("problem: a table file is damaged"));
  EXPECT_THAT(out, ::testing::ContainsRegex("[0-9]+ audit events: [0-9]+ problems"));
  EXPECT_THAT(out, ::testing::ContainsRegex("/data/[0-9]+\\.sst"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("registryd --verify_data names the file")));
}

// The stored tree nodes are what proofs and the frontier are read from: a damaged one made every
// later consistency proof fail at the auditor as a "fork", while the data check, which hashes the
// events itself, called the registry consistent. It now checks every stored node.
TEST_F(DataCheckTest, ADamagedStoredTreeNodeIsNamed) {
  for (int i = 1; i <= 4; ++i) Create(FictionalRecord(i));
  EXPECT_EQ(Verify().problem_count(), 0u);
  const auto node_key = [](int level, uint64_t index) {
    std::string key(1, static_cast<char>(level));
    for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(index >> shift));
    return key;
  };
  Edit([&](storage::Database* db) {
    for (const auto& [level, index] : {std::pair<int, uint64_t>{0, 2}, {1, 0}}) {
      SCOPED_TRACE(absl::StrCat(level, "/", index));
      DamageStored(db, storage::Cf::kMerkle, node_key(level, index), 5, 0x01);
    }
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_THAT(r.problems(), Contains("audit tree: the leaf of event 2 is not the event's hash"));
  EXPECT_THAT(r.problems(),
              Contains("audit tree: node 1 of level 1 is not the hash of its children"));
  EXPECT_THAT(r.problems(),
              Contains("audit tree: node 0 of level 2 is not the hash of its children"));
}

// Rows beyond the tree are not events of the log: the next appends would overwrite them unseen.
TEST_F(DataCheckTest, AnEventOrLeafStoredBeyondTheTreeIsNamed) {
  for (int i = 1; i <= 2; ++i) Create(FictionalRecord(i));
  EXPECT_EQ(Verify().problem_count(), 0u);
  const uint64_t far = 1000000;
  std::string index_key;
  for (int shift = 56; shift >= 0; shift -= 8) index_key.push_back(static_cast<char>(far >> shift));
  Edit([&](storage::Database* db) {
    storage::Batch batch;
    batch.Put(storage::Cf::kAudit, index_key, "not an event");
    batch.Put(storage::Cf::kMerkle, std::string(1, '\0') + index_key, std::string(32, 'x'));
    ASSERT_TRUE(db->Write(batch).ok());
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_THAT(r.problems(), Contains(HasSubstr("audit log: an event is stored beyond the tree's")));
  EXPECT_THAT(r.problems(), Contains(HasSubstr("audit tree: a leaf is stored at 1000000, beyond")));
}

TEST_F(DataCheckTest, AnUnappliedErasureIsCaught) {
  SwitchableFault fault;
  TestServerOptions options;
  options.fault_injector = &fault;
  Start(std::move(options));
  const std::string id = Create(ExampleRecord());
  fault.set_failing(true);
  EXPECT_EQ(Expunge(id).error_code(), grpc::StatusCode::UNAVAILABLE);
  fault.set_failing(false);
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("erasure ledger entry 0 (record ", id,
                                                  "): not applied to this database")));
}

// A deleted entry of a person's vetting history hides a probe from that person, and nothing
// fails authentication: the data check pairs every entry with the event that wrote it, which
// names it (AuditEvent.check_id), whether the probe was answered or refused.
// registryd runs the same check on its own schedule: an audited event with the count (DATA_LOSS
// when there are problems) and the metrics, so an edit between an operator's checks is found.
TEST_F(DataCheckTest, TheScheduledCheckIsAuditedAndCountedAndFindsAnEdit) {
  const v1::Person person = ExampleRecord().person();
  Create(ExampleRecord());
  std::string answered;
  ASSERT_TRUE(VetForCheckId(CandidateOf(person), &answered).ok());
  const auto run = [&] {
    absl::StatusOr<uint64_t> problems = server_->server()->RunDataCheckOnce();
    EXPECT_TRUE(problems.ok()) << problems.status();
    return problems.value_or(999);
  };
  EXPECT_EQ(run(), 0u);
  v1::AuditEvent event = testing::LastStoredEvent(*server_);
  EXPECT_EQ(event.actor(), "system:data-check");
  EXPECT_EQ(event.action(), "verify-data");
  EXPECT_EQ(event.reference(), "problems 0");
  EXPECT_EQ(event.outcome(), 0);
  EXPECT_THAT(server_->server()->metrics().Render(),
              HasSubstr("\nregistryd_data_check_problems 0\n"));

  ASSERT_NO_FATAL_FAILURE(DeleteHistoryEntry(answered));
  EXPECT_EQ(run(), 1u);
  event = testing::LastStoredEvent(*server_);
  EXPECT_EQ(event.actor(), "system:data-check");
  EXPECT_EQ(event.reference(), "problems 1");
  EXPECT_EQ(event.outcome(), static_cast<int>(grpc::StatusCode::DATA_LOSS));
  EXPECT_THAT(server_->server()->metrics().Render(),
              HasSubstr("\nregistryd_data_check_problems 1\n"));
}

// Start-up reads the events since the last data check, and the recall of the last checks read
// them all again. The walk hands the recall every event it read and authenticated, and where it
// stopped: from there to the head, and back to (at least) the last data check.
TEST_F(DataCheckTest, TheStartUpWalkHandsOverEveryEventItReadAndWhereItStopped) {
  Create(FictionalRecord(1));
  absl::StatusOr<uint64_t> checked = server_->server()->RunDataCheckOnce();
  ASSERT_TRUE(checked.ok()) << checked.status();
  const uint64_t data_check = testing::AuditLogSize(*server_) - 1;
  Create(FictionalRecord(2));
  Create(FictionalRecord(3));
  server_->Stop();
  absl::StatusOr<server::StorageStack> st = server::OpenStorage(server_->config(),
                                                                SystemClock::Get());
  ASSERT_TRUE(st.ok()) << st.status();
  const uint64_t head = st->audit->CurrentHead().size;
  std::set<uint64_t> read;
  std::vector<std::string> actors;
  uint64_t read_from = head + 1;
  ASSERT_TRUE(server::CheckAuditSinceLastDataCheck(
                  *st->audit,
                  [&](uint64_t index, const v1::AuditEvent& event) {
                    EXPECT_TRUE(read.insert(index).second) << "event " << index << " twice";
                    if (index == data_check) actors.push_back(event.actor());
                  },
                  &read_from)
                  .ok());
  EXPECT_LE(read_from, data_check);
  ASSERT_FALSE(read.empty());
  EXPECT_EQ(*read.begin(), read_from);
  EXPECT_EQ(*read.rbegin(), head - 1);
  EXPECT_EQ(read.size(), head - read_from);
  EXPECT_THAT(actors, ElementsAre("system:data-check"));
}

// What the start-up walk hands over is what the recall used to find by reading again: the last
// data check's gauges are back after a start with the data checks.
TEST_F(DataCheckTest, AStartWithTheDataChecksRecallsTheLastDataCheckFromItsOwnWalk) {
  const std::string id = Create(FictionalRecord(1));
  EditBehindTheSeal([&](storage::Database* db) { DeletePersonalNumberRow(db, id); });
  absl::StatusOr<uint64_t> checked = server_->server()->RunDataCheckOnce();
  ASSERT_TRUE(checked.ok() && *checked == 1) << checked.status();
  Create(FictionalRecord(2));
  server_->Stop();
  server::RegistryServerOptions options;
  options.config = server_->config();
  options.start_scheduler = false;
  options.start_backup_scheduler = false;
  options.start_data_checks = true;
  absl::StatusOr<std::unique_ptr<server::RegistryServer>> started =
      server::RegistryServer::Start(std::move(options));
  ASSERT_TRUE(started.ok()) << started.status();
  std::string page;
  for (int i = 0; i < 200; ++i) {
    page = (*started)->metrics().Render();
    if (absl::StrContains(page, "\nregistryd_data_check_problems ")) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(page, HasSubstr("\nregistryd_data_check_problems 1\n"));
  (*started)->Shutdown(absl::Seconds(1));
}

TEST_F(DataCheckTest, ADeletedVettingHistoryEntryIsCaught) {
  const v1::Person person = ExampleRecord().person();
  Create(ExampleRecord());
  std::string answered;
  ASSERT_TRUE(VetForCheckId(CandidateOf(person), &answered).ok());
  ASSERT_FALSE(answered.empty());
  v1::VettingCheckRequest without_consent = CandidateOf(person);
  without_consent.clear_consent_reference();
  std::string none;
  ASSERT_FALSE(VetForCheckId(without_consent, &none).ok());
  ASSERT_EQ(HistoryLength(person), 2);

  v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
  EXPECT_EQ(r.vetting_checks(), 2u);

  ASSERT_NO_FATAL_FAILURE(DeleteHistoryEntry(answered));
  EXPECT_EQ(HistoryLength(person), 1);  // what the check exists for: the person cannot tell

  r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_EQ(r.vetting_checks(), 1u);
  const std::string problem =
      absl::StrCat("vetting check ", answered, ": written in the audit log but not stored");
  ExpectReportedOnlineAndOffline(r, problem);
}

// The limit rows of the day's checks deleted while registryd was stopped gave the organisation
// fresh tries at the candidate after a restart, and the data check called the data consistent. A
// check answered within the last 24 hours whose rows are gone is a problem, named by its check id.
TEST_F(DataCheckTest, DeletedDailyLimitRowsOfARecentCheckAreCaught) {
  const v1::Person person = ExampleRecord().person();
  std::string answered;
  ASSERT_NO_FATAL_FAILURE(CheckTheExamplePerson(&answered));

  // Every row of the daily limits on checks of one person or one name.
  ASSERT_GE(DeleteMetaRowsUnder("limits/person-checks/"), 2u);  // the person's and the name's
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  const std::string problem = absl::StrCat(
      "vetting check ", answered, ": answered within the last 24 hours, but its daily limit rows "
      "are missing (the person's), so the organisation would get fresh tries after a restart");
  ExpectReportedOnlineAndOffline(r, problem);
  // The problem names the check, never the person.
  EXPECT_THAT(problem, ::testing::Not(HasSubstr(person.personal_number())));
}

// A REFER by a record under another number is entered in two histories (the number asked about,
// and the record's person's) by one event: both entries are paired with it, and nothing is a
// problem.
TEST_F(DataCheckTest, ACheckInTwoHistoriesIsPairedWithItsOneEvent) {
  const v1::Person person = ExampleRecord().person();
  Create(ExampleRecord());
  v1::VettingCheckRequest under_another_number = CandidateOf(person);
  under_another_number.set_personal_number("1098765432");
  ASSERT_NE(under_another_number.personal_number(), person.personal_number());
  std::string answered;
  ASSERT_TRUE(VetForCheckId(under_another_number, &answered).ok());
  ASSERT_FALSE(answered.empty());
  EXPECT_EQ(HistoryLength(person), 1);

  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
  EXPECT_EQ(r.vetting_checks(), 2u);
}

// A data folder of an earlier registry (storage schema 6) keeps its checks under token || time
// || check id: the next start moves them to keys without their time and marks the schema 9, each
// step in an audited batch, and the person's history and the data check are as before.
TEST_F(DataCheckTest, ChecksStoredUnderTheEarlierLayoutMoveAtStartUp) {
  const v1::Person person = ExampleRecord().person();
  std::string answered;
  ASSERT_TRUE(VetForCheckId(CandidateOf(person), &answered).ok());
  ASSERT_EQ(HistoryLength(person), 1);
  const crypto::SecretBytes key = DerivedKeyOf(*server_, storage::kCheckStoreKeyPurpose);
  const std::string token = CandidateToken(answered);
  ASSERT_EQ(token.size(), 32u);
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    // Rewritten as an earlier registry wrote it, which had not marked the checks moved.
    const std::string current = CheckKey(db, answered);
    ASSERT_FALSE(current.empty());
    auto aead = crypto::AesGcm::Create(key);
    ASSERT_TRUE(aead.ok()) << aead.status();
    absl::StatusOr<std::optional<std::string>> value = db->Get(storage::Cf::kChecks, current);
    ASSERT_TRUE(value.ok() && value->has_value());
    absl::StatusOr<std::string> plain = (*aead)->Decrypt(**value, current);
    ASSERT_TRUE(plain.ok()) << plain.status();
    storage::StoredCheck check;
    ASSERT_TRUE(check.ParseFromString(*plain));
    const std::string legacy = absl::StrCat(
        token, storage::EncodeU64(static_cast<uint64_t>(check.checked_at_micros())), answered);
    check.clear_checked_at_micros();
    absl::StatusOr<std::string> sealed = (*aead)->Encrypt(check.SerializeAsString(), legacy);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    storage::Batch batch;
    batch.Delete(storage::Cf::kChecks, current);
    batch.Put(storage::Cf::kChecks, legacy, *sealed);
    batch.Put(storage::Cf::kMeta, "schema/version", "6");
    batch.Delete(storage::Cf::kMeta, "layouts/vetting-checks");
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  ASSERT_TRUE(server_->Restart().ok());

  const uint64_t size = testing::AuditLogSize(*server_);
  const v1::AuditEvent moved = testing::StoredEvent(*server_, size - 2);
  EXPECT_EQ(moved.actor(), "system:storage-schema");
  EXPECT_EQ(moved.reference(), "vetting checks batch 1: 1 rows");
  const v1::AuditEvent upgraded = testing::StoredEvent(*server_, size - 1);
  EXPECT_EQ(upgraded.actor(), "system:storage-schema");
  EXPECT_EQ(upgraded.reference(), "schema 6 to 14: 1 check moved 0 records filed 0 with aliases");
  // Once: the next start finds schema 9 and leaves the checks alone.
  EXPECT_EQ(EventsOfARestart(), 0u);
  EXPECT_EQ(HistoryLength(person), 1);
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
  EXPECT_EQ(r.vetting_checks(), 1u);
  Edit([&](storage::Database* db) {
    const std::string current = CheckKey(db, answered);
    EXPECT_EQ(current.size(), 1u + storage::CheckStore::kPersonKeySize +
                                  storage::CheckStore::kSlotSize);
    EXPECT_EQ(current.find(token), std::string::npos);
  });
}

// The index rows of `kind` ('a' an alias exact, 'b' loose) that name record `id`.
std::vector<std::string> AliasRows(storage::Database* db, char kind, const std::string& id) {
  std::vector<std::string> keys;
  for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kIndex})) {
    if (!row.first.empty() && row.first[0] == kind && absl::EndsWith(row.first, id)) {
      keys.push_back(row.first);
    }
  }
  return keys;
}

// Leaves the data as storage schema `version` left it: without the index rows of `kinds` (as
// AliasRows) that name record `id`, which that schema did not file, and without the index seal.
void LeaveAsSchema(storage::Database* db, const std::string& version, const std::string& id,
                   std::initializer_list<char> kinds) {
  for (const char kind : kinds) {
    for (const std::string& key : AliasRows(db, kind, id)) {
      testing::DeleteStored(db, storage::Cf::kIndex, key);
    }
  }
  storage::Batch batch;
  batch.Put(storage::Cf::kMeta, "schema/version", version);
  // Nor the index seal, which the next start makes from the rows there are.
  batch.Delete(storage::Cf::kMeta, storage::kIndexSealRow);
  ASSERT_TRUE(db->Write(batch).ok());
}

// Each alias of a person is filed as two index rows, exact and loose, which the data check
// holds to the head as it does the others: an amendment that leaves the aliases leaves their
// rows, an erasure leaves none, and a deleted one is named.
TEST_F(DataCheckTest, AliasRowsFollowTheRecordAndAMissingOneIsCaught) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->add_aliases("Berisha");
  r.mutable_person()->add_aliases("Morina");
  const std::string id = Create(r);
  ASSERT_NO_FATAL_FAILURE(Amend(id));
  EXPECT_EQ(Verify().problem_count(), 0u);
  std::vector<std::string> exact;
  Edit([&](storage::Database* db) {
    exact = AliasRows(db, 'a', id);
    EXPECT_EQ(AliasRows(db, 'b', id).size(), 2u);
    ASSERT_EQ(exact.size(), 2u);
    Delete(db, storage::Cf::kIndex, exact[0]);
  });
  const v1::VerifyDataResponse r1 = Verify();
  EXPECT_THAT(r1.problems(), Contains(HasSubstr("index row 'a' missing")));

  // Erased: none of its rows stays.
  ASSERT_TRUE(Expunge(id).ok());
  Edit([&](storage::Database* db) {
    EXPECT_THAT(AliasRows(db, 'a', id), IsEmpty());
    EXPECT_THAT(AliasRows(db, 'b', id), IsEmpty());
  });
}

// Storage schemas 6 and 7 filed no aliases: the next start files every record's names anew, in
// audited batches, and marks the schema 9; once.
TEST_F(DataCheckTest, AliasesOfAnEarlierSchemaAreFiledAtStartUp) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->add_aliases("Berisha");
  const std::string id = Create(r);
  v1::CreateRecordRequest other = ExampleRecord();  // without aliases: filed all the same
  other.mutable_person()->set_personal_number("1234500003");
  other.mutable_conviction()->set_case_number("PKR 42/2021");
  const std::string other_id = Create(other);
  EditBeforeTheSeal([&](storage::Database* db) { LeaveAsSchema(db, "7", id, {'a', 'b'}); });
  const uint64_t size = testing::AuditLogSize(*server_);
  const v1::AuditEvent filed = testing::StoredEvent(*server_, size - 2);
  EXPECT_EQ(filed.actor(), "system:storage-schema");
  EXPECT_EQ(filed.action(), "index-names");
  EXPECT_EQ(filed.reference(), "names batch 1: 2 records");
  EXPECT_THAT(filed.record_ids(), ::testing::UnorderedElementsAre(id, other_id));
  EXPECT_EQ(testing::StoredEvent(*server_, size - 1).reference(),
            "schema 7 to 14: 2 records filed 1 with aliases");
  EXPECT_EQ(Verify().problem_count(), 0u);
  v1::SearchRecordsResponse found;
  ASSERT_NO_FATAL_FAILURE(
      SearchByName("Berisha", r.person().given_name(), r.person().birth_date(), &found));
  ASSERT_EQ(found.records_size(), 1);
  EXPECT_EQ(found.records(0).metadata().record_id(), id);
  // Once.
  EXPECT_EQ(EventsOfARestart(), 0u);
}

// Schema 8 filed loose tokens under a loose form that did not fold Albanian th and dh (Thaçi =
// Тачи, Dhurata = Дурата): the next start files every record's loose token anew (a row lost
// before it comes back too), so a court's search in the other language finds it as a possible
// match, and the data check holds the new rows to the heads.
TEST_F(DataCheckTest, LooseTokensOfAnEarlierSchemaAreFiledAnewAtStartUp) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_surname("Tha\xc3\xa7i");
  r.mutable_person()->set_given_name("Dhurata");
  const std::string id = Create(r);
  EditBeforeTheSeal([&](storage::Database* db) {
    ASSERT_EQ(AliasRows(db, 'l', id).size(), 1u);
    LeaveAsSchema(db, "8", id, {'l'});
  });
  EXPECT_EQ(testing::LastStoredEvent(*server_).reference(),
            "schema 8 to 14: 1 record filed 0 with aliases");
  EXPECT_EQ(Verify().problem_count(), 0u);
  ExpectOnlyAPossibleMatch("\xd0\xa2\xd0\xb0\xd1\x87\xd0\xb8",                      // Тачи
                           "\xd0\x94\xd1\x83\xd1\x80\xd0\xb0\xd1\x82\xd0\xb0",  // Дурата
                           r.person().birth_date(), id);
}

// Schema 10 filed loose tokens that kept the spaces in a name and no row of each word of a given
// name of several words: the next start files every record's names anew, so that a court's
// search by one of the given names, or by the surname written apart, finds it as a possible
// match, vetting by one of them refers, and the data check holds the new rows to the heads.
TEST_F(DataCheckTest, GivenNameWordsOfAnEarlierSchemaAreFiledAtStartUp) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_surname("O'Brien");
  r.mutable_person()->set_given_name("Ali Arben");
  const std::string id = Create(r);
  EditBeforeTheSeal([&](storage::Database* db) { LeaveAsSchema(db, "10", id, {'l', 'w'}); });
  EXPECT_EQ(testing::LastStoredEvent(*server_).reference(),
            "schema 10 to 14: 1 record filed 0 with aliases");
  EXPECT_EQ(Verify().problem_count(), 0u);
  ASSERT_NO_FATAL_FAILURE(
      ExpectOnlyAPossibleMatch("O Brien", "Arben", r.person().birth_date(), id));
  // Both given names in the other order: each word was looked up alone too, and the search's
  // event names each token looked up (exact, loose, the two words', and the name's other ways
  // of being written).
  v1::SearchRecordsResponse found;
  ASSERT_NO_FATAL_FAILURE(SearchByName("O Brien", "Arben Ali", r.person().birth_date(), &found));
  ASSERT_EQ(found.possible_matches_size(), 1);
  EXPECT_EQ(found.possible_matches(0).metadata().record_id(), id);
  const v1::AuditEvent searched = testing::LastStoredEvent(*server_);
  EXPECT_GT(searched.tokens_size(), 4);
  // An employer's candidate of one of the two given names, under another number: referred.
  const v1::Person& p = r.person();
  EXPECT_EQ(Vet(Namesake(p, "O'Brien", "Arben", "1234500077")), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(Namesake(p, "O'Brien", "Besnik", "1234500077")), v1::VETTING_RESULT_CLEAR);
}

// Schema 11 filed none of a name's other ways of being written (its words in any order, each
// field's words joined, each of two surnames alone): the next start files every record's names
// anew, so that an employer's candidate who gives one of the two surnames under another number
// refers, and the data check holds the new rows to the heads.
TEST_F(DataCheckTest, NameVariantsOfAnEarlierSchemaAreFiledAtStartUp) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_surname("Hoxha-Berisha");
  r.mutable_person()->set_given_name("Arben");
  const std::string id = Create(r);
  EditBeforeTheSeal([&](storage::Database* db) {
    // The words in any order, the surname joined, and each of its two words alone; and (schema
    // 13) each two of its words: hoxha berisha, hoxha arben, berisha arben, hoxhaberisha arben,
    // and each of those four with the whole name joined each way; and the surname joined each
    // way alone (hoxhaberisha, berishahoxha).
    EXPECT_EQ(AliasRows(db, 'v', id).size(), 18u);
    LeaveAsSchema(db, "11", id, {'v'});
  });
  EXPECT_EQ(testing::LastStoredEvent(*server_).reference(),
            "schema 11 to 14: 1 record filed 0 with aliases");
  EXPECT_EQ(Verify().problem_count(), 0u);
  Edit([&](storage::Database* db) { EXPECT_EQ(AliasRows(db, 'v', id).size(), 18u); });
  const v1::Person& p = r.person();
  EXPECT_EQ(Vet(Namesake(p, "Berisha", "Arben", "1234500078")), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(Namesake(p, "Arben", "Hoxha Berisha", "1234500079")), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(Namesake(p, "Berisha", "Besnik", "1234500080")), v1::VETTING_RESULT_CLEAR);
}

// The rows of a name's other ways of being written are held to the head as the others: one
// deleted from the data folder is named, and an erasure leaves none.
TEST_F(DataCheckTest, ADeletedNameVariantRowIsCaught) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_given_name("Ali Arben");
  const std::string id = Create(r);
  EXPECT_EQ(Verify().problem_count(), 0u);
  EditBehindTheSeal([&](storage::Database* db) {
    const std::vector<std::string> rows = AliasRows(db, 'v', id);
    // The words in any order and the given name joined, and each two of the words (ali arben,
    // ali kerqeli, arben kerqeli, aliarben kerqeli, and each of those four with the whole name
    // joined each way), and the given name joined each way alone (aliarben, arbenali).
    ASSERT_EQ(rows.size(), 16u);
    Delete(db, storage::Cf::kIndex, rows[1]);
  });
  const v1::VerifyDataResponse report = Verify();
  EXPECT_EQ(report.problem_count(), 1u);
  EXPECT_THAT(report.problems(), Contains(HasSubstr("index row 'v' missing")));
  ASSERT_TRUE(Expunge(id).ok());
  Edit([&](storage::Database* db) { EXPECT_THAT(AliasRows(db, 'v', id), IsEmpty()); });
}

// An entry damaged where it lies is one problem: it fails authentication. It is still the entry
// its event wrote, so it is not also reported missing.
TEST_F(DataCheckTest, ADamagedVettingHistoryEntryIsOneProblem) {
  const v1::Person person = ExampleRecord().person();
  std::string answered;
  ASSERT_TRUE(VetForCheckId(CandidateOf(person), &answered).ok());
  ASSERT_FALSE(answered.empty());
  Edit([&](storage::Database* db) {
    const std::string key = CheckKey(db, answered);
    ASSERT_FALSE(key.empty());
    DamageStored(db, storage::Cf::kChecks, key, -1, 0x01);
  });

  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.vetting_checks(), 0u);
  EXPECT_THAT(r.problems(), ElementsAre(absl::StrCat("vetting check ", answered,
                                                     ": fails authentication")));
}

// Whoever holds the key file can seal an entry of their own; no event wrote it, so the data
// check names it. An entry moved under another key fails authentication.
TEST_F(DataCheckTest, AHistoryEntryNoEventWroteIsCaught) {
  std::string answered;
  ASSERT_TRUE(VetForCheckId(CandidateOf(ExampleRecord().person()), &answered).ok());
  const std::string forged(32, 'f');
  const std::string moved(32, 'e');
  const crypto::SecretBytes key = DerivedKeyOf(*server_, storage::kCheckStoreKeyPurpose);
  const std::string token = CandidateToken(answered);
  std::string moved_slot;
  Edit([&](storage::Database* db) {
    const std::string real_key = CheckKey(db, answered);
    ASSERT_FALSE(real_key.empty());
    absl::StatusOr<std::unique_ptr<storage::CheckStore>> store =
        storage::CheckStore::Create(db, key);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::string> slot = (*store)->Slot(token, moved);
    ASSERT_TRUE(slot.ok()) << slot.status();
    moved_slot = *slot;
    absl::StatusOr<std::string> moved_key = (*store)->RowKey(token, moved);
    ASSERT_TRUE(moved_key.ok()) << moved_key.status();
    storage::StoredCheck check;
    check.mutable_summary()->set_check_id(forged);
    check.mutable_summary()->set_organisation("dev-school");
    storage::PendingWrite w;
    ASSERT_TRUE((*store)->Stage(token, absl::Now(), check, &w).ok());
    ASSERT_TRUE(db->Write(w.staged()).ok());
    // The real entry's value under a key that names another check id.
    absl::StatusOr<std::optional<std::string>> value = db->Get(storage::Cf::kChecks, real_key);
    ASSERT_TRUE(value.ok() && value->has_value());
    storage::Batch copy;
    copy.Put(storage::Cf::kChecks, *moved_key, **value);
    ASSERT_TRUE(db->Write(copy).ok());
  });

  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 2u);
  EXPECT_EQ(r.vetting_checks(), 2u);  // the real entry and the forged one
  EXPECT_THAT(r.problems(),
              Contains(absl::StrCat("vetting check ", forged, ": no event in the audit log wrote it")));
  // No event names the slot it lies under, so it is named by that.
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("vetting check under slot ",
                                                  absl::BytesToHexString(moved_slot),
                                                  ": fails authentication")));
}


// A KEK's check value deleted from the data folder while registryd runs, with data keys under
// that KEK: the data check names it, online and offline, and the next start is refused rather
// than recording a new one from whatever KEK of that version the key file then holds (which
// would end the refusal of a key file whose KEK changed). Before, the check called the folder
// consistent and the start rebuilt the check value without a word.
TEST_F(DataCheckTest, AKekCheckValueDeletedUnderItsDataKeysIsNamedAndRefusedAtStart) {
  Create(ExampleRecord());
  Create(FictionalRecord(1));
  const std::vector<std::string> check_values =
      MetaKeysUnder(server_->server()->database(), "keys/kek-check/");
  ASSERT_EQ(check_values.size(), 1u);
  const std::string version(absl::StripPrefix(check_values[0], "keys/kek-check/"));
  Delete(server_->server()->database(), storage::Cf::kMeta, check_values[0]);

  const std::string problem = absl::StrCat("key-encryption key version ", version,
                                           ": 2 data keys are under it, but its check value is "
                                           "missing");
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u) << absl::StrJoin(r.problems(), "\n");
  EXPECT_THAT(r.problems(), Contains(problem));
  std::string out;
  EXPECT_EQ(RunOffline(&out, /*restart=*/false), 1) << out;
  EXPECT_THAT(out, HasSubstr(problem));

  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()),
              HasSubstr(absl::StrCat("2 data keys under key-encryption key version ", version,
                                     " but no check value for that version")));
  EXPECT_THAT(std::string(started.message()), HasSubstr("restore the data folder from a backup"));
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    absl::StatusOr<std::optional<std::string>> kept = db->Get(storage::Cf::kMeta, check_values[0]);
    ASSERT_TRUE(kept.ok()) << kept.status();
    EXPECT_FALSE(kept->has_value()) << "a check value was recorded again";
  }));
}

// A consent reference is bound to its first candidate in a consent row kept for ever. Deleting the
// row while registryd was stopped let the organisation give the reference for another candidate,
// and the data check called the data consistent. Every answered check's consent row is held to
// it now: present, authentic and naming its candidate; a missing one, and a check under a
// reference given before for another candidate, are named by check id, never the person or the
// reference.
TEST_F(DataCheckTest, ADeletedConsentRowAndTheReferenceGivenAgainForAnotherAreCaught) {
  const v1::Person person = ExampleRecord().person();
  const v1::VettingCheckRequest first = CandidateOf(person);
  std::string answered;
  ASSERT_NO_FATAL_FAILURE(CheckTheExamplePerson(&answered));

  ASSERT_EQ(DeleteMetaRowsUnder("consents/vetting/"), 1u);
  v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  const std::string missing =
      absl::StrCat("vetting check ", answered,
                   ": answered under a consent reference whose consent row is missing, so the "
                   "reference could be given for another candidate");
  ExpectReportedOnlineAndOffline(r, missing);
  EXPECT_THAT(missing, ::testing::Not(HasSubstr(person.personal_number())));
  EXPECT_THAT(missing, ::testing::Not(HasSubstr(first.consent_reference())));

  // What the deletion is for: the reference given again, for another candidate, is answered.
  const v1::VettingCheckRequest other =
      CandidateOf(FictionalRecord(1).person(), first.consent_reference());
  ASSERT_NE(other.personal_number(), person.personal_number());
  std::string again;
  ASSERT_TRUE(VetForCheckId(other, &again).ok());
  r = Verify();
  EXPECT_EQ(r.problem_count(), 2u);
  EXPECT_THAT(r.problems(),
              Contains(absl::StrCat("vetting check ", again,
                                    ": answered under a consent reference its organisation gave "
                                    "for another candidate in check ",
                                    answered)));
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("vetting check ", answered,
                                                  ": its consent row binds the reference to "
                                                  "another candidate")));
}

// A consent row edited in the data folder fails authentication: it is named by the check.
TEST_F(DataCheckTest, ADamagedConsentRowIsNamedByItsCheck) {
  const v1::Person person = ExampleRecord().person();
  std::string answered;
  ASSERT_TRUE(VetForCheckId(CandidateOf(person), &answered).ok());
  const std::string prefix = "consents/vetting/";
  Edit([&](storage::Database* db) {
    const std::vector<std::string> keys = MetaKeysUnder(db, prefix);
    ASSERT_FALSE(keys.empty());
    DamageStored(db, storage::Cf::kMeta, keys[0], -1, 1);
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("vetting check ", answered,
                                                  ": its consent row fails authentication")));
}

// registryd's own data check ran first a whole interval after each start, so a registry restarted
// more often never ran it, and what was changed in the data folder while it was stopped went
// unnoticed. The first run is due an interval after the last one the audit log holds, or soon
// after the start when that is past or there is none; never later than an interval.
TEST(DataCheckScheduleTest, TheFirstRunIsAnIntervalAfterTheLastOrSoonWhenThatIsPast) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const absl::Duration day = absl::Hours(24);
  const absl::Duration soon = absl::Minutes(5);
  EXPECT_EQ(server::FirstDataCheckDelay(std::nullopt, now, day, soon), soon);
  EXPECT_EQ(server::FirstDataCheckDelay(now - absl::Hours(1), now, day, soon), absl::Hours(23));
  EXPECT_EQ(server::FirstDataCheckDelay(now - day, now, day, soon), soon);
  EXPECT_EQ(server::FirstDataCheckDelay(now - 30 * day, now, day, soon), soon);
  EXPECT_EQ(server::FirstDataCheckDelay(now - day + absl::Minutes(1), now, day, soon), soon);
  // A last check dated after now (the clock set back) waits an interval, no more.
  EXPECT_EQ(server::FirstDataCheckDelay(now + absl::Hours(5), now, day, soon), day);
}

// A start more than an interval after the last data check runs it soon, in the background,
// and it finds what was changed in the data folder while registryd was stopped.
TEST_F(DataCheckTest, AStartLongAfterTheLastDataCheckRunsItSoonAndFindsWhatChangedMeanwhile) {
  FakeClock clock(absl::Now());
  Start(TestServerOptions::OnClock(&clock));
  const std::string id = Create(FictionalRecord(1));
  absl::StatusOr<uint64_t> checked = server_->server()->RunDataCheckOnce();
  ASSERT_TRUE(checked.ok() && *checked == 0) << checked.status();
  const uint64_t size = testing::AuditLogSize(*server_);
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(
      *server_, [&](storage::Database* db) { DeletePersonalNumberRow(db, id); }));
  ASSERT_NO_FATAL_FAILURE(ForgeIndexSeal());  // the row alone, not the seal (row 115)
  clock.Advance(absl::Hours(server_->config().data_check_interval_hours()) + absl::Minutes(1));
  server::RegistryServerOptions options;
  options.config = server_->config();
  options.clock = &clock;
  options.start_scheduler = false;
  options.start_backup_scheduler = false;
  options.start_data_checks = true;
  options.data_check_start_delay = absl::ZeroDuration();
  absl::Notification ran;
  absl::StatusOr<uint64_t> problems = absl::UnknownError("the data check did not run");
  options.after_data_check = [&](const absl::StatusOr<uint64_t>& found) {
    if (ran.HasBeenNotified()) return;
    problems = found;
    ran.Notify();
  };
  absl::StatusOr<std::unique_ptr<server::RegistryServer>> started =
      server::RegistryServer::Start(std::move(options));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Minutes(2)));
  ASSERT_TRUE(problems.ok()) << problems.status();
  EXPECT_EQ(*problems, 1u);
  EXPECT_GT((*started)->audit_log()->CurrentHead().size, size);
  (*started)->Shutdown(absl::Seconds(1));
}

// Index rows of an erased record put back from an old backup, without the head, made every
// vetting check and court search through them fail with DATA_LOSS: a denial of service for the
// person and any namesake. The erasure ledger erased the record, so such a row is a leftover:
// lookups pass over it, the start deletes the personal-number row (the ledger names its token),
// and the data check names the rest as orphaned rows. A head deleted where the ledger erased
// nothing is still DATA_LOSS.
TEST_F(DataCheckTest, IndexRowsOfAnErasedRecordPutBackFindNothingAndAreNamed) {
  const v1::CreateRecordRequest r = ExampleRecord();
  const std::string id = Create(r);
  StoredRows index_rows;
  Edit([&](storage::Database* db) { index_rows = CopyRows(db, {storage::Cf::kIndex}); });
  ASSERT_TRUE(Expunge(id).ok());
  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(
      testing::EditStoppedData(*server_, [&](storage::Database* db) { PutRows(db, index_rows); }));
  // By someone holding the key file: without it, the index seal refuses every check (row 115).
  ASSERT_NO_FATAL_FAILURE(ForgeIndexSeal());
  std::string out;
  EXPECT_EQ(RunOffline(&out), 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("index row 'p' for ", id, ": orphaned")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("index row 'n' for ", id, ": orphaned")));

  // The start deleted the personal-number row, in an audited batch.
  bool deleted = false;
  const uint64_t size = testing::AuditLogSize(*server_);
  for (uint64_t i = 0; i < size; ++i) {
    deleted = deleted || testing::StoredEvent(*server_, i).reference() ==
                             "erasure ledger entry 0: leftover personal-number row deleted";
  }
  EXPECT_TRUE(deleted);
  std::string answered;
  const grpc::Status vetted = VetForCheckId(CandidateOf(r.person()), &answered);
  EXPECT_TRUE(vetted.ok()) << vetted.error_message();
  v1::SearchRecordsResponse found;
  ASSERT_NO_FATAL_FAILURE(SearchByName(r.person().surname(), r.person().given_name(),
                                       r.person().birth_date(), &found));
  EXPECT_EQ(found.records_size(), 0);
  EXPECT_EQ(found.possible_matches_size(), 0);
  const v1::VerifyDataResponse report = Verify();
  EXPECT_THAT(report.problems(),
              Contains(HasSubstr(absl::StrCat("index row 'n' for ", id, ": orphaned"))));
  EXPECT_THAT(report.problems(),
              ::testing::Not(Contains(HasSubstr(absl::StrCat("index row 'p' for ", id)))));

  // A head deleted from the data folder, of a record the ledger never erased.
  const v1::CreateRecordRequest other = FictionalRecord(2);
  const std::string other_id = Create(other);
  Edit([&](storage::Database* db) { Delete(db, storage::Cf::kRecords, other_id); });
  EXPECT_EQ(VetCode(other.person()), grpc::StatusCode::DATA_LOSS);
}

// A REFER by a record under another number is stored twice, in the asked number's history and
// in the record's person's, and the data check paired the rows with the event by check id alone:
// either one deleted while registryd was stopped went unnoticed while the other remained, and the
// probe was hidden from that person. Each missing row is named by its check id. A REFER's row of
// the alert on an organisation's many REFERs deleted offline reset the day's count: named too.
std::vector<std::string> RowsOfCheck(const TestServer& server, storage::Database* db,
                                     const std::string& check_id) {
  // Each history's copy has a slot of its own: the holder of the key file opens every row.
  absl::StatusOr<std::unique_ptr<crypto::AesGcm>> aead =
      crypto::AesGcm::Create(DerivedKeyOf(server, storage::kCheckStoreKeyPurpose));
  EXPECT_TRUE(aead.ok()) << aead.status();
  std::vector<std::string> keys;
  for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kChecks})) {
    storage::StoredCheck check;
    absl::StatusOr<std::string> plain = (*aead)->Decrypt(row.second, row.first);
    if (plain.ok() && check.ParseFromString(*plain) && check.summary().check_id() == check_id) {
      keys.push_back(row.first);
    }
  }
  return keys;
}

TEST_F(DataCheckTest, EachHistoryOfAReferUnderAnotherNumberIsHeldToItsEvent) {
  const v1::Person person = ExampleRecord().person();
  const std::string id = Create(ExampleRecord());
  std::vector<std::string> answered;
  for (const std::string number : {"1098765432", "1098765433"}) {
    v1::VettingCheckRequest req = CandidateOf(person, ConsentFor(number));
    req.set_personal_number(number);
    std::string check_id;
    const grpc::Status s = VetForCheckId(req, &check_id);
    ASSERT_TRUE(s.ok()) << s.error_message();
    answered.push_back(check_id);
  }
  ASSERT_EQ(HistoryLength(person), 2);
  v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
  EXPECT_EQ(r.vetting_checks(), 4u);

  // The first check's copy in the person's history, and the second's row under the number it
  // was asked under.
  Edit([&](storage::Database* db) {
    const std::string person_token = Head(db, id).personal_number_token();
    ASSERT_EQ(person_token.size(), 32u);
    absl::StatusOr<std::unique_ptr<storage::CheckStore>> store = storage::CheckStore::Create(
        db, DerivedKeyOf(*server_, storage::kCheckStoreKeyPurpose));
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::string> person = (*store)->PersonKey(person_token);
    ASSERT_TRUE(person.ok()) << person.status();
    for (size_t i = 0; i < answered.size(); ++i) {
      const std::vector<std::string> keys = RowsOfCheck(*server_, db, answered[i]);
      ASSERT_EQ(keys.size(), 2u);
      for (const std::string& key : keys) {
        const bool copy = key.substr(1, 32) == *person;
        if (copy == (i == 0)) Delete(db, storage::Cf::kChecks, key);
      }
    }
  });
  EXPECT_EQ(HistoryLength(person), 1);
  r = Verify();
  EXPECT_EQ(r.problem_count(), 2u);
  EXPECT_THAT(r.problems(),
              Contains(absl::StrCat("vetting check ", answered[0],
                                    ": its copy in the history of the person whose record under "
                                    "another number referred it is missing")));
  const std::string asked_row = absl::StrCat(
      "vetting check ", answered[1], ": missing from the history of the number it was asked under");
  ExpectReportedOnlineAndOffline(r, asked_row);
  for (const std::string& problem : r.problems()) {
    EXPECT_THAT(problem, ::testing::Not(HasSubstr(person.personal_number())));
  }
}

TEST_F(DataCheckTest, ADeletedReferRowOfARecentCheckIsCaught) {
  std::string answered;
  ASSERT_NO_FATAL_FAILURE(CheckTheExamplePerson(&answered, "1098765432"));

  ASSERT_EQ(DeleteMetaRowsUnder("limits/org-refers/"), 1u);
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  ExpectReportedOnlineAndOffline(
      r, absl::StrCat("vetting check ", answered, ": answered REFER within the last 24 hours, but "
                      "its REFER row is missing, so the alert on the organisation's many REFERs "
                      "would count it no more"));
}

// The key of the index row ('v') of the pair of name words `a` and `b` (normalised, a < b) with
// `birth_date` of record `id` (RecordStore::NameWordPairTokens), as an insider with the key file
// computes it.
std::string WordPairRowKey(const TestServer& server, const std::string& a, const std::string& b,
                           const std::string& birth_date, const std::string& id) {
  absl::StatusOr<std::string> token =
      crypto::HmacSha256(DerivedKeyOf(server, "blind-index/name-birth-date"),
                         absl::StrCat("word-pair|", a, " ", b, "|", birth_date));
  EXPECT_TRUE(token.ok()) << token.status();
  return absl::StrCat("v", token.value_or(""), id);
}
// The key of the index row ('v') of name word `word` alone (a field of the name joined).
std::string WordAloneRowKey(const TestServer& server, const std::string& word,
                            const std::string& birth_date, const std::string& id) {
  absl::StatusOr<std::string> token =
      crypto::HmacSha256(DerivedKeyOf(server, "blind-index/name-birth-date"),
                         absl::StrCat("word-pair|", word, "|", birth_date));
  EXPECT_TRUE(token.ok()) << token.status();
  return absl::StrCat("v", token.value_or(""), id);
}

// Schema 12 filed no pair of a name's words: the next start files every record's names anew
// ("schema 12 to 14"), so that an employer's candidate who shares two of the words (one of two
// surnames with one of two given names, or the words swapped and one left out) under another
// number refers, and the data check holds the new rows to the heads.
TEST_F(DataCheckTest, WordPairsOfAnEarlierSchemaAreFiledAtStartUp) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_surname("Hoti Morina");
  r.mutable_person()->set_given_name("Ali Arben");
  const std::string id = Create(r);
  const std::string& born = r.person().birth_date();
  // Each two of the words that stand for different ones of the name.
  std::vector<std::string> pair_rows;
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"ali", "arben"}, {"ali", "hoti"}, {"ali", "hotimorina"}, {"ali", "morina"},
           {"aliarben", "hoti"}, {"aliarben", "hotimorina"}, {"aliarben", "morina"},
           {"arben", "hoti"}, {"arben", "hotimorina"}, {"arben", "morina"}, {"hoti", "morina"}}) {
    pair_rows.push_back(WordPairRowKey(*server_, a, b, born, id));
  }
  // And the whole name joined each way with each of the six.
  for (const std::string joined : {"hotimorinaaliarben", "aliarbenhotimorina"}) {
    for (const std::string word : {"ali", "arben", "aliarben", "hoti", "morina", "hotimorina"}) {
      pair_rows.push_back(WordPairRowKey(*server_, std::min(joined, word),
                                         std::max(joined, word), born, id));
    }
  }
  // And each field joined each way alone.
  for (const std::string joined : {"hotimorina", "morinahoti", "aliarben", "arbenali"}) {
    pair_rows.push_back(WordAloneRowKey(*server_, joined, born, id));
  }
  EditBeforeTheSeal([&](storage::Database* db) {
    EXPECT_EQ(AliasRows(db, 'v', id).size(), 31u);
    for (const std::string& key : pair_rows) {
      ASSERT_NO_FATAL_FAILURE(DeleteStoredRow(db, storage::Cf::kIndex, key));
    }
    EXPECT_EQ(AliasRows(db, 'v', id).size(), 4u);
    LeaveAsSchema(db, "12", id, {});
  });
  EXPECT_EQ(testing::LastStoredEvent(*server_).reference(),
            "schema 12 to 14: 1 record filed 0 with aliases");
  EXPECT_EQ(Verify().problem_count(), 0u);
  Edit([&](storage::Database* db) {
    EXPECT_EQ(AliasRows(db, 'v', id).size(), 31u);
    for (const std::string& key : pair_rows) {
      absl::StatusOr<std::optional<std::string>> row = db->Get(storage::Cf::kIndex, key);
      EXPECT_TRUE(row.ok() && row->has_value());
    }
  });
  const v1::Person& p = r.person();
  EXPECT_EQ(Vet(Namesake(p, "Hoti", "Arben", "1234500081")), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(Namesake(p, "Arben", "Hoti", "1234500082")), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(Namesake(p, "Hoti", "Besnik", "1234500083")), v1::VETTING_RESULT_CLEAR);
  // Once.
  EXPECT_EQ(EventsOfARestart(), 0u);
}

// The rows of each two of a name's words are held to the head both ways: one deleted from the
// data folder is named missing, and one of a pair the name does not have, put in with a valid
// MAC by someone with the key file, is named as not the record's; an erasure leaves none.
TEST_F(DataCheckTest, ADeletedWordPairRowIsCaught) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_given_name("Ali Arben");
  const std::string id = Create(r);
  const std::string& born = r.person().birth_date();
  EXPECT_EQ(Verify().problem_count(), 0u);
  const std::string pair = WordPairRowKey(*server_, "arben", "kerqeli", born, id);
  EditBehindTheSeal(
      [&](storage::Database* db) { DeleteStoredRow(db, storage::Cf::kIndex, pair); });
  v1::VerifyDataResponse report = Verify();
  EXPECT_THAT(report.problems(),
              Contains(absl::StrCat("record ", id, ": index row 'v' missing")));

  const std::string other = WordPairRowKey(*server_, "besnik", "kerqeli", born, id);
  EditBehindTheSeal(
      [&](storage::Database* db) { PutIndexRows(*server_, db, {pair, other}); });
  report = Verify();
  EXPECT_THAT(report.problems(),
              Contains(absl::StrCat("index row 'v' for ", id, ": not the record's current token")));
  EXPECT_THAT(report.problems(), ::testing::Not(Contains(HasSubstr("index row 'v' missing"))));
  EditBehindTheSeal([&](storage::Database* db) { Delete(db, storage::Cf::kIndex, other); });
  EXPECT_EQ(Verify().problem_count(), 0u);
  ASSERT_TRUE(Expunge(id).ok());
  Edit([&](storage::Database* db) { EXPECT_THAT(AliasRows(db, 'v', id), IsEmpty()); });
}

// The index seal (storage/index_seal.h). The events of the system job, in the order written (a
// new folder's seal writes none).
std::vector<v1::AuditEvent> IndexSealEvents(TestServer& server) {
  return StoredEventsOf(server, "system:index-seal");
}

// The index's three rows that find a record for vetting deleted while registryd was stopped:
// the check was a signed CLEAR until the data check named the rows. Now the start compares the
// rows with the seal, says so once (log and audit event, the family and the counts), and every
// vetting check is refused, that person's and anyone else's; a court's search goes on.
TEST_F(DataCheckTest, IndexRowsDeletedWhileStoppedRefuseEveryVettingCheck) {
  const std::string id = Create(ExampleRecord());
  const v1::CreateRecordRequest other = FictionalRecord(3);
  Create(other);
  ASSERT_EQ(Vet(ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_THAT(IndexSealEvents(*server_), IsEmpty());  // a new folder is sealed from the start
  Edit([&](storage::Database* db) {
    const storage::StoredHead head = Head(db, id);
    Delete(db, storage::Cf::kIndex, absl::StrCat("p", head.personal_number_token(), id));
    Delete(db, storage::Cf::kIndex, absl::StrCat("n", head.name_token(), id));
    Delete(db, storage::Cf::kIndex, absl::StrCat("v", head.name_variant_tokens(0), id));
  });
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(VetCode(other.person()), grpc::StatusCode::DATA_LOSS);
  const std::vector<v1::AuditEvent> said = IndexSealEvents(*server_);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].action(), "index-seal-broken");
  EXPECT_EQ(said[0].outcome(), static_cast<int>(grpc::StatusCode::DATA_LOSS));
  EXPECT_THAT(said[0].reference(), HasSubstr("index family"));
  EXPECT_THAT(said[0].reference(), HasSubstr("sealed, "));
  // The refused checks are audited as other data-loss refusals, naming no one.
  const v1::AuditEvent refused = testing::LastStoredEvent(*server_);
  EXPECT_EQ(refused.action(), kVettingCheckMethod);
  EXPECT_EQ(refused.outcome(), static_cast<int>(grpc::StatusCode::DATA_LOSS));
  EXPECT_THAT(refused.record_ids(), IsEmpty());
  // A court still reads.
  v1::SearchRecordsResponse found;
  ASSERT_NO_FATAL_FAILURE(SearchByName(other.person().surname(), other.person().given_name(),
                                       other.person().birth_date(), &found));
  EXPECT_EQ(found.records_size(), 1);
  const std::string problem =
      "index seal: the index family's rows are not the rows sealed (";
  EXPECT_THAT(Verify().problems(), Contains(HasSubstr(problem)));
  std::string out;
  EXPECT_EQ(RunOffline(&out), 1) << out;
  EXPECT_THAT(out, HasSubstr(problem));
  // Every start says it again, once.
  EXPECT_EQ(IndexSealEvents(*server_).size(), 2u);
}

// An erased record's index row put back, copied from a copy of the folder made before the
// erasure: one row more than sealed.
TEST_F(DataCheckTest, AnIndexRowAddedWhileStoppedIsCaught) {
  const v1::CreateRecordRequest r = ExampleRecord();
  const std::string id = Create(r);
  Create(FictionalRecord(3));
  StoredRows name_row;
  Edit([&](storage::Database* db) {
    for (const auto& row : CopyRows(db, {storage::Cf::kIndex})) {
      if (row.second.first[0] == 'n' && absl::EndsWith(row.second.first, id)) {
        name_row.push_back(row);
      }
    }
  });
  ASSERT_EQ(name_row.size(), 1u);
  ASSERT_TRUE(Expunge(id).ok());
  ASSERT_EQ(Verify().problem_count(), 0u);
  Edit([&](storage::Database* db) { PutRows(db, name_row); });
  EXPECT_EQ(VetCode(r.person()), grpc::StatusCode::DATA_LOSS);
  EXPECT_THAT(Verify().problems(), Contains(HasSubstr("index seal: ")));
}

// One row deleted and an old one put back in its place: the count is the same, the sum is not.
TEST_F(DataCheckTest, AnIndexRowSwappedWhileStoppedIsCaught) {
  const v1::CreateRecordRequest gone = FictionalRecord(4);
  const std::string gone_id = Create(gone);
  const std::string id = Create(ExampleRecord());
  StoredRows old_row;
  Edit([&](storage::Database* db) {
    for (const auto& row : CopyRows(db, {storage::Cf::kIndex})) {
      if (row.second.first[0] == 'p' && absl::EndsWith(row.second.first, gone_id)) {
        old_row.push_back(row);
      }
    }
  });
  ASSERT_EQ(old_row.size(), 1u);
  ASSERT_TRUE(Expunge(gone_id).ok());
  Edit([&](storage::Database* db) {
    DeletePersonalNumberRow(db, id);
    PutRows(db, old_row);
  });
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  const std::vector<v1::AuditEvent> said = IndexSealEvents(*server_);
  ASSERT_EQ(said.size(), 1u);
  // As many rows as sealed, not the same ones.
  const std::string counts = std::string(absl::StripSuffix(
      said[0].reference().substr(said[0].reference().find('(') + 1),
      said[0].reference().substr(said[0].reference().find(')'))));
  const std::vector<std::string> both = absl::StrSplit(counts, " sealed, ");
  ASSERT_EQ(both.size(), 2u) << counts;
  EXPECT_EQ(both[0] + " found", both[1]);
}

// Every kind of write keeps the seal the exact set of index rows: creations, an amendment of the
// name (its rows move), an erasure, an import, a restore of a backup (with the erasures after it
// applied again) and the re-filing of an earlier schema. The data check recomputes it after
// each, and a start compares it; vetting answers.
TEST_F(DataCheckTest, TheIndexSealStaysExactAfterEveryKindOfWrite) {
  Create(ExampleRecord());
  const std::string b = Create(FictionalRecord(5));
  const std::string c = Create(FictionalRecord(6));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::AmendRecordRequest req;
    req.set_record_id(b);
    req.mutable_person()->set_surname("Berisha");
    req.mutable_update_mask()->add_paths("person.surname");
    req.set_reason("surname corrected by court notice");
    v1::AmendRecordResponse resp;
    const grpc::Status s =
        v1::RecordService::NewStub(server_->Channel("clerk"))->AmendRecord(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  v1::BackupInfo backup;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    const grpc::Status s = v1::AdminService::NewStub(server_->Channel("admin"))
                               ->CreateBackup(&ctx, v1::CreateBackupRequest(), &backup);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(Expunge(c).ok());
  Create(FictionalRecord(7));
  v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << absl::StrJoin(r.problems(), "\n");
  // The restore: the backup's own seal, then the erasure after it applied again.
  server_->Stop();
  int applied = -1;
  const absl::Status restored =
      server::RestoreBackup(server_->config(), backup.backup_id(), &applied);
  ASSERT_TRUE(restored.ok()) << restored;
  ASSERT_TRUE(server_->Restart().ok());
  r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << absl::StrJoin(r.problems(), "\n");
  EXPECT_EQ(r.records(), 2u);
  // The re-filing of every record's names (an earlier schema, the rows all there).
  Edit([&](storage::Database* db) {
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, "schema/version", "11");
    ASSERT_TRUE(db->Write(batch).ok());
  });
  r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << absl::StrJoin(r.problems(), "\n");
  EXPECT_EQ(Vet(ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_THAT(IndexSealEvents(*server_), IsEmpty());
}

// A folder from before the seal (an earlier storage schema, a watermark that binds no seal) gets
// one at its first start, from the rows it holds, audited once; vetting answers from it, and a
// row deleted afterwards is caught.
TEST_F(DataCheckTest, AFolderWithoutAnIndexSealGetsOneAtStart) {
  const std::string id = Create(ExampleRecord());
  size_t rows = 0;
  EditBeforeTheSeal([&](storage::Database* db) {
    rows = CopyRows(db, {storage::Cf::kIndex}).size();
    Delete(db, storage::Cf::kMeta, storage::kIndexSealRow);
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, "schema/version", "12");
    ASSERT_TRUE(db->Write(batch).ok());
  });
  std::vector<v1::AuditEvent> said = IndexSealEvents(*server_);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].action(), "index-seal-made");
  EXPECT_EQ(said[0].reference(),
            absl::StrCat("index seal made: ", rows, " rows of the index family"));
  EXPECT_EQ(Vet(ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(Verify().problem_count(), 0u);
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(IndexSealEvents(*server_).size(), 1u);  // once
  Edit([&](storage::Database* db) { DeletePersonalNumberRow(db, id); });
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
}

// The comparison after a start runs in the background, and vetting waits for it: the first
// check after a start is answered, not refused as unavailable.
TEST_F(DataCheckTest, TheFirstVettingCheckAfterAStartIsAnswered) {
  Create(ExampleRecord());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(server_->Restart().ok());
    std::string answered;
    const grpc::Status s = VetForCheckId(CandidateOf(ExampleRecord().person()), &answered);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
}

// After an investigation the operator may keep the data as it is: `registryd --reseal_index`
// refuses while the data check finds anything besides the seal (a deleted row is put right, or
// the data restored, first), and seals the rows there are once it finds nothing else, audited.
TEST_F(DataCheckTest, ResealingTheIndexNeedsAnOtherwiseSoundDataCheck) {
  const std::string id = Create(ExampleRecord());
  // The seal's own row edited: the seal is the one problem.
  Edit([&](storage::Database* db) {
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, storage::kIndexSealRow, std::string(72, '\0'));
    ASSERT_TRUE(db->Write(batch).ok());
  });
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(), Contains(HasSubstr("index seal: the stored seal")));
  server_->Stop();
  absl::StatusOr<uint64_t> resealed = server::ResealIndex(server_->config(), SystemClock::Get());
  ASSERT_TRUE(resealed.ok()) << resealed.status();
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(Vet(ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  const std::vector<v1::AuditEvent> said = IndexSealEvents(*server_);
  ASSERT_FALSE(said.empty());
  EXPECT_EQ(said.back().action(), "index-sealed-anew");
  EXPECT_THAT(said.back().reference(),
              HasSubstr(absl::StrCat("index sealed anew by the operator: ", *resealed, " rows")));
  EXPECT_EQ(Verify().problem_count(), 0u);

  // A row deleted: the data check names it, and the seal is not made over it.
  Edit([&](storage::Database* db) { DeletePersonalNumberRow(db, id); });
  server_->Stop();
  resealed = server::ResealIndex(server_->config(), SystemClock::Get());
  EXPECT_TRUE(absl::IsFailedPrecondition(resealed.status())) << resealed.status();
  EXPECT_THAT(resealed.status().message(), HasSubstr("1 problems besides the index seal"));
  ASSERT_TRUE(server_->Restart().ok());
}

// What a stolen data folder showed of the vetting histories, and shows no more: the checks family
// was keyed by the personal-number token of the index family's 'p' rows, so a thief without the
// key file joined a record to how often its person was vetting-checked; and a REFER's two rows
// ended in the same slot, so the files said which two histories it linked. Neither holds now.
TEST_F(DataCheckTest, NoHistoryKeyHoldsAnIndexTokenAndARefersCopiesShareNoSlot) {
  const v1::Person person = ExampleRecord().person();
  Create(ExampleRecord());
  std::string asked, refer;
  ASSERT_NO_FATAL_FAILURE(CheckUnderItsOwnAndAnotherNumber(person, &asked, &refer));
  const std::string asked_token = CandidateToken(refer);
  ASSERT_EQ(asked_token.size(), 32u);
  Edit([&](storage::Database* db) {
    std::vector<std::string> tokens = {asked_token};
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kIndex})) {
      if (row.first.size() > 33 && row.first[0] == 'p') tokens.push_back(row.first.substr(1, 32));
    }
    ASSERT_GE(tokens.size(), 2u);
    const auto rows = CopyRows(db, {storage::Cf::kChecks});
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& [cf, row] : rows) {
      for (const std::string& token : tokens) {
        EXPECT_FALSE(absl::StartsWith(row.first, token));
        EXPECT_EQ(row.first.find(token.substr(0, 8)), std::string::npos);
      }
    }
    const std::vector<std::string> copies = RowsOfCheck(*server_, db, refer);
    ASSERT_EQ(copies.size(), 2u);
    const size_t slot = storage::CheckStore::kSlotSize;
    EXPECT_NE(copies[0].substr(copies[0].size() - slot), copies[1].substr(copies[1].size() - slot));
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
  EXPECT_EQ(r.vetting_checks(), 3u);
}

// The limit and REFER rows' keys held each check's time for two days (and the REFER rows were
// grouped by organisation). The keys hold no time now; after a restart the rows still count
// (the person's daily limit) and the data check still finds every one.
TEST_F(DataCheckTest, LimitAndReferRowsHoldNoTimeAndStillCountAcrossARestart) {
  const v1::Person person = ExampleRecord().person();
  Create(ExampleRecord());
  v1::VettingCheckRequest req = CandidateOf(person);
  req.set_personal_number("1098765432");
  const absl::Time before = absl::Now();
  std::string answered;
  ASSERT_TRUE(VetForCheckId(req, &answered).ok());
  const absl::Time after = absl::Now();
  std::string organisation;
  for (uint64_t i = testing::AuditLogSize(*server_); i-- > 0 && organisation.empty();) {
    const v1::AuditEvent event = testing::StoredEvent(*server_, i);
    if (event.check_id() == answered) organisation = event.organisation();
  }
  ASSERT_FALSE(organisation.empty());
  const std::string token = CandidateToken(answered);
  Edit([&](storage::Database* db) {
    std::vector<std::string> keys;
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kMeta})) {
      if (absl::StartsWith(row.first, "limits/")) keys.push_back(row.first);
    }
    ASSERT_GE(keys.size(), 3u);  // the person's, the name's, the REFER's
    for (const std::string& key : keys) {
      for (const absl::Time at : {before, after}) {
        const std::string micros =
            storage::EncodeU64(static_cast<uint64_t>(absl::ToUnixMicros(at)));
        EXPECT_EQ(key.find(micros.substr(0, 4)), std::string::npos);
      }
    }
    absl::StatusOr<std::unique_ptr<storage::CheckStore>> store = storage::CheckStore::Create(
        db, DerivedKeyOf(*server_, storage::kCheckStoreKeyPurpose));
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<uint32_t> takes =
        (*store)->CountLimitTakes(organisation, token, before - absl::Hours(24));
    ASSERT_TRUE(takes.ok()) << takes.status();
    EXPECT_EQ(*takes, 1u);
    EXPECT_EQ(*(*store)->CountLimitTakes(organisation, token, after + absl::Seconds(1)), 0u);
    absl::StatusOr<std::vector<absl::Time>> refers =
        (*store)->RefersBetween(organisation, before - absl::Hours(24), absl::Now(), "");
    ASSERT_TRUE(refers.ok()) << refers.status();
    ASSERT_EQ(refers->size(), 1u);
    EXPECT_GE((*refers)[0], before - absl::Seconds(1));
  });
  const v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
}

// A data folder of the previous layout: checks under token || slot of the check id alone, and
// limit and REFER rows with their time in the key. The next start moves the checks (those not
// moved yet: one already is, as after a move stopped part way), each batch audited, and marks
// the move done; the limit and REFER rows are read as they are until pruned. The history lists
// every check, and the data check holds the moved checks and the earlier rows as before.
TEST_F(DataCheckTest, ChecksOfThePreviousLayoutMoveAtStartAndAreStillListedCountedAndHeld) {
  const v1::Person person = ExampleRecord().person();
  const std::string id = Create(ExampleRecord());
  std::string asked, refer;
  ASSERT_NO_FATAL_FAILURE(CheckUnderItsOwnAndAnotherNumber(person, &asked, &refer));
  const std::string refer_token = CandidateToken(refer);
  const crypto::SecretBytes key = DerivedKeyOf(*server_, storage::kCheckStoreKeyPurpose);
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    absl::StatusOr<std::unique_ptr<storage::CheckStore>> store =
        storage::CheckStore::Create(db, key);
    ASSERT_TRUE(store.ok()) << store.status();
    auto aead = crypto::AesGcm::Create(key);
    ASSERT_TRUE(aead.ok()) << aead.status();
    storage::Batch batch;
    const auto reseal = [&](const std::string& from, const std::string& to, storage::Cf cf,
                            const std::function<std::string(const std::string&)>& plain_of) {
      absl::StatusOr<std::optional<std::string>> value = db->Get(cf, from);
      ASSERT_TRUE(value.ok() && value->has_value()) << from.size();
      absl::StatusOr<std::string> plain = (*aead)->Decrypt(**value, from);
      ASSERT_TRUE(plain.ok()) << plain.status();
      absl::StatusOr<std::string> sealed = (*aead)->Encrypt(plain_of(*plain), to);
      ASSERT_TRUE(sealed.ok()) << sealed.status();
      batch.Delete(cf, from);
      batch.Put(cf, to, *sealed);
    };
    // The REFER's two rows as the previous layout keyed them; the other check stays moved.
    const std::string person_token = Head(db, id).personal_number_token();
    for (const std::string& token : {refer_token, person_token}) {
      absl::StatusOr<std::string> current = (*store)->RowKey(token, refer);
      absl::StatusOr<std::string> slot = (*store)->EarlierSlot(refer);
      ASSERT_TRUE(current.ok() && slot.ok());
      reseal(*current, token + *slot, storage::Cf::kChecks,
             [](const std::string& plain) { return plain; });
    }
    // The limit and REFER rows with their time in the key (the check id after it), sealed over
    // nothing.
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kMeta})) {
      for (const std::string kind : {"limits/person-checks/", "limits/org-refers/"}) {
        if (!absl::StartsWith(row.first, kind)) continue;
        absl::StatusOr<std::string> plain = (*aead)->Decrypt(row.second, row.first);
        ASSERT_TRUE(plain.ok()) << plain.status();
        const std::string group = kind == "limits/org-refers/"
                                      ? plain->substr(8, 32)
                                      : row.first.substr(kind.size(), 32);
        const std::string earlier =
            kind + group + plain->substr(0, 8) + plain->substr(plain->size() - 32);
        reseal(row.first, earlier, storage::Cf::kMeta, [](const std::string&) { return ""; });
      }
    }
    batch.Delete(storage::Cf::kMeta, "layouts/vetting-checks");
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  ASSERT_TRUE(server_->Restart().ok());

  bool audited = false;
  const uint64_t size = testing::AuditLogSize(*server_);
  for (uint64_t i = size; i-- > 0 && !audited;) {
    const v1::AuditEvent event = testing::StoredEvent(*server_, i);
    audited = event.actor() == "system:storage-schema" &&
              event.action() == "move-vetting-checks" &&
              event.reference() == "vetting checks batch 1: 2 rows";
  }
  EXPECT_TRUE(audited);
  EXPECT_EQ(HistoryLength(person), 2);
  v1::VerifyDataResponse r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
  EXPECT_EQ(r.vetting_checks(), 3u);
  // Once: the next start finds the move marked done and commits nothing.
  EXPECT_EQ(EventsOfARestart(), 0u);
  Edit([&](storage::Database* db) {
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kChecks})) {
      EXPECT_EQ(row.first.size(),
                1u + storage::CheckStore::kPersonKeySize + storage::CheckStore::kSlotSize);
      EXPECT_EQ(row.first.find(refer_token), std::string::npos);
    }
  });
  r = Verify();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
}


// The rows of the index that name `id`, as an insider with the data folder finds them.
std::vector<std::string> IndexRowsOf(storage::Database* db, const std::string& id) {
  std::vector<std::string> keys;
  for (const auto& row : CopyRows(db, {storage::Cf::kIndex})) {
    if (absl::EndsWith(row.second.first, id)) keys.push_back(row.second.first);
  }
  return keys;
}

// The seal's row copied from the folder as it was, and put back later with the index rows of that
// time (a record entered since taken out of the index): the rows match the seal, but the seal is
// behind the generation the audit watermark bound. The start says so once (log and event), every
// vetting check is refused until a restore or a new seal, and a start after it says it again.
TEST_F(DataCheckTest, AnOlderIndexSealPutBackWithItsRowsIsCaughtAtStart) {
  Create(FictionalRecord(3));
  std::string older_seal;
  Edit([&](storage::Database* db) {
    absl::StatusOr<std::optional<std::string>> row =
        db->Get(storage::Cf::kMeta, storage::kIndexSealRow);
    ASSERT_TRUE(row.ok() && row->has_value());
    older_seal = **row;
  });
  const std::string id = Create(ExampleRecord());
  ASSERT_EQ(Vet(ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  Edit([&](storage::Database* db) {
    const std::vector<std::string> rows = IndexRowsOf(db, id);
    ASSERT_FALSE(rows.empty());
    for (const std::string& key : rows) Delete(db, storage::Cf::kIndex, key);
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, storage::kIndexSealRow, older_seal);
    ASSERT_TRUE(db->Write(batch).ok());
  });
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  std::vector<v1::AuditEvent> said = IndexSealEvents(*server_);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].action(), "index-seal-broken");
  EXPECT_EQ(said[0].outcome(), static_cast<int>(grpc::StatusCode::DATA_LOSS));
  EXPECT_THAT(said[0].reference(), HasSubstr("behind the one bound"));
  // Writes since do not carry the put-back seal past the one bound.
  Create(FictionalRecord(5));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  said = IndexSealEvents(*server_);
  ASSERT_EQ(said.size(), 2u);
  EXPECT_EQ(said[1].action(), "index-seal-broken");
}

// A folder at the storage schema that came with the seal was sealed when it was made (silently:
// a first start writes no event of its own) or before its upgrade: its seal deleted with index
// rows is a broken seal, not a folder from before the seal, whether the audit watermark binds the
// seal or not (an older mark).
TEST_F(DataCheckTest, ADeletedIndexSealOnACurrentFolderIsBrokenNotMadeAnew) {
  EXPECT_THAT(IndexSealEvents(*server_), IsEmpty());
  const std::string id = Create(ExampleRecord());
  const auto take_out = [&](storage::Database* db) {
    for (const std::string& key : IndexRowsOf(db, id)) Delete(db, storage::Cf::kIndex, key);
    Delete(db, storage::Cf::kMeta, storage::kIndexSealRow);
  };
  // The watermark binds the seal.
  Edit(take_out);
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  std::vector<v1::AuditEvent> said = IndexSealEvents(*server_);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].action(), "index-seal-broken");
  EXPECT_THAT(said[0].reference(), HasSubstr("seal is missing"));
  // A watermark that binds none: the schema says the folder was sealed.
  ASSERT_NO_FATAL_FAILURE(testing::ForgeWatermark(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  said = IndexSealEvents(*server_);
  ASSERT_EQ(said.size(), 2u);
  EXPECT_EQ(said[1].action(), "index-seal-broken");
  EXPECT_THAT(said[1].reference(), HasSubstr("schema"));
  for (const v1::AuditEvent& event : said) EXPECT_NE(event.action(), "index-seal-made");
}

// An index row deleted by someone who sealed the rows anew (the key file's holder): the start
// finds the seal sound and vetting answers, until the data check names the missing row; from
// then on every vetting check is refused, until a restore or a new seal.
TEST_F(DataCheckTest, TheDataCheckNamingAMissingIndexRowRefusesVetting) {
  const std::string id = Create(ExampleRecord());
  EditBehindTheSeal([&](storage::Database* db) { DeletePersonalNumberRow(db, id); });
  std::string answered;
  ASSERT_TRUE(VetForCheckId(CandidateOf(FictionalRecord(3).person()), &answered).ok());
  EXPECT_THAT(Verify().problems(),
              Contains(absl::StrCat("record ", id, ": index row 'p' missing")));
  EXPECT_EQ(VetCode(ExampleRecord().person()), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(VetCode(FictionalRecord(3).person()), grpc::StatusCode::DATA_LOSS);
}

// A seal ahead of the generation the watermark bound (index writes after the mark's last writing,
// then a crash before the next one) is taken: the start answers vetting checks and says nothing.
TEST_F(DataCheckTest, AnIndexSealAheadOfTheWatermarkStillStartsAndAnswers) {
  Create(FictionalRecord(3));
  server_->Stop();
  const std::string path = server_->config().audit_watermark_file();
  std::string earlier;
  {
    std::ifstream in(path);
    earlier.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(earlier.empty());
  ASSERT_TRUE(server_->Restart().ok());
  Create(ExampleRecord());
  server_->Stop();
  // The mark as it was before the record's write: its log and seal both behind the folder's.
  WriteFileAtomically(path, earlier);
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(Vet(ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_THAT(IndexSealEvents(*server_), IsEmpty());
  EXPECT_EQ(Verify().problem_count(), 0u);
}

}  // namespace
}  // namespace registry::testing
