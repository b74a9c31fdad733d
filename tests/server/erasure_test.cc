// Erasure is final, backups included, through a real registryd:
//  - backup -> expunge -> restore -> the record stays gone for courts and vetting, its bytes are
//    not in the restored files, and the checks it decided keep who and when but not the result;
//  - an erasure whose commit failed after its ledger entry is finished at the next start;
//  - a missing, truncated or foreign erasure ledger stops start-up instead of serving;
//  - a backup put back by hand with a copy of the live "applied" marker still has its erased
//    records erased at start-up, and the data check reports them until then;
//  - backups are pruned by count and by age;
//  - a restore that cannot be used (another installation's backup, a damaged one, none with that
//    number, one that needs a retired KEK, backups inside the data folder) leaves the data folder
//    byte for byte as it was, and a crash between its two renames is undone.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/key_file.h"
#include "server/registry_server.h"
#include "storage/backups.h"
#include "storage/database.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/case_number_spellings.h"
#include "tests/testing/clients.h"
#include "tests/testing/config_problems.h"
#include "tests/testing/data_files.h"
#include "tests/testing/methods.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::AllOf;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A person nobody else in the tests has, so any trace of them in a file is theirs.
v1::CreateRecordRequest DistinctiveRecord() {
  v1::CreateRecordRequest r = ExampleRecord();
  v1::Person* p = r.mutable_person();
  p->set_surname("Xhemajlqerosi");
  p->set_given_name("Vllazniforte");
  p->set_personal_number("4815162342");
  p->set_last_known_address("Rruga Qershizeza 41, Vushtrri");
  r.mutable_conviction()->set_case_number("P 4243/2023");
  return r;
}

// Every file under `dir` (its path from there), with its bytes.
std::map<std::string, std::string> FilesWithBytes(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const std::string& path : testing::FilesUnder(dir)) {
    files[std::filesystem::relative(path, dir).string()] = testing::ReadBinary(path);
  }
  return files;
}

// The names in the folder that holds `data_dir`: where a restore stages, moves aside and keeps
// its record of a swap.
std::vector<std::string> NamesBeside(const std::string& data_dir) {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(data_dir).parent_path())) {
    const std::string name = entry.path().filename().string();
    // The copies of the server's certificate and key in force, which a running registryd keeps
    // and a clean stop removes (server/tls_identity.h): not the restore's.
    if (absl::StartsWith(name, "server-") && absl::EndsWith(name, ".in-force.pem")) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The names NamesBeside gives once a restore has moved the data folder aside to `aside`, when it
// gave `beside` before.
std::vector<std::string> NamesBesideWithAside(std::vector<std::string> beside,
                                              const std::string& aside) {
  beside.push_back(std::filesystem::path(aside).filename().string());
  std::sort(beside.begin(), beside.end());
  return beside;
}

// One unary call of `method` on `stub`, with the tests' deadline.
template <typename Stub, typename Request, typename Response>
grpc::Status Call(Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& req, Response* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  return (stub.*method)(&ctx, req, resp);
}

// An import of `records`, one row each, on lines 1, 2, ...
v1::ImportRecordsRequest ImportOf(const std::vector<v1::CreateRecordRequest>& records) {
  v1::ImportRecordsRequest import;
  for (const v1::CreateRecordRequest& record : records) {
    v1::ImportRow* row = import.add_rows();
    row->set_line(import.rows_size());
    *row->mutable_record() = record;
  }
  return import;
}

// The index family's erased-conviction ('x') rows, by key.
std::vector<std::string> ErasedConvictionRows(storage::Database* db) {
  std::vector<std::string> rows;
  std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kIndex);
  for (it->Seek("x"); it->Valid() && it->key()[0] == 'x'; it->Next()) {
    rows.emplace_back(it->key());
  }
  return rows;
}

// What a restore says of a backup that does not open with this registry's keys.
constexpr char kNotThisRegistrysData[] = "does not open as this registry's data";

// The file names of two snapshots, and which files' bytes differ: a failure names files, not
// megabytes of table files.
void ExpectSameFiles(const std::map<std::string, std::string>& before,
                     const std::map<std::string, std::string>& after) {
  std::vector<std::string> names_before, names_after;
  for (const auto& [name, bytes] : before) names_before.push_back(name);
  for (const auto& [name, bytes] : after) names_after.push_back(name);
  EXPECT_EQ(names_after, names_before) << "the data folder's files changed";
  for (const auto& [name, bytes] : before) {
    const auto it = after.find(name);
    if (it != after.end()) {
      EXPECT_TRUE(it->second == bytes) << name << " changed";
    }
  }
}

// The largest table file (.sst) under `folder`, where a backup's records are; "" if none.
std::string LargestTableFileUnder(const std::string& folder) {
  std::string largest;
  uintmax_t largest_size = 0;
  for (const std::string& path : testing::FilesUnder(folder)) {
    if (!absl::EndsWith(path, ".sst")) continue;
    const uintmax_t size = std::filesystem::file_size(path);
    if (size > largest_size) {
      largest = path;
      largest_size = size;
    }
  }
  return largest;
}

class ErasureTest : public ::testing::Test {
 protected:
  void Start(TestServerOptions options = {}) { server_ = TestServer::Start(std::move(options)); }

  // Starts with `options`, writing through fault_, which a test switches on to fail a write.
  void StartWithFault(TestServerOptions options = {}) {
    options.fault_injector = &fault_;
    Start(std::move(options));
  }

  std::string Create(const v1::CreateRecordRequest& req) {
    return testing::CreatedRecordId(*server_, "clerk", req);
  }

  grpc::Status Expunge(const std::string& id) {
    return testing::ExpungeRecordAs(*server_, "clerk", id);
  }

  // An erasure of `id` whose commit fails (fault_): the clerk is told it failed.
  void ExpectExpungeFailsToCommit(const std::string& id) {
    fault_.set_failing(true);
    EXPECT_EQ(Expunge(id).error_code(), grpc::StatusCode::UNAVAILABLE);
    fault_.set_failing(false);
  }

  // Starts the server again on its files (a failed start fails the test: use under
  // ASSERT_NO_FATAL_FAILURE where more follows), then expects the court's read of `id` to give
  // `code`.
  void RestartAndExpectCourtGet(const std::string& id, grpc::StatusCode code,
                                const std::string& why = "") {
    ASSERT_TRUE(server_->Restart().ok());
    EXPECT_EQ(CourtGet(id), code) << why;
  }

  // The court's read: the status code of GetRecord.
  grpc::StatusCode CourtGet(const std::string& id) {
    const v1::Purpose purpose = CourtPurpose();
    return GetRecordAs(*server_, "court", id, nullptr, &purpose).error_code();
  }

  // Imports `import`, whose rows are an expunged conviction under each of `spellings` of its case
  // number: each row is refused as expunged.
  void ExpectEachRowRefusedAsExpunged(const v1::ImportRecordsRequest& import,
                                      const std::vector<std::string>& spellings) {
    v1::ImportRecordsResponse imported;
    const grpc::Status s = ClerkCall(&v1::RecordService::Stub::ImportRecords, import, &imported);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(imported.results_size(), static_cast<int>(spellings.size()));
    for (int i = 0; i < imported.results_size(); ++i) {
      EXPECT_EQ(imported.results(i).outcome(), v1::ImportRowResult::OUTCOME_INVALID)
          << spellings[i];
      EXPECT_THAT(imported.results(i).error(), HasSubstr("expunged")) << spellings[i];
    }
  }

  // `req`, an expunged conviction, under each of `spellings` of its case number: each create is
  // refused as expunged, `also` (when given) is tried with each, and then an import of a row of
  // each is refused row by row.
  void ExpectEachSpellingRefusedAsExpunged(
      const v1::CreateRecordRequest& req, const std::vector<std::string>& spellings,
      const std::function<void(const v1::CreateRecordRequest&)>& also = nullptr) {
    v1::ImportRecordsRequest import;
    for (const std::string& spelling : spellings) {
      SCOPED_TRACE(spelling);
      v1::CreateRecordRequest again = req;
      again.mutable_conviction()->set_case_number(spelling);
      const grpc::Status s = testing::CreateRecordAs(*server_, "clerk", again, nullptr);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
      EXPECT_THAT(s.error_message(), HasSubstr("expunged"));
      v1::ImportRow* row = import.add_rows();
      row->set_line(import.rows_size());
      *row->mutable_record() = again;
      if (also) also(again);
    }
    ASSERT_NO_FATAL_FAILURE(ExpectEachRowRefusedAsExpunged(import, spellings));
  }

  // Amends the record `id` into the conviction of `into` (its personal number, court and case
  // number), as a clerk correcting a case number would; the status of AmendRecord.
  grpc::Status AmendInto(const std::string& id, const v1::CreateRecordRequest& into) {
    v1::AmendRecordRequest amend;
    amend.set_record_id(id);
    *amend.mutable_person() = into.person();
    *amend.mutable_conviction() = into.conviction();
    amend.mutable_update_mask()->add_paths("person.personal_number");
    amend.mutable_update_mask()->add_paths("conviction.court_id");
    amend.mutable_update_mask()->add_paths("conviction.case_number");
    amend.set_reason("case number corrected");
    v1::AmendRecordResponse amended;
    return ClerkCall(&v1::RecordService::Stub::AmendRecord, amend, &amended);
  }

  // How many records a court search by personal number finds.
  int CourtSearch(const std::string& personal_number) {
    v1::SearchRecordsRequest req;
    req.set_personal_number(personal_number);
    v1::SearchRecordsResponse resp;
    const grpc::Status s = SearchRecordsAs(*server_, "court", req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.records_size();
  }

  v1::VettingResult Vet(const v1::Person& person) {
    return testing::VetAs(*server_, "vetting", person);
  }

  std::vector<v1::CheckSummary> ChecksAbout(const std::string& personal_number) {
    v1::ListChecksAboutPersonRequest req;
    req.set_personal_number(personal_number);
    req.set_request_reference("DSR 2026/12");
    v1::ListChecksAboutPersonResponse resp;
    const grpc::Status s = Call(*v1::VettingService::NewStub(server_->Channel("clerk")),
                                &v1::VettingService::Stub::ListChecksAboutPerson, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.checks().begin(), resp.checks().end()};
  }

  // A call of the admin service, as the admin.
  template <typename Request, typename Response>
  grpc::Status AdminCall(grpc::Status (v1::AdminService::Stub::*method)(grpc::ClientContext*,
                                                                        const Request&, Response*),
                         const Request& req, Response* resp) {
    return Call(*v1::AdminService::NewStub(server_->Channel("admin")), method, req, resp);
  }

  // A call of the record service, as the clerk.
  template <typename Request, typename Response>
  grpc::Status ClerkCall(grpc::Status (v1::RecordService::Stub::*method)(grpc::ClientContext*,
                                                                         const Request&, Response*),
                         const Request& req, Response* resp) {
    return Call(*v1::RecordService::NewStub(server_->Channel("clerk")), method, req, resp);
  }

  v1::BackupInfo Backup() { return CreatedBackup(*server_); }

  // A backup that holds a record erased since.
  struct BackupOfAnErasedRecord {
    std::string id;  // the record
    v1::BackupInfo backup;
  };

  // Starts, creates a record, backs up, expunges the record and stops.
  void StopWithABackupOfARecordErasedSince(BackupOfAnErasedRecord* made) {
    Start();
    made->id = Create(DistinctiveRecord());
    made->backup = Backup();
    ASSERT_TRUE(Expunge(made->id).ok());
    server_->Stop();
  }

  // A backup of one record for a test to damage; the server stopped.
  struct BackupToDamage {
    std::string id;  // the record
    v1::BackupInfo backup;
    std::string largest;  // the backup's largest table file
  };

  // Starts, creates a record, backs up and stops.
  void StopWithABackupToDamage(BackupToDamage* made) {
    Start();
    made->id = Create(DistinctiveRecord());
    made->backup = Backup();
    server_->Stop();
    made->largest = LargestTableFileUnder(server_->config().backup_dir());
    ASSERT_FALSE(made->largest.empty());
  }

  // Starts, creates the record *kept, backs up, creates the record *later (not in *backup) and
  // stops.
  void StopWithABackupAndARecordMadeAfterIt(std::string* kept, v1::BackupInfo* backup,
                                            std::string* later) {
    Start();
    *kept = Create(DistinctiveRecord());
    *backup = Backup();
    *later = Create(FictionalRecord(2));
    server_->Stop();
  }

  // The swap of a restore of `backup` alone, as a restore killed right after it leaves it: the
  // backup's copy in the data folder with its token, the data folder moved aside to *first_aside.
  void SwapInAsAKilledRestoreWould(const v1::BackupInfo& backup, std::string* first_aside) {
    ASSERT_TRUE(storage::Backups::Restore(server_->config().backup_dir(),
                                          server_->config().data_dir(), backup.backup_id(),
                                          first_aside)
                    .ok());
    ASSERT_FALSE(first_aside->empty());
  }

  // A restore killed after its swap, of a backup made between two records (kept, in it; later,
  // not in it).
  struct UnfinishedRestore {
    std::string kept;
    std::string later;
    v1::BackupInfo backup;
    std::string data_dir;
    std::string first_aside;  // the data folder, as the swap moved it aside
  };
  void LeaveARestoreUnfinished(UnfinishedRestore* left) {
    ASSERT_NO_FATAL_FAILURE(
        StopWithABackupAndARecordMadeAfterIt(&left->kept, &left->backup, &left->later));
    left->data_dir = server_->config().data_dir();
    ASSERT_NO_FATAL_FAILURE(SwapInAsAKilledRestoreWould(left->backup, &left->first_aside));
  }

  // RestoreBackup of `backup`, expected to succeed and to move the data folder aside: to *aside.
  void RestoreMovingTheDataFolderAside(const v1::BackupInfo& backup, std::string* aside) {
    int applied = -1;
    const absl::Status restored =
        server::RestoreBackup(server_->config(), backup.backup_id(), &applied, nullptr, aside);
    ASSERT_TRUE(restored.ok()) << restored;
    ASSERT_FALSE(aside->empty());
  }

  // The security officer's key rotation of a registry at KEK version `version` - 1.
  void RotateToKekVersion(uint32_t version) {
    v1::RotateKeysResponse rotated;
    const grpc::Status s =
        AdminCall(&v1::AdminService::Stub::RotateKeys, v1::RotateKeysRequest(), &rotated);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(rotated.current_kek_version(), version);
  }

  // The KEKs in the key file of `config`; -1, a failure, when it cannot be read.
  int KeksInTheKeyFile(const v1::ServerConfig& config) {
    absl::StatusOr<v1::KeyFile> keys = server::ReadKeyFile(config.key_file());
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? keys->keks_size() : -1;
  }

  // Backups are dated in whole seconds, and one of the same second as a rotation keeps the
  // version it left: what comes next goes into the next second.
  static void SleepIntoTheNextSecond() {
    const absl::Duration into_second = absl::Now() - absl::UnixEpoch();
    absl::SleepFor(absl::Ceil(into_second, absl::Seconds(1)) - into_second +
                   absl::Milliseconds(50));
  }

  // A record erased after a backup, with the erasure ledger then put back as it was before the
  // erasure (the key folder restored from an older custody copy); the server stopped.
  struct OlderLedger {
    std::string kept;  // a record never erased
    std::string erased;
    v1::BackupInfo before_erasure;
    v1::BackupInfo after_erasure;  // only when asked for
    std::string ledger;            // the ledger file
    std::string older;             // what it holds now
    std::string current;           // what it held when the server stopped
  };

  // OlderLedger, with a backup after the erasure too when `backup_after_erasure`.
  void StopWithAnOlderLedger(bool backup_after_erasure, OlderLedger* made) {
    Start();
    made->kept = Create(FictionalRecord(3));
    made->erased = Create(DistinctiveRecord());
    made->before_erasure = Backup();
    made->ledger = server_->config().erasure_ledger_file();
    made->older = testing::ReadBinary(made->ledger);
    ASSERT_TRUE(Expunge(made->erased).ok());
    if (backup_after_erasure) made->after_erasure = Backup();
    server_->Stop();
    made->current = testing::ReadBinary(made->ledger);
    std::ofstream(made->ledger, std::ios::binary | std::ios::trunc) << made->older;
  }

  // With the current ledger put back, the restore of the backup before the erasure (with
  // `config`) is made and re-applies the erasure: the erased record stays erased, the kept one
  // is served.
  void ExpectRestoreWithTheCurrentLedger(const v1::ServerConfig& config, const OlderLedger& made) {
    std::ofstream(made.ledger, std::ios::binary | std::ios::trunc) << made.current;
    int applied = -1;
    ASSERT_TRUE(server::RestoreBackup(config, made.before_erasure.backup_id(), &applied).ok());
    EXPECT_EQ(applied, 1);
    ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(made.erased, grpc::StatusCode::NOT_FOUND));
    EXPECT_EQ(CourtGet(made.kept), grpc::StatusCode::OK);
    // Its event counts in words that agree with the count ("1 later erasures" before).
    bool recorded = false;
    for (const v1::AuditEvent& e : Events()) {
      if (e.actor() != "system:restore") continue;
      recorded = true;
      EXPECT_THAT(e.reference(), HasSubstr("; 1 later erasure re-applied"));
      EXPECT_THAT(e.reference(), Not(HasSubstr(" 1 events")));
    }
    EXPECT_TRUE(recorded) << "no event records the restore";
  }

  // Starts with `options`, creates FictionalRecord(`record`) and takes two backups; the second
  // prunes none.
  std::pair<v1::BackupInfo, v1::BackupInfo> StartAndBackUpTwice(TestServerOptions options,
                                                                int record) {
    Start(std::move(options));
    Create(FictionalRecord(record));
    const v1::BackupInfo first = Backup();
    const v1::BackupInfo second = Backup();
    EXPECT_THAT(second.pruned_backup_ids(), IsEmpty()) << "the second of two backups pruned one";
    return {first, second};
  }

  std::vector<uint32_t> BackupIds() {
    v1::ListBackupsResponse resp;
    const grpc::Status s =
        AdminCall(&v1::AdminService::Stub::ListBackups, v1::ListBackupsRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<uint32_t> ids;
    for (const auto& b : resp.backups()) ids.push_back(b.backup_id());
    return ids;
  }

  std::vector<v1::AuditEvent> Events() {
    storage::AuditLog* log = server_->server()->audit_log();
    std::vector<v1::AuditEvent> events;
    const absl::Status s = log->Scan(0, log->CurrentHead().size, [&](uint64_t, absl::string_view b) {
      v1::AuditEvent e;
      EXPECT_TRUE(e.ParseFromArray(b.data(), static_cast<int>(b.size())));
      events.push_back(std::move(e));
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return events;
  }

  // The events the erasure ledger wrote at start-up (actor system:erasure-ledger).
  std::vector<v1::AuditEvent> LedgerEvents() {
    std::vector<v1::AuditEvent> ledger;
    for (v1::AuditEvent& e : Events()) {
      if (e.actor() == "system:erasure-ledger") ledger.push_back(std::move(e));
    }
    return ledger;
  }

  // A restart with nothing left to apply writes no event.
  void ExpectARestartWritesNothing() {
    const uint64_t size = server_->server()->audit_log()->CurrentHead().size;
    ASSERT_TRUE(server_->Restart().ok());
    EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, size);
  }

  // Restores backup `id` with the server stopped, then starts it again.
  int RestoreAndRestart(uint32_t id) {
    server_->Stop();
    int applied = -1;
    const absl::Status restored = server::RestoreBackup(server_->config(), id, &applied);
    EXPECT_TRUE(restored.ok()) << restored;
    const absl::Status started = server_->Restart();
    EXPECT_TRUE(started.ok()) << started;
    return applied;
  }

  // With the server stopped: a restore of backup `id` (with `config`: the server's, or one
  // changed by the test) is refused, naming `cause` and saying that the data folder was not
  // changed; the data folder is byte for byte as it was, nothing was left beside it, and the
  // registry starts again on it with `record_id` readable.
  void ExpectRestoreRefusedLeavingTheDataFolder(const v1::ServerConfig& config, uint32_t id,
                                                absl::StatusCode code, const std::string& cause,
                                                const std::string& record_id) {
    const std::string data_dir = server_->config().data_dir();
    const std::map<std::string, std::string> before = FilesWithBytes(data_dir);
    const std::vector<std::string> beside = NamesBeside(data_dir);
    ASSERT_FALSE(before.empty());
    int applied = -1;
    std::string aside = "unset";
    const absl::Status refused = server::RestoreBackup(config, id, &applied, nullptr, &aside);
    EXPECT_EQ(refused.code(), code) << refused;
    EXPECT_THAT(std::string(refused.message()), HasSubstr(cause));
    EXPECT_THAT(std::string(refused.message()),
                HasSubstr(absl::StrCat("the data folder ", data_dir, " was not changed")));
    EXPECT_EQ(aside, "") << "nothing was moved aside";
    ExpectSameFiles(before, FilesWithBytes(data_dir));
    EXPECT_EQ(NamesBeside(data_dir), beside) << "a restore's folder or record was left behind";
    const absl::Status started = server_->Restart();
    ASSERT_TRUE(started.ok()) << started;
    EXPECT_EQ(CourtGet(record_id), grpc::StatusCode::OK);
  }

  // ExpectRestoreRefusedLeavingTheDataFolder with the server's config, for `backup`: the
  // refusal names the backup and then `cause`.
  void ExpectRestoreOfBackupRefused(const v1::BackupInfo& backup, absl::StatusCode code,
                                    const std::string& cause, const std::string& record_id) {
    ExpectRestoreRefusedLeavingTheDataFolder(
        server_->config(), backup.backup_id(), code,
        absl::StrCat("backup ", backup.backup_id(), " ", cause), record_id);
  }

  // Starts with two records: `to_erase`, and FictionalRecord(1) to keep. Their ids.
  struct ErasedAndKept {
    std::string erased;
    std::string kept;
  };
  ErasedAndKept StartWithOneToEraseAndOneToKeep(const v1::CreateRecordRequest& to_erase) {
    Start();
    ErasedAndKept ids;
    ids.erased = Create(to_erase);
    ids.kept = Create(FictionalRecord(1));
    return ids;
  }

  // What someone who can write the data folder, but holds neither the key file nor the ledger,
  // can do: stop the server, keep the live database's erasure marker, put backup `id` back with
  // RocksDB's own restore, and write the kept marker into it. The restored files then claim
  // every erasure in the ledger, including those made after the backup. The server stays
  // stopped.
  void PutBackWithTheLiveMarker(uint32_t id) {
    constexpr char kMarker[] = "erasure/applied";  // storage/erasure_ledger.cc
    std::string marker;
    ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
      absl::StatusOr<std::optional<std::string>> raw = db->Get(storage::Cf::kMeta, kMarker);
      ASSERT_TRUE(raw.ok() && raw->has_value());
      marker = **raw;
    }));
    const absl::Status restored = storage::Backups::Restore(server_->config().backup_dir(),
                                                            server_->config().data_dir(), id);
    ASSERT_TRUE(restored.ok()) << restored;
    // Put back by hand: no restore's token in it (a start would refuse it as unfinished).
    ASSERT_TRUE(storage::Backups::FinishRestore(server_->config().data_dir()).ok());
    ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
      storage::Batch batch;
      batch.Put(storage::Cf::kMeta, kMarker, marker);
      ASSERT_TRUE(db->Write(batch).ok());
    }));
  }

  // For tests that move time; declared before server_ so that it outlives the server, which
  // reads it until it has shut down.
  FakeClock clock_{absl::Now()};
  // Likewise for the write fault of StartWithFault: not failing until a test says so.
  SwitchableFault fault_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(ErasureTest, BackupThenExpungeThenRestoreLeavesTheRecordErasedForCourtsAndVetting) {
  const v1::CreateRecordRequest erased_req = DistinctiveRecord();
  const v1::Person& person = erased_req.person();
  const auto [erased, kept] = StartWithOneToEraseAndOneToKeep(erased_req);
  ASSERT_EQ(Vet(person), v1::VETTING_RESULT_NOT_CLEAR);
  const v1::BackupInfo backup = Backup();

  ASSERT_TRUE(Expunge(erased).ok());
  EXPECT_EQ(CourtGet(erased), grpc::StatusCode::NOT_FOUND);
  // The check it decided keeps who asked and when, not what the record caused.
  std::vector<v1::CheckSummary> checks = ChecksAbout(person.personal_number());
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].organisation(), "dev-school");
  EXPECT_FALSE(checks[0].checked_at().empty());
  EXPECT_EQ(checks[0].result(), v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(checks[0].result_withheld());

  EXPECT_EQ(RestoreAndRestart(backup.backup_id()), 1);

  // The restored database had the record; the ledger erased it again before serving.
  EXPECT_EQ(CourtGet(erased), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CourtSearch(person.personal_number()), 0);
  EXPECT_EQ(Vet(person), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(CourtGet(kept), grpc::StatusCode::OK);
  checks = ChecksAbout(person.personal_number());
  ASSERT_EQ(checks.size(), 2u);  // the old check and the new one
  for (const v1::CheckSummary& c : checks) {
    EXPECT_NE(c.result(), v1::VETTING_RESULT_NOT_CLEAR);
  }
  // Nothing of the person is left in the restored files.
  for (const std::string& needle :
       {person.surname(), person.given_name(), person.last_known_address()}) {
    EXPECT_THAT(FilesContaining(server_->config().data_dir(), needle), IsEmpty()) << needle;
  }
  // The re-applied erasure is itself on the record, as a system change.
  const std::vector<v1::AuditEvent> ledger = LedgerEvents();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].action(), kExpungeRecordMethod);
  EXPECT_THAT(ledger[0].record_ids(), ElementsAre(erased));
  EXPECT_THAT(ledger[0].tokens(), IsEmpty());

  // Applied once: a plain restart applies nothing more.
  ExpectARestartWritesNothing();
}

// The data folder does not date the erasures: RocksDB's own log keeps no line of the flush and
// compaction each erasure makes (with its family, time and number of deletions).
TEST_F(ErasureTest, TheDataFoldersOwnLogDoesNotDateTheErasures) {
  Start();
  ASSERT_TRUE(Expunge(Create(DistinctiveRecord())).ok());
  ASSERT_TRUE(Expunge(Create(FictionalRecord(2))).ok());
  const std::string data_dir = server_->config().data_dir();
  std::vector<std::string> logs;
  for (const std::string& file : testing::FilesUnder(data_dir)) {
    if (absl::StrContains(file.substr(file.rfind('/') + 1), "LOG")) logs.push_back(file);
  }
  ASSERT_FALSE(logs.empty()) << "RocksDB keeps a LOG in " << data_dir;
  // (The options it opened with, written at its start, name flushes and compactions too.)
  for (const char* telling : {"EVENT_LOG_v1", "Manual flush", "Manual compaction", "num_deletes",
                              "Flushing memtable"}) {
    EXPECT_THAT(FilesContaining(data_dir, telling, /*ignore_case=*/true),
                Each(Not(HasSubstr("/LOG"))))
        << telling;
  }
}

// An expunged record never comes back: not by entering its conviction again, not by re-running
// the import that brought it, not by amending another record into it. Each is refused with the
// reason, and writes nothing but its audit event.
// The database's marker is in the folder it vouches for: a backup from before an erasure put back
// with a copy of the live marker claims the erasure, but the record is there. Start-up looks
// every ledger entry's record up and erases it again, on the record, before serving.
TEST_F(ErasureTest, ABackupPutBackWithTheLiveMarkerIsErasedAgainAtStartUp) {
  const v1::CreateRecordRequest erased_req = DistinctiveRecord();
  const v1::Person& person = erased_req.person();
  const auto [erased, kept] = StartWithOneToEraseAndOneToKeep(erased_req);
  const v1::BackupInfo backup = Backup();
  ASSERT_TRUE(Expunge(erased).ok());
  ASSERT_NO_FATAL_FAILURE(PutBackWithTheLiveMarker(backup.backup_id()));

  // The audit watermark refuses the put-back copy at start. Someone who can also rewrite it (it
  // is beside the key file) meets the erasure ledger next.
  ASSERT_NO_FATAL_FAILURE(testing::ExpectRefusedByTheWatermarkThenForgeIt(*server_));
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(erased, grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(CourtSearch(person.personal_number()), 0);
  EXPECT_EQ(Vet(person), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(CourtGet(kept), grpc::StatusCode::OK);
  // The erasure made again is on the record, as a system change naming the ledger entry.
  const std::vector<v1::AuditEvent> ledger = LedgerEvents();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].action(), kExpungeRecordMethod);
  EXPECT_THAT(ledger[0].record_ids(), ElementsAre(erased));
  EXPECT_EQ(ledger[0].reference(), "erasure ledger entry 0: erased before, stored again");
  // Nothing is left for the data check, and a plain restart erases nothing more.
  v1::VerifyDataResponse verified;
  ASSERT_TRUE(
      AdminCall(&v1::AdminService::Stub::VerifyData, v1::VerifyDataRequest(), &verified).ok());
  EXPECT_EQ(verified.problem_count(), 0u)
      << (verified.problems().empty() ? "" : verified.problems(0));
  ExpectARestartWritesNothing();
}

// The same put-back seen by the data check (`registryd --verify_data`, which changes nothing):
// the marker claims the erasure, the audit log restored with it never saw it, and no
// erased-conviction row was written yet; the ledger entry names it, and the audit watermark says
// the log is behind.
TEST_F(ErasureTest, TheDataCheckReportsALedgerEntryWhoseRecordIsStored) {
  const std::string erased = StartWithOneToEraseAndOneToKeep(DistinctiveRecord()).erased;
  const v1::BackupInfo backup = Backup();
  ASSERT_TRUE(Expunge(erased).ok());
  ASSERT_NO_FATAL_FAILURE(PutBackWithTheLiveMarker(backup.backup_id()));

  absl::StatusOr<storage::DataCheckReport> report = server::VerifyDataOffline(server_->config());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->problem_count, 2u);
  EXPECT_THAT(report->problems,
              ElementsAre(absl::StrCat("erasure ledger entry 0 (record ", erased,
                                       "): erased, but the record is stored again"),
                          AllOf(HasSubstr("audit watermark"), HasSubstr("fewer than"))));
}

// The row that bars an expunged conviction is named in the erasure ledger (outside the data
// folder): deleted from the data folder, it is reported by the data check and put back, audited,
// at the next start, so the conviction is still refused and the person stays clear.
TEST_F(ErasureTest, ADeletedErasedConvictionRowIsReportedAndPutBackAtStartUp) {
  Start();
  const v1::CreateRecordRequest req = DistinctiveRecord();
  const std::string erased = Create(req);
  ASSERT_TRUE(Expunge(erased).ok());
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    // Under its uniqueness token, and under its case number cut after its year (the year's two
    // spellings): any one missing is reported.
    const std::vector<std::string> rows = ErasedConvictionRows(db);
    ASSERT_EQ(rows.size(), 3u);
    testing::DeleteStored(db, storage::Cf::kIndex, rows[0]);
  }));
  // By someone holding the key file: without it, the index seal also refuses every vetting
  // check (docs/security.md row 115).
  ASSERT_NO_FATAL_FAILURE(testing::ForgeIndexSeal(*server_));
  absl::StatusOr<storage::DataCheckReport> report = server::VerifyDataOffline(server_->config());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->problems,
              ElementsAre(absl::StrCat("erasure ledger entry 0 (record ", erased,
                                       "): the erased-conviction row is missing, so the "
                                       "conviction could be entered again")));

  ASSERT_TRUE(server_->Restart().ok());
  const std::vector<v1::AuditEvent> ledger = LedgerEvents();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].reference(), "erasure ledger entry 0: erased-conviction row put back");
  EXPECT_THAT(ledger[0].record_ids(), ElementsAre(erased));
  const grpc::Status s = testing::CreateRecordAs(*server_, "clerk", req, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(Vet(req.person()), v1::VETTING_RESULT_CLEAR);
  ASSERT_NO_FATAL_FAILURE(ExpectARestartWritesNothing());
  server_->Stop();
  report = server::VerifyDataOffline(server_->config());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->problem_count, 0u) << absl::StrJoin(report->problems, "; ");
}

TEST_F(ErasureTest, AnExpungedConvictionIsNotEnteredAgain) {
  Start();
  const v1::CreateRecordRequest req = DistinctiveRecord();
  ASSERT_TRUE(Expunge(Create(req)).ok());
  const uint64_t events = server_->server()->audit_log()->CurrentHead().size;

  grpc::Status s = testing::CreateRecordAs(*server_, "clerk", req, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("expunged"));
  EXPECT_FALSE(absl::StrContains(s.error_message(), req.person().personal_number()));

  // The same conviction with other spellings of the person is the same conviction.
  v1::CreateRecordRequest respelled = req;
  respelled.mutable_person()->set_surname("XHEMAJLQEROSI");
  respelled.mutable_conviction()->set_case_number("p  4243/2023");
  s = testing::CreateRecordAs(*server_, "clerk", respelled, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  v1::ImportRecordsRequest import = ImportOf({req, FictionalRecord(3)});
  import.set_dry_run(true);
  v1::ImportRecordsResponse imported;
  ASSERT_TRUE(ClerkCall(&v1::RecordService::Stub::ImportRecords, import, &imported).ok());
  ASSERT_EQ(imported.results_size(), 2);
  EXPECT_EQ(imported.results(0).outcome(), v1::ImportRowResult::OUTCOME_INVALID);
  EXPECT_THAT(imported.results(0).error(), HasSubstr("expunged"));
  EXPECT_EQ(imported.results(1).outcome(), v1::ImportRowResult::OUTCOME_VALID);
  import.set_dry_run(false);
  ASSERT_TRUE(ClerkCall(&v1::RecordService::Stub::ImportRecords, import, &imported).ok());
  ASSERT_EQ(imported.results_size(), 2);
  EXPECT_EQ(imported.results(0).outcome(), v1::ImportRowResult::OUTCOME_INVALID);
  EXPECT_EQ(imported.results(1).outcome(), v1::ImportRowResult::OUTCOME_CREATED);
  const std::string other = imported.results(1).record_id();

  // Amending the other record into the erased conviction (its person and case number).
  s = AmendInto(other, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  EXPECT_EQ(CourtSearch(req.person().personal_number()), 0);
  EXPECT_EQ(Vet(req.person()), v1::VETTING_RESULT_CLEAR);
  // Two creates, two imports (one created a record), the amendment, the search, the check.
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, events + 7);
}

// A conviction whose court, case number or personal number was amended before its erasure stays
// refused under every identity it had: an old export or a re-run import of the first version
// does not bring it back, and the erased-conviction rows of all of them are in the ledger, so
// rows deleted from the data folder are reported and put back at the next start.
TEST_F(ErasureTest, AConvictionAmendedBeforeItsErasureIsNotEnteredAgainUnderAnEarlierIdentity) {
  Start();
  const v1::CreateRecordRequest first = DistinctiveRecord();
  const std::string id = Create(first);
  const auto amend = [&](const v1::CreateRecordRequest& to, const std::string& path) {
    v1::AmendRecordRequest amend;
    amend.set_record_id(id);
    *amend.mutable_person() = to.person();
    *amend.mutable_conviction() = to.conviction();
    amend.mutable_update_mask()->add_paths(path);
    amend.set_reason("typing error corrected");
    v1::AmendRecordResponse amended;
    const grpc::Status s = ClerkCall(&v1::RecordService::Stub::AmendRecord, amend, &amended);
    ASSERT_TRUE(s.ok()) << path << ": " << s.error_message();
  };
  v1::CreateRecordRequest second = first;
  second.mutable_conviction()->set_case_number("P 4253/2023");
  ASSERT_NO_FATAL_FAILURE(amend(second, "conviction.case_number"));
  v1::CreateRecordRequest third = second;
  third.mutable_person()->set_personal_number("4815162343");
  ASSERT_NO_FATAL_FAILURE(amend(third, "person.personal_number"));
  ASSERT_TRUE(Expunge(id).ok());

  const auto expect_refused = [&](const char* when) {
    for (const v1::CreateRecordRequest* again :
         std::vector<const v1::CreateRecordRequest*>{&first, &second, &third}) {
      const grpc::Status s = testing::CreateRecordAs(*server_, "clerk", *again, nullptr);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << when << ", " << again->conviction().case_number() << " of "
          << again->person().personal_number() << ": " << s.error_message();
      EXPECT_THAT(s.error_message(), HasSubstr("expunged")) << when;
    }
    v1::ImportRecordsResponse imported;
    const grpc::Status s =
        ClerkCall(&v1::RecordService::Stub::ImportRecords, ImportOf({first}), &imported);
    ASSERT_TRUE(s.ok()) << when << ": " << s.error_message();
    ASSERT_EQ(imported.results_size(), 1) << when;
    EXPECT_EQ(imported.results(0).outcome(), v1::ImportRowResult::OUTCOME_INVALID) << when;
    EXPECT_EQ(CourtSearch(first.person().personal_number()), 0) << when;
    EXPECT_EQ(Vet(first.person()), v1::VETTING_RESULT_CLEAR) << when;
  };
  ASSERT_NO_FATAL_FAILURE(expect_refused("after the erasure"));

  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    const std::vector<std::string> rows = ErasedConvictionRows(db);
    ASSERT_EQ(rows.size(), 9u) << "one row for each identity the conviction had, and two for "
                                  "each one's case number cut after its year";
    for (const std::string& row : rows) testing::DeleteStored(db, storage::Cf::kIndex, row);
  }));
  ASSERT_NO_FATAL_FAILURE(testing::ForgeIndexSeal(*server_));  // as above
  absl::StatusOr<storage::DataCheckReport> report = server::VerifyDataOffline(server_->config());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->problem_count, 1u) << absl::StrJoin(report->problems, "; ");
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_NO_FATAL_FAILURE(expect_refused("after the rows were put back"));
}

// The expunged conviction stays refused in every spelling of its case number a clerk or an old
// import file may give it: the uniqueness token is keyed on the canonical case number
// (storage::CanonicalCaseNumber), so none of these is entered as a new record, by a create or an
// import, each refused as the exact re-entry is.
TEST_F(ErasureTest, AnExpungedConvictionIsNotEnteredAgainUnderAnotherSpellingOfItsCaseNumber) {
  Start();
  v1::CreateRecordRequest req = DistinctiveRecord();
  req.mutable_conviction()->set_court_id("basic-prizren");
  req.mutable_conviction()->set_case_number("P 5/2020");
  ASSERT_TRUE(Expunge(Create(req)).ok());
  const uint64_t events = server_->server()->audit_log()->CurrentHead().size;

  const std::vector<std::string> spellings = {
      "P 5/2020", "P5/2020", "P-5/2020", "P 05/2020", "P 5/2020.", "P 5 / 2020", "P.5/2020",
      "\xd0\xa0 5/2020"};  // with a Cyrillic capital Er (U+0420)
  ASSERT_NO_FATAL_FAILURE(ExpectEachSpellingRefusedAsExpunged(req, spellings));
  EXPECT_EQ(CourtSearch(req.person().personal_number()), 0);
  // The creates, the import and the search.
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size,
            events + spellings.size() + 2);
}

// An insider who saved the person's check rows before the erasure writes them back: they are the
// registry's own and authenticate, but the result they show was decided by a record that is gone.
TEST_F(ErasureTest, ACheckWrittenBackAfterTheErasureStillWithholdsItsResult) {
  Start();
  const v1::CreateRecordRequest req = DistinctiveRecord();
  const std::string id = Create(req);
  ASSERT_EQ(Vet(req.person()), v1::VETTING_RESULT_NOT_CLEAR);
  std::vector<std::pair<std::string, std::string>> saved;
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kChecks);
    for (it->SeekToFirst(); it->Valid(); it->Next()) saved.emplace_back(it->key(), it->value());
    ASSERT_TRUE(it->status().ok());
  }));
  ASSERT_EQ(saved.size(), 1u);
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(Expunge(id).ok());
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    storage::Batch batch;
    for (const auto& [key, value] : saved) batch.Put(storage::Cf::kChecks, key, value);
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  ASSERT_TRUE(server_->Restart().ok());

  const std::vector<v1::CheckSummary> checks = ChecksAbout(req.person().personal_number());
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result(), v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(checks[0].result_withheld());
}

// A restore while registryd runs on the data folder is refused and changes nothing (the running
// server would go on writing into files the restore replaced); with the server stopped, what the
// folder held is moved aside, not deleted, since a restore follows damage and the damaged files
// are evidence.
TEST_F(ErasureTest, ARestoreIsRefusedWhileTheServerRunsAndKeepsWhatItReplaces) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  const v1::BackupInfo backup = Backup();
  const std::string data_dir = server_->config().data_dir();
  const std::vector<std::string> files = testing::FilesUnder(data_dir);
  const std::vector<std::string> beside = NamesBeside(data_dir);
  int applied = -1;
  std::string aside;
  const absl::Status refused =
      server::RestoreBackup(server_->config(), backup.backup_id(), &applied, nullptr, &aside);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("stop registryd"));
  EXPECT_TRUE(aside.empty());
  EXPECT_EQ(testing::FilesUnder(data_dir), files) << "the folder was changed";
  EXPECT_EQ(CourtGet(id), grpc::StatusCode::OK);

  server_->Stop();
  const absl::Status restored =
      server::RestoreBackup(server_->config(), backup.backup_id(), &applied, nullptr, &aside);
  ASSERT_TRUE(restored.ok()) << restored;
  ASSERT_FALSE(aside.empty());
  EXPECT_TRUE(absl::StartsWith(aside, data_dir + ".before-restore-")) << aside;
  EXPECT_TRUE(std::filesystem::exists(aside + "/CURRENT")) << "the replaced folder was not kept";
  // Beside the data folder, only the folder moved aside: no staging copy, no record of the swap.
  EXPECT_EQ(NamesBeside(data_dir), NamesBesideWithAside(beside, aside));
  EXPECT_EQ((std::filesystem::status(data_dir).permissions() & std::filesystem::perms::all),
            std::filesystem::perms::owner_all);
  // Again at once, with the names of this second and the next already taken (a retry after a
  // restore that failed half-way): another name, not "Directory not empty".
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::vector<std::string> taken;
  for (int64_t s : {now, now + 1}) {
    taken.push_back(absl::StrCat(data_dir, ".before-restore-", s));
    std::filesystem::create_directories(taken.back() + "/leftover");
  }
  std::string again;
  const absl::Status twice =
      server::RestoreBackup(server_->config(), backup.backup_id(), &applied, nullptr, &again);
  ASSERT_TRUE(twice.ok()) << twice;
  EXPECT_TRUE(std::filesystem::exists(again + "/CURRENT")) << again;
  for (const std::string& dir : taken) {
    EXPECT_NE(again, dir);
    EXPECT_TRUE(std::filesystem::exists(dir + "/leftover")) << dir;
    std::filesystem::remove_all(dir);
  }
  std::filesystem::remove_all(again);
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(id, grpc::StatusCode::OK));
  std::filesystem::remove_all(aside);
  // The restore is in the log it left: from which backup, at which size, what it gave up.
  bool recorded = false;
  const uint64_t size = server_->server()->audit_log()->CurrentHead().size;
  for (uint64_t i = 0; i < size; ++i) {
    const v1::AuditEvent event = testing::StoredEvent(*server_, i);
    if (event.actor() != "system:restore") continue;
    recorded = true;
    EXPECT_EQ(event.action(), "restore-backup");
    EXPECT_THAT(event.reference(),
                HasSubstr(absl::StrCat("backup ", backup.backup_id(), " restored at log size ")));
    // One event after the backup: "1 event", not "1 events".
    EXPECT_THAT(event.reference(), HasSubstr("; 1 event written after it given up; 0 later "
                                             "erasures re-applied"));
  }
  EXPECT_TRUE(recorded) << "no event records the restore";
}

// The data folder deleted under a running registryd (rm -rf, a mistaken clean-up) took
// RocksDB's LOCK file with it, and the restore that then looked only for that lock went ahead:
// it moved the watermark back, and the running server went on writing into the restored copy
// and damaged it at its stop. The lock registryd holds beside the folder for as long as it has
// the database open still says that it runs: the restore is refused and changes nothing.
TEST_F(ErasureTest, ARestoreIsRefusedWhileTheServerRunsEvenWhenItsDataFolderWasDeleted) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  const v1::BackupInfo backup = Backup();
  const v1::ServerConfig config = server_->config();
  const std::string data_dir = config.data_dir();
  std::filesystem::remove_all(data_dir);
  const std::vector<std::string> beside = NamesBeside(data_dir);
  const std::string watermark = testing::ReadBinary(config.audit_watermark_file());
  int applied = -1;
  std::string aside;
  const absl::Status refused =
      server::RestoreBackup(config, backup.backup_id(), &applied, nullptr, &aside);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("registryd is running"));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("nothing was changed"));
  EXPECT_TRUE(aside.empty());
  EXPECT_FALSE(std::filesystem::exists(data_dir)) << "a refused restore made a data folder";
  EXPECT_EQ(NamesBeside(data_dir), beside) << "a refused restore left something beside";
  EXPECT_EQ(testing::ReadBinary(config.audit_watermark_file()), watermark);
  // The storage layer's restore, and the offline modes that open the database, refuse as well.
  const absl::Status stored = storage::Backups::Restore(config.backup_dir(), data_dir,
                                                        backup.backup_id(), nullptr);
  EXPECT_EQ(stored.code(), absl::StatusCode::kFailedPrecondition) << stored;
  EXPECT_EQ(storage::Database::RefuseWhileOpen(data_dir).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(data_dir));

  // Once it is stopped, the restore puts the data back.
  server_->Stop();
  const absl::Status restored = server::RestoreBackup(config, backup.backup_id(), &applied);
  ASSERT_TRUE(restored.ok()) << restored;
  RestartAndExpectCourtGet(id, grpc::StatusCode::OK);
}

// A backup of another installation (another key file) restores, but does not open with this
// registry's keys: found on the restored copy beside the data folder, which stays as it was.
TEST_F(ErasureTest, ABackupOfAnotherInstallationLeavesTheDataFolderAsItWas) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  Backup();
  std::unique_ptr<TestServer> other = TestServer::Start();
  CreatedRecordId(*other, "clerk", FictionalRecord(7));
  const v1::BackupInfo foreign = CreatedBackup(*other);
  other->Stop();
  server_->Stop();
  // The other installation's backup folder in place of this one's, as a mix-up of disks would
  // put it.
  const std::string backup_dir = server_->config().backup_dir();
  std::filesystem::remove_all(backup_dir);
  std::filesystem::copy(other->config().backup_dir(), backup_dir,
                        std::filesystem::copy_options::recursive);
  // Not "the key file does not belong to this database ... put back this installation's key
  // file", which sent the operator after a key file that was right.
  ExpectRestoreOfBackupRefused(foreign, absl::StatusCode::kFailedPrecondition,
                               "was made by another installation, or with another key file", id);
  server_->Stop();
  int applied = -1;
  const absl::Status refused =
      server::RestoreBackup(server_->config(), foreign.backup_id(), &applied);
  EXPECT_THAT(std::string(refused.message()), Not(HasSubstr("put back this installation's")));
  EXPECT_THAT(std::string(refused.message()), HasSubstr(server_->config().key_file()));
}

// A backup file with one byte changed fails the checksum recorded when the backup was made.
TEST_F(ErasureTest, ADamagedBackupLeavesTheDataFolderAsItWas) {
  BackupToDamage made;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupToDamage(&made));
  const uintmax_t largest_size = std::filesystem::file_size(made.largest);
  {
    std::fstream file(made.largest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(largest_size / 2));
    char byte = 0;
    file.get(byte);
    file.seekp(static_cast<std::streamoff>(largest_size / 2));
    file.put(static_cast<char>(byte ^ 0x10));
    ASSERT_TRUE(file.good());
  }
  ExpectRestoreOfBackupRefused(made.backup, absl::StatusCode::kDataLoss, "is damaged", made.id);
}

// A backup with a truncated table file was refused as "backup 2 cannot be restored: rocksdb:
// Corruption: While restoring  -> : expected checksum is ...": no file, an empty " -> " and no
// word of what to do. It says that the backup is damaged, which file, that the data folder was
// not changed and to restore an older backup.
TEST_F(ErasureTest, ABackupWithATruncatedTableFileIsSaidToBeDamagedNamingTheFile) {
  BackupToDamage made;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupToDamage(&made));
  const uintmax_t largest_size = std::filesystem::file_size(made.largest);
  std::filesystem::resize_file(made.largest, largest_size / 2);
  ExpectRestoreOfBackupRefused(made.backup, absl::StatusCode::kDataLoss, "is damaged", made.id);
  server_->Stop();
  int applied = -1;
  const absl::Status refused =
      server::RestoreBackup(server_->config(), made.backup.backup_id(), &applied);
  const std::string said(refused.message());
  EXPECT_THAT(said, HasSubstr(std::filesystem::path(made.largest).filename().string()));
  EXPECT_THAT(said, HasSubstr("restore an older backup"));
  EXPECT_THAT(said, Not(HasSubstr(" -> ")));
}

// The newest of no backup at all, and a number no backup has.
TEST_F(ErasureTest, ARestoreOfNoBackupLeavesTheDataFolderAsItWas) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  server_->Stop();
  ExpectRestoreRefusedLeavingTheDataFolder(server_->config(), /*newest*/ 0,
                                           absl::StatusCode::kNotFound, "there is no backup in",
                                           id);
  Backup();
  server_->Stop();
  ExpectRestoreRefusedLeavingTheDataFolder(server_->config(), 9999, absl::StatusCode::kNotFound,
                                           "no backup 9999 in", id);
}

// A backup made before a key rotation needs the KEK its data keys were wrapped under; once that
// KEK is retired from the key file, the backup no longer opens.
TEST_F(ErasureTest, ABackupNeedingARetiredKekLeavesTheDataFolderAsItWas) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  const v1::BackupInfo backup = Backup();
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(2));
  server_->Stop();
  absl::StatusOr<v1::KeyFile> keys = server::ReadKeyFile(server_->config().key_file());
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_TRUE(server::RemoveKek(&*keys, 1).ok());
  ASSERT_TRUE(server::WriteKeyFile(server_->config().key_file(), *keys, true).ok());
  ExpectRestoreOfBackupRefused(backup, absl::StatusCode::kFailedPrecondition,
                               kNotThisRegistrysData, id);
}

// Retiring the KEK a kept backup needs left that backup impossible to restore or verify, and
// nothing said so until it was needed. The retirement is refused naming the backup, changing
// nothing; once the backup is gone it is made, and written to the audit log.
TEST_F(ErasureTest, RetiringAKekAKeptBackupNeedsIsRefusedNamingTheBackup) {
  Start();
  Create(DistinctiveRecord());
  const v1::BackupInfo backup = Backup();
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(2));
  server_->Stop();
  const v1::ServerConfig config = server_->config();
  const absl::Status refused = server::RetireKek(config, 1, SystemClock::Get());
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr(absl::StrCat("backups ", backup.backup_id(), " in ")));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("nothing was changed"));
  EXPECT_EQ(KeksInTheKeyFile(config), 2);
  // The current version is never retired.
  EXPECT_EQ(server::RetireKek(config, 2, SystemClock::Get()).code(),
            absl::StatusCode::kFailedPrecondition);

  {
    absl::StatusOr<std::unique_ptr<storage::Backups>> backups =
        storage::Backups::Open(config.backup_dir());
    ASSERT_TRUE(backups.ok()) << backups.status();
    ASSERT_TRUE((*backups)->Delete({backup.backup_id()}).ok());
  }
  const absl::Status retired = server::RetireKek(config, 1, SystemClock::Get());
  ASSERT_TRUE(retired.ok()) << retired;
  ASSERT_EQ(KeksInTheKeyFile(config), 1);
  ASSERT_TRUE(server_->Restart().ok());
  int retirements = 0;
  for (uint64_t i = 0; i < AuditLogSize(*server_); ++i) {
    const v1::AuditEvent e = StoredEvent(*server_, i);
    if (e.action() != "retire-kek") continue;
    ++retirements;
    EXPECT_EQ(e.actor(), "system:key-file");
    EXPECT_EQ(e.reference(), "kek-v1 removed from the key file");
  }
  EXPECT_EQ(retirements, 1);
}

// `--retire_kek N` named every kept backup made before every data key had left N, also those made
// before N existed, which never needed it ("were made before every data key had left KEK version
// N"): a backup needs N only when it was made after a rotation made N. A database whose rotation
// recorded no such time (rotated before it was recorded) keeps N for every earlier backup.
TEST_F(ErasureTest, RetiringAKekNamesOnlyTheBackupsMadeWhileADataKeyWasUnderIt) {
  Start();
  Create(DistinctiveRecord());
  const v1::BackupInfo before_v2 = Backup();
  // The rotation, in a second of its own: the first backup's second is not the rotation's.
  SleepIntoTheNextSecond();
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(2));
  const v1::BackupInfo under_v2 = Backup();
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(3));
  server_->Stop();
  const v1::ServerConfig config = server_->config();

  const absl::Status refused = server::RetireKek(config, 2, SystemClock::Get());
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr(absl::StrCat("backups ", under_v2.backup_id(), " in ")));
  // KEK 1, in use from the start, is still needed by the first.
  const absl::Status refused_v1 = server::RetireKek(config, 1, SystemClock::Get());
  EXPECT_THAT(std::string(refused_v1.message()),
              HasSubstr(absl::StrCat("backups ", before_v2.backup_id())));

  // Without the record of when KEK 2 came in (a database rotated before it was kept), both.
  {
    storage::DatabaseOptions options;
    options.path = config.data_dir();
    absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    storage::Batch batch;
    batch.Delete(storage::Cf::kMeta, "rotation/came-in/2");
    ASSERT_TRUE((*db)->Write(batch).ok());
  }
  const absl::Status unknown = server::RetireKek(config, 2, SystemClock::Get());
  EXPECT_THAT(std::string(unknown.message()),
              HasSubstr(absl::StrCat("backups ", before_v2.backup_id(), ", ",
                                     under_v2.backup_id(), " in ")));
  EXPECT_EQ(KeksInTheKeyFile(config), 3);
}

// After a restore of a backup made before later rotations, `--retire_kek N` said that backups
// made before N existed "were made while data keys were wrapped under KEK version N": the
// restored data folder has no record of when N came in. And before the next rotation, retiring
// a version no data key was under said "N data keys are not under the current KEK", as if that
// version were in use. Both are still refused; each says what is known.
TEST_F(ErasureTest, AfterARestoreRetiringAKekSaysWhatIsKnownOfItsBackupsAndDataKeys) {
  Start();
  Create(DistinctiveRecord());
  const v1::BackupInfo under_v1 = Backup();
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(2));
  const v1::BackupInfo under_v2 = Backup();
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(3));
  ASSERT_EQ(RestoreAndRestart(under_v1.backup_id()), 0);
  server_->Stop();
  const v1::ServerConfig config = server_->config();

  // The restored data key is under KEK 1, not 2.
  const absl::Status not_v2 = server::RetireKek(config, 2, SystemClock::Get());
  EXPECT_EQ(not_v2.code(), absl::StatusCode::kFailedPrecondition) << not_v2;
  EXPECT_THAT(std::string(not_v2.message()),
              HasSubstr("no data key is under KEK version 2, but 1 data key is not under the "
                        "current version 3 (under KEK version 1 (1))"));
  const absl::Status v1_in_use = server::RetireKek(config, 1, SystemClock::Get());
  EXPECT_THAT(std::string(v1_in_use.message()),
              HasSubstr("1 data key is still under KEK version 1"));

  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(4));
  server_->Stop();
  const absl::Status refused = server::RetireKek(config, 3, SystemClock::Get());
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  const std::string message(refused.message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat("backups ", under_v1.backup_id(), ", ",
                                              under_v2.backup_id(), " in ")));
  EXPECT_THAT(message, HasSubstr("may need KEK version 3: the data folder has no record of "
                                 "when version 3 came in"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("were made while")));
  EXPECT_EQ(KeksInTheKeyFile(config), 4);
}

// A damaged backup (its record unreadable, or set aside for contradicting another's) is in no
// list of dated backups, so `--retire_kek` retired a version it may need once put right. It
// refuses while one is, naming it; with the record put back the retirement goes ahead.
TEST_F(ErasureTest, RetiringAKekIsRefusedWhileABackupIsDamaged) {
  Start();
  Create(DistinctiveRecord());
  ASSERT_NO_FATAL_FAILURE(RotateToKekVersion(2));
  // The backup, in a second of its own: a backup of the rotation's second keeps version 1.
  SleepIntoTheNextSecond();
  const v1::BackupInfo under_v2 = Backup();
  server_->Stop();
  const v1::ServerConfig config = server_->config();
  const std::string meta = absl::StrCat(config.backup_dir(), "/meta/", under_v2.backup_id());
  const std::string kept = testing::ReadBinary(meta);
  const size_t crc = kept.find(" crc32 ");
  ASSERT_NE(crc, std::string::npos);
  std::ofstream(meta, std::ios::trunc) << kept.substr(0, crc) << " crc32 x\n";

  const absl::Status refused = server::RetireKek(config, 1, SystemClock::Get());
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr(absl::StrCat("backup ", under_v2.backup_id(), " in ",
                                     config.backup_dir(), " is damaged")));
  std::ofstream(meta, std::ios::trunc | std::ios::binary) << kept;
  const absl::Status retired = server::RetireKek(config, 1, SystemClock::Get());
  EXPECT_TRUE(retired.ok()) << retired;
}

// A restore with an older copy of the erasure ledger (the key folder put back from a custody
// copy) brought back every record erased since that copy, and said "re-applied 0 later
// erasures"; a start with that ledger is refused. The restore now holds the ledger to the data
// folder it replaces, and changes nothing.
TEST_F(ErasureTest, ARestoreWithAnOlderErasureLedgerIsRefusedAndBringsNothingBack) {
  OlderLedger made;
  ASSERT_NO_FATAL_FAILURE(StopWithAnOlderLedger(false, &made));
  ASSERT_NE(made.older, made.current);
  const std::string data_dir = server_->config().data_dir();
  const std::map<std::string, std::string> before = FilesWithBytes(data_dir);
  const std::vector<std::string> beside = NamesBeside(data_dir);
  int refused_applied = -1;
  const absl::Status refused =
      server::RestoreBackup(server_->config(), made.before_erasure.backup_id(), &refused_applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("put back the current erasure ledger"));
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr(absl::StrCat("the data folder ", data_dir, " was not changed")));
  ExpectSameFiles(before, FilesWithBytes(data_dir));
  EXPECT_EQ(NamesBeside(data_dir), beside);
  ExpectRestoreWithTheCurrentLedger(server_->config(), made);
}

// The ledger check of a restore loads the key file: a missing one was refused as "...: a restore
// with this ledger would bring back records erased since; put back the current erasure ledger",
// sending the operator after a ledger that was sound. It is said as the key file's own problem.
TEST_F(ErasureTest, ARestoreWithoutTheKeyFileSaysSoAndGivesNoLedgerAdvice) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  const v1::BackupInfo backup = Backup();
  server_->Stop();
  const std::string key_file = server_->config().key_file();
  const std::string kept_aside = key_file + ".kept-aside";
  std::filesystem::rename(key_file, kept_aside);
  const std::string data_dir = server_->config().data_dir();
  const std::map<std::string, std::string> before = FilesWithBytes(data_dir);
  int applied = -1;
  const absl::Status refused =
      server::RestoreBackup(server_->config(), backup.backup_id(), &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kNotFound) << refused;
  const std::string said(refused.message());
  EXPECT_THAT(said, HasSubstr(absl::StrCat("key file ", key_file, ": No such file")));
  EXPECT_THAT(said, HasSubstr("put back this installation's key file"));
  EXPECT_THAT(said, Not(HasSubstr("ledger")));
  EXPECT_THAT(said, HasSubstr(absl::StrCat("the data folder ", data_dir, " was not changed")));
  ExpectSameFiles(before, FilesWithBytes(data_dir));
  std::filesystem::rename(kept_aside, key_file);
  RestartAndExpectCourtGet(id, grpc::StatusCode::OK);
}

// A data_dir that is a symbolic link to another disk (data -> /other/disk/data): the restore
// renamed the link aside and made a real folder in its place, on the parent's disk, moving the
// database there without a word. It restores where the link points: the copy and the folder
// moved aside both beside the target, the link kept, pointing to the restored data.
TEST_F(ErasureTest, ARestoreOverASymlinkedDataFolderRestoresWhereTheLinkPoints) {
  std::string kept;
  std::string later;
  v1::BackupInfo backup;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupAndARecordMadeAfterIt(&kept, &backup, &later));
  const std::string data_dir = server_->config().data_dir();
  const std::string other_disk = testing::MakeTempDir("other-disk");
  const std::string target = other_disk + "/data";
  std::filesystem::rename(data_dir, target);
  std::filesystem::create_directory_symlink(target, data_dir);
  const std::vector<std::string> beside_link = NamesBeside(data_dir);
  std::string aside;
  ASSERT_NO_FATAL_FAILURE(RestoreMovingTheDataFolderAside(backup, &aside));
  ASSERT_TRUE(std::filesystem::is_symlink(data_dir));
  EXPECT_EQ(std::filesystem::read_symlink(data_dir), target);
  EXPECT_EQ(std::filesystem::path(aside).parent_path(), other_disk);
  EXPECT_TRUE(std::filesystem::is_directory(target));
  EXPECT_EQ(NamesBeside(data_dir), beside_link) << "something was made beside the link";
  std::vector<std::string> on_other_disk = NamesBeside(target);
  EXPECT_THAT(on_other_disk,
              ElementsAre("data", std::filesystem::path(aside).filename().string()));
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(kept, grpc::StatusCode::OK));
  EXPECT_EQ(CourtGet(later), grpc::StatusCode::NOT_FOUND);
  server_->Stop();
  std::error_code ignored;
  std::filesystem::remove(data_dir, ignored);
  std::filesystem::remove_all(other_disk, ignored);
}

// The same older ledger over a data folder that is missing, or damaged (a table file gone: why a
// restore is often run), had nothing to be held to, and the restore brought the erased record
// back while a newer backup in the folder had applied its erasure. The newest backup that opens
// stands for the data folder then; a damaged newest one is passed over for the next.
TEST_F(ErasureTest, ARestoreOverAMissingOrDamagedDataFolderHoldsAnOlderLedgerToTheNewerBackups) {
  OlderLedger made;
  ASSERT_NO_FATAL_FAILURE(StopWithAnOlderLedger(true, &made));
  const v1::ServerConfig config = server_->config();
  const std::string data_dir = config.data_dir();
  // With the audit watermark in place, the older ledger is refused before anything else
  // (RestoreLedgerTest); removed with it, the newer backups are what is left to hold it to.
  std::filesystem::remove(config.audit_watermark_file());

  // Damaged: a table file gone.
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().extension() == ".sst") {
      std::filesystem::remove(entry.path());
      break;
    }
  }
  const std::string refusal =
      absl::StrCat("backup ", made.after_erasure.backup_id(), ", newer than the one restored: ");
  int applied = -1;
  absl::Status refused = server::RestoreBackup(config, made.before_erasure.backup_id(), &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr(refusal));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("put back the current erasure ledger"));
  // Missing.
  std::filesystem::remove_all(data_dir);
  refused = server::RestoreBackup(config, made.before_erasure.backup_id(), &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr(refusal));
  EXPECT_FALSE(std::filesystem::exists(data_dir)) << "a refused restore made a data folder";

  ExpectRestoreWithTheCurrentLedger(config, made);
}

// A restore moves the data folder aside whole: backups kept inside it would leave with it.
TEST_F(ErasureTest, BackupsInsideTheDataFolderAreNotRestoredFrom) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  server_->Stop();
  v1::ServerConfig config = server_->config();
  config.set_backup_dir(config.data_dir() + "/backups");
  {
    std::unique_ptr<storage::Database> db = testing::OpenStoppedDatabase(*server_);
    ASSERT_NE(db, nullptr);
    absl::StatusOr<std::unique_ptr<storage::Backups>> backups =
        storage::Backups::Open(config.backup_dir());
    ASSERT_TRUE(backups.ok()) << backups.status();
    ASSERT_TRUE((*backups)->Create(db.get()).ok());
  }
  ExpectRestoreRefusedLeavingTheDataFolder(config, /*newest*/ 0,
                                           absl::StatusCode::kFailedPrecondition,
                                           "is inside the data folder", id);
}

// A crash after the data folder was moved aside and before the restored copy took its place
// leaves no data folder; the next restore (and, in registryd, the next start of any mode) puts
// the old one back as it was before it does anything else.
TEST_F(ErasureTest, ACrashBetweenARestoresTwoRenamesIsUndone) {
  std::string kept;
  std::string later;
  v1::BackupInfo backup;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupAndARecordMadeAfterIt(&kept, &backup, &later));
  const std::string data_dir = server_->config().data_dir();
  std::map<std::string, std::string> before = FilesWithBytes(data_dir);
  const std::vector<std::string> beside = NamesBeside(data_dir);
  const auto crash_between_the_renames = [&] {
    absl::StatusOr<std::unique_ptr<storage::Backups::Staged>> staged = storage::Backups::Stage(
        server_->config().backup_dir(), data_dir, backup.backup_id());
    ASSERT_TRUE(staged.ok()) << staged.status();
    std::string aside;
    const absl::Status stopped = (*staged)->SwapIn(&aside, [] { return false; });
    EXPECT_EQ(stopped.code(), absl::StatusCode::kAborted) << stopped;
    ASSERT_FALSE(std::filesystem::exists(data_dir)) << "no crash between the renames";
  };

  ASSERT_NO_FATAL_FAILURE(crash_between_the_renames());
  const absl::StatusOr<std::string> undone =
      storage::Backups::RecoverInterruptedRestore(data_dir);
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_THAT(*undone, HasSubstr(absl::StrCat("put ", data_dir, " back as it was")));
  ExpectSameFiles(before, FilesWithBytes(data_dir));
  EXPECT_EQ(NamesBeside(data_dir), beside);
  const absl::StatusOr<std::string> again = storage::Backups::RecoverInterruptedRestore(data_dir);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, "");
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(later, grpc::StatusCode::OK));
  server_->Stop();

  // The next restore first puts the folder back, then restores: what it moves aside is the old
  // folder, whole.
  before = FilesWithBytes(data_dir);
  ASSERT_NO_FATAL_FAILURE(crash_between_the_renames());
  std::string aside;
  ASSERT_NO_FATAL_FAILURE(RestoreMovingTheDataFolderAside(backup, &aside));
  ExpectSameFiles(before, FilesWithBytes(aside));
  EXPECT_EQ(NamesBeside(data_dir), NamesBesideWithAside(beside, aside));
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(kept, grpc::StatusCode::OK));
  EXPECT_EQ(CourtGet(later), grpc::StatusCode::NOT_FOUND);
}

// A record of a swap planted beside the data folder (by someone who may write there, but not in
// the data folder itself) neither deletes the data folder nor puts another folder, or a link to
// one, in its place: only a folder holding the token the record names is the restore's copy.
TEST_F(ErasureTest, APlantedRecordOfASwapChangesNothing) {
  Start();
  const std::string id = Create(DistinctiveRecord());
  server_->Stop();
  const std::string data_dir = server_->config().data_dir();
  const std::map<std::string, std::string> before = FilesWithBytes(data_dir);
  const std::string name = std::filesystem::path(data_dir).filename().string();
  const std::string parent = std::filesystem::path(data_dir).parent_path().string();
  const std::string elsewhere = parent + "/elsewhere";
  std::filesystem::create_directories(elsewhere);
  std::filesystem::create_directory_symlink(elsewhere, data_dir + ".before-restore-1");
  std::filesystem::create_directories(data_dir + ".before-restore-2");
  const std::string token(32, 'a');
  for (const std::string& aside : {std::string(""), name + ".before-restore-1",
                                   name + ".before-restore-2"}) {
    SCOPED_TRACE(aside);
    std::ofstream(data_dir + ".restore-swap")
        << "aside " << aside << "\nstaging " << name << ".restore-staging-zzz\ntoken " << token
        << "\n";
    const absl::StatusOr<std::string> recovered =
        storage::Backups::RecoverInterruptedRestore(data_dir);
    EXPECT_EQ(recovered.status().code(), absl::StatusCode::kFailedPrecondition)
        << recovered.status();
    ExpectSameFiles(before, FilesWithBytes(data_dir));
    EXPECT_FALSE(std::filesystem::is_symlink(data_dir));
  }
  std::filesystem::remove(data_dir + ".restore-swap");
  RestartAndExpectCourtGet(id, grpc::StatusCode::OK);
}

// A restore killed after its swap, before its erasures and audit event, leaves a copy that is
// not the registry's data. A restore run again finishes the job, erasures applied; the copy it
// replaces is kept aside too, not deleted (its token does not prove that nothing wrote into it
// since), beside the folder the first restore moved aside.
TEST_F(ErasureTest, ARestoreRunAgainAfterAnUnfinishedOneKeepsTheUnfinishedCopyAside) {
  BackupOfAnErasedRecord erased;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupOfARecordErasedSince(&erased));
  const std::string data_dir = server_->config().data_dir();
  std::string first_aside;
  ASSERT_NO_FATAL_FAILURE(SwapInAsAKilledRestoreWould(erased.backup, &first_aside));
  std::string aside;
  ASSERT_NO_FATAL_FAILURE(RestoreMovingTheDataFolderAside(erased.backup, &aside));
  EXPECT_NE(aside, first_aside);
  EXPECT_TRUE(std::filesystem::exists(first_aside + "/CURRENT"));
  EXPECT_TRUE(std::filesystem::exists(aside + "/CURRENT")) << "the unfinished copy was deleted";
  for (const std::string& leaf : NamesBeside(data_dir)) {
    EXPECT_FALSE(absl::StrContains(leaf, ".unfinished-restore-")) << leaf;
  }
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(erased.id, grpc::StatusCode::NOT_FOUND,
                                                   "an erased record came back"));
  // The folders moved aside are what registryd warns of at every start (they still hold the
  // erased record); a link or a file of such a name beside the data folder is no such folder.
  std::filesystem::create_directory_symlink(first_aside, data_dir + ".before-restore-1");
  std::ofstream(data_dir + ".before-restore-2") << "not a folder";
  std::vector<std::string> kept = {first_aside, aside};
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(storage::Backups::KeptBeforeRestore(data_dir), kept);
  std::filesystem::remove(data_dir + ".before-restore-1");
  std::filesystem::remove(data_dir + ".before-restore-2");
  std::filesystem::remove_all(first_aside);
  std::filesystem::remove_all(aside);
  EXPECT_THAT(storage::Backups::KeptBeforeRestore(data_dir), IsEmpty());
}

// A restore killed after its swap (its copy in place, its token in it): a start, an adoption of
// the copy's log as the watermark and the configuration check all say that a restore was left
// unfinished and the two ways out, naming the backup and the folder it moved aside, rather
// than offer --adopt_watermark; nothing is written into the copy. Running the restore again
// finishes it.
TEST_F(ErasureTest, AStartOrAnAdoptionOverAnUnfinishedRestoreIsRefusedSayingHowToFinishIt) {
  UnfinishedRestore left;
  ASSERT_NO_FATAL_FAILURE(LeaveARestoreUnfinished(&left));
  const std::map<std::string, std::string> copy = FilesWithBytes(left.data_dir);
  const auto expect_said_unfinished = [&](const std::string& said) {
    EXPECT_THAT(said, HasSubstr("was left unfinished"));
    EXPECT_THAT(said, HasSubstr(absl::StrCat("--restore_backup ", left.backup.backup_id())));
    EXPECT_THAT(said, HasSubstr(absl::StrCat("put ", left.first_aside)));
    EXPECT_THAT(said, Not(HasSubstr("registryd --adopt_watermark")));
  };

  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  expect_said_unfinished(std::string(started.message()));
  bool adopted = true;
  uint64_t size = 0;
  const absl::Status adopt = server::AdoptWatermark(server_->config(), &adopted, &size);
  EXPECT_EQ(adopt.code(), absl::StatusCode::kFailedPrecondition) << adopt;
  expect_said_unfinished(std::string(adopt.message()));
  EXPECT_FALSE(adopted);
  const std::vector<std::string> problems = ConfigProblems(server_->config(), "unfinished");
  std::string problem;
  for (const std::string& p : problems) {
    if (absl::StrContains(p, "unfinished")) problem = p;
  }
  expect_said_unfinished(problem);
  ExpectSameFiles(copy, FilesWithBytes(left.data_dir));

  std::string aside;
  ASSERT_NO_FATAL_FAILURE(RestoreMovingTheDataFolderAside(left.backup, &aside));
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(left.kept, grpc::StatusCode::OK));
  EXPECT_EQ(CourtGet(left.later), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(std::filesystem::exists(left.first_aside + "/CURRENT"));
}

// The other way out of an unfinished restore: the folder it moved aside, put back in place of
// the copy, is served as it was, the record made after the backup in it.
TEST_F(ErasureTest, AnUnfinishedRestoreIsGivenUpOnByPuttingBackTheFolderItMovedAside) {
  UnfinishedRestore left;
  ASSERT_NO_FATAL_FAILURE(LeaveARestoreUnfinished(&left));
  ASSERT_FALSE(server_->Restart().ok());
  std::filesystem::rename(left.data_dir, left.data_dir + ".given-up");
  std::filesystem::rename(left.first_aside, left.data_dir);
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(left.kept, grpc::StatusCode::OK));
  EXPECT_EQ(CourtGet(left.later), grpc::StatusCode::OK);
}

// The sequence an older registryd allowed: a restore killed after its swap, its copy adopted as
// it was (--adopt_watermark) and served, a record acknowledged in it, the token still there. A
// restore run again keeps that folder aside, the record in it, rather than delete it as an
// unfinished copy: the token alone does not prove that nothing was written since.
TEST_F(ErasureTest, ARestoreRunAgainKeepsAnUnfinishedCopyThatWasWrittenTo) {
  UnfinishedRestore left;
  ASSERT_NO_FATAL_FAILURE(LeaveARestoreUnfinished(&left));
  // What an older registryd did: adopt and serve the copy, leaving its token where it was.
  const std::string token_file = left.data_dir + "/RESTORE-UNFINISHED";
  const std::string token = testing::ReadBinary(token_file);
  ASSERT_FALSE(token.empty());
  std::filesystem::remove(token_file);
  bool adopted = false;
  uint64_t size = 0;
  ASSERT_TRUE(server::AdoptWatermark(server_->config(), &adopted, &size).ok());
  ASSERT_TRUE(server_->Restart().ok());
  const std::string acknowledged = Create(FictionalRecord(3));
  server_->Stop();
  std::ofstream(token_file) << token;

  std::string aside;
  ASSERT_NO_FATAL_FAILURE(RestoreMovingTheDataFolderAside(left.backup, &aside));
  ASSERT_TRUE(std::filesystem::exists(aside + "/CURRENT")) << "the written-to copy was deleted";
  // The folder kept is the one that was served: put back, it serves the acknowledged record.
  std::filesystem::rename(left.data_dir, left.data_dir + ".restored");
  std::filesystem::rename(aside, left.data_dir);
  std::filesystem::remove(token_file);
  // The watermark followed the restore: the log put back is taken as it is, on purpose.
  ASSERT_TRUE(server::AdoptWatermark(server_->config(), &adopted, &size).ok());
  RestartAndExpectCourtGet(acknowledged, grpc::StatusCode::OK);
}

// A restore run again after an unfinished one deletes the unfinished copy it replaced; a kill
// part-way through that deletion leaves pieces of the copy beside the data folder (its table
// files, a log, CURRENT), and the token that named it may have been the first file to go. They
// hold the backup's records without the erasures made since: the next start (which runs the
// recovery) or restore deletes them all the same.
TEST_F(ErasureTest, PiecesOfAnUnfinishedCopyAreDeletedAtTheNextStartOrRestoreWithoutTheirToken) {
  BackupOfAnErasedRecord erased;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupOfARecordErasedSince(&erased));
  const std::string data_dir = server_->config().data_dir();
  const std::vector<std::string> beside = NamesBeside(data_dir);
  // The backup restored (the expunged record in it) and copied as `leaf`, without a token.
  const auto leave_pieces_of_a_copy = [&](const std::string& leaf) {
    absl::StatusOr<std::unique_ptr<storage::Backups::Staged>> staged = storage::Backups::Stage(
        server_->config().backup_dir(), data_dir, erased.backup.backup_id());
    ASSERT_TRUE(staged.ok()) << staged.status();
    const std::string pieces = (std::filesystem::path(data_dir).parent_path() / leaf).string();
    std::filesystem::copy((*staged)->path(), pieces, std::filesystem::copy_options::recursive);
    ASSERT_TRUE(std::filesystem::exists(pieces + "/CURRENT"));
    ASSERT_FALSE(std::filesystem::exists(pieces + "/RESTORE-UNFINISHED"));
  };
  const std::string name = std::filesystem::path(data_dir).filename().string();

  ASSERT_NO_FATAL_FAILURE(leave_pieces_of_a_copy(name + ".unfinished-restore-1"));
  const absl::StatusOr<std::string> recovered =
      storage::Backups::RecoverInterruptedRestore(data_dir);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_THAT(*recovered, HasSubstr("deleted 1 restored copy of a backup"));
  EXPECT_EQ(NamesBeside(data_dir), beside) << "pieces of an unfinished copy were left";

  ASSERT_NO_FATAL_FAILURE(leave_pieces_of_a_copy(name + ".unfinished-restore-2"));
  std::string aside;
  ASSERT_NO_FATAL_FAILURE(RestoreMovingTheDataFolderAside(erased.backup, &aside));
  EXPECT_EQ(NamesBeside(data_dir), NamesBesideWithAside(beside, aside))
      << "pieces of an unfinished copy were left";
  RestartAndExpectCourtGet(erased.id, grpc::StatusCode::NOT_FOUND, "an erased record came back");
}

// A crash after a restore's second rename, before the record of its swap was deleted: the copy
// in place (nothing has read it) is taken out and deleted and the old folder goes back, and no
// part of the copy is left beside the data folder.
TEST_F(ErasureTest, ACrashRightAfterARestoresSecondRenameIsUndoneLeavingNoCopyBehind) {
  std::string kept;
  std::string later;
  v1::BackupInfo backup;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupAndARecordMadeAfterIt(&kept, &backup, &later));
  const std::string data_dir = server_->config().data_dir();
  const std::map<std::string, std::string> before = FilesWithBytes(data_dir);
  const std::vector<std::string> beside = NamesBeside(data_dir);
  std::string aside;
  ASSERT_TRUE(storage::Backups::Restore(server_->config().backup_dir(), data_dir,
                                        backup.backup_id(), &aside)
                  .ok());
  ASSERT_FALSE(aside.empty());
  // The record of the swap as it was before its deletion, with the token the copy holds.
  std::string token;
  std::getline(std::ifstream(data_dir + "/RESTORE-UNFINISHED"), token);
  ASSERT_EQ(token.size(), 32u);
  const std::string name = std::filesystem::path(data_dir).filename().string();
  std::ofstream(data_dir + ".restore-swap")
      << "aside " << std::filesystem::path(aside).filename().string() << "\nstaging " << name
      << ".restore-staging-gone\ntoken " << token << "\n";

  const absl::StatusOr<std::string> undone =
      storage::Backups::RecoverInterruptedRestore(data_dir);
  ASSERT_TRUE(undone.ok()) << undone.status();
  EXPECT_THAT(*undone, HasSubstr(absl::StrCat("deleted the restored copy an interrupted restore "
                                              "had put in ", data_dir)));
  EXPECT_THAT(*undone, HasSubstr(absl::StrCat("put ", data_dir, " back as it was")));
  ExpectSameFiles(before, FilesWithBytes(data_dir));
  EXPECT_EQ(NamesBeside(data_dir), beside);
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(kept, grpc::StatusCode::OK));
  EXPECT_EQ(CourtGet(later), grpc::StatusCode::OK);
}

TEST_F(ErasureTest, RestoringTheNewestBackupAlsoAppliesLaterErasures) {
  Start();
  const std::string first = Create(DistinctiveRecord());
  const std::string second = Create(FictionalRecord(2));
  Backup();
  ASSERT_TRUE(Expunge(first).ok());
  ASSERT_TRUE(Expunge(second).ok());
  EXPECT_EQ(RestoreAndRestart(/*newest*/ 0), 2);
  EXPECT_EQ(CourtGet(first), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CourtGet(second), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ErasureTest, AnErasureWhoseCommitFailedIsFinishedAtTheNextStart) {
  StartWithFault();
  const v1::CreateRecordRequest req = DistinctiveRecord();
  const std::string id = Create(req);
  ExpectExpungeFailsToCommit(id);
  // The clerk was told it failed; the ledger holds the request, so it is not lost.
  ASSERT_NO_FATAL_FAILURE(RestartAndExpectCourtGet(id, grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Vet(req.person()), v1::VETTING_RESULT_CLEAR);
}

TEST_F(ErasureTest, AnErasureWhoseCommitFailedIsFinishedByTheNextErasure) {
  StartWithFault();
  const std::string first = Create(DistinctiveRecord());
  const std::string second = Create(FictionalRecord(3));
  ExpectExpungeFailsToCommit(first);
  EXPECT_EQ(CourtGet(first), grpc::StatusCode::OK);  // not committed: still there
  ASSERT_TRUE(Expunge(second).ok());
  EXPECT_EQ(CourtGet(first), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CourtGet(second), grpc::StatusCode::NOT_FOUND);
  // And nothing is left to apply at the next start.
  ExpectARestartWritesNothing();
}

TEST_F(ErasureTest, ALostTruncatedEditedOrForeignLedgerStopsStartUp) {
  Start();
  const std::string first = Create(DistinctiveRecord());
  const std::string second = Create(FictionalRecord(4));
  ASSERT_TRUE(Expunge(first).ok());
  ASSERT_TRUE(Expunge(second).ok());
  server_->Stop();
  const std::string path = server_->config().erasure_ledger_file();
  const std::string original = testing::ReadBinary(path);
  const auto write = [&](const std::string& content) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  };

  // Lost: a new empty ledger does not hold the database's erasures.
  std::filesystem::remove(path);
  absl::Status s = server_->Restart();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // Truncated to its first entry.
  write(original.substr(0, original.find('\n') + 1));
  s = server_->Restart();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // An entry edited: another record id.
  std::string edited = original;
  edited[edited.find(' ') + 1] = edited[edited.find(' ') + 1] == 'a' ? 'b' : 'a';
  write(edited);
  s = server_->Restart();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  // A torn last line is a crash during an append: cut off, the rest is served.
  write(original + "2 0123");
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(testing::ReadBinary(path), original);
  server_->Stop();

  // A ledger under another installation's key file: right shape, wrong key.
  auto other_keys = server::GenerateKeyFile(absl::Now());
  ASSERT_TRUE(other_keys.ok());
  const std::string other_dir = server_->dir() + "/other";
  std::filesystem::create_directories(other_dir);
  ASSERT_TRUE(server::WriteKeyFile(other_dir + "/keys.json", *other_keys, false).ok());
  registry::v1::ServerConfig other = server_->config();
  other.set_key_file(other_dir + "/keys.json");
  other.set_data_dir(other_dir + "/data");
  other.set_erasure_ledger_file(other_dir + "/erasures.ledger");
  std::ofstream(other.erasure_ledger_file(), std::ios::binary) << original;
  auto stack = server::OpenStorage(other, SystemClock::Get());
  EXPECT_EQ(stack.status().code(), absl::StatusCode::kDataLoss) << stack.status();
}

TEST_F(ErasureTest, BackupsArePrunedByCount) {
  TestServerOptions options;
  options.backup.set_keep_count(2);
  const auto [b1, b2] = StartAndBackUpTwice(std::move(options), 5);
  const v1::BackupInfo b3 = Backup();
  EXPECT_THAT(b3.pruned_backup_ids(), ElementsAre(b1.backup_id()));
  EXPECT_THAT(BackupIds(), ElementsAre(b2.backup_id(), b3.backup_id()));
}

// A backup and the deletions it brings stand only with their audit event.
TEST_F(ErasureTest, ABackupWhoseEventCannotBeWrittenIsTakenBack) {
  TestServerOptions options;
  options.backup.set_keep_count(1);
  StartWithFault(std::move(options));
  Create(FictionalRecord(7));
  const v1::BackupInfo first = Backup();
  fault_.set_failing(true);
  {
    v1::BackupInfo info;
    EXPECT_EQ(
        AdminCall(&v1::AdminService::Stub::CreateBackup, v1::CreateBackupRequest(), &info)
            .error_code(),
        grpc::StatusCode::UNAVAILABLE);
  }
  fault_.set_failing(false);
  EXPECT_THAT(BackupIds(), ElementsAre(first.backup_id()));  // nothing new, nothing pruned
}

TEST_F(ErasureTest, BackupsArePrunedByAgeButNeverTheNewest) {
  FakeClock& clock = clock_;
  TestServerOptions options;
  options.clock = &clock;
  options.backup.set_keep_count(10);
  options.backup.set_keep_days(7);
  const auto [old1, old2] = StartAndBackUpTwice(std::move(options), 6);
  clock.Advance(absl::Hours(24 * 8));
  const v1::BackupInfo fresh = Backup();
  EXPECT_THAT(fresh.pruned_backup_ids(), ElementsAre(old1.backup_id(), old2.backup_id()));
  EXPECT_THAT(BackupIds(), ElementsAre(fresh.backup_id()));
  // Much later, the only backup is old, and stays until a newer one replaces it.
  clock.Advance(absl::Hours(24 * 30));
  const v1::BackupInfo next = Backup();
  EXPECT_THAT(next.pruned_backup_ids(), ElementsAre(fresh.backup_id()));
  EXPECT_THAT(BackupIds(), ElementsAre(next.backup_id()));
}

// "Number" in a case number wherever a clerk puts it ("No. P 77/2025", "P numër 77/2025",
// "nr. 77/2025 P") brought an expunged conviction back, and the employer's check with it: each
// such spelling is refused, by a create, an import row and an amendment alike.
TEST_F(ErasureTest, AnExpungedConvictionIsNotEnteredAgainWithANumberWordAnywhereInItsCaseNumber) {
  Start();
  v1::CreateRecordRequest req = DistinctiveRecord();
  req.mutable_conviction()->set_court_id("basic-prizren");
  req.mutable_conviction()->set_case_number("P.nr. 77/2025");
  ASSERT_TRUE(Expunge(Create(req)).ok());
  const std::string other = Create(FictionalRecord(3));
  ASSERT_FALSE(other.empty());

  const std::vector<std::string> spellings = {
      "No. P 77/2025",   "P nr.nr. 77/2025", "P num\xc3\xabr 77/2025", "P broj 77/2025",
      "nr. 77/2025 P",   "Nr. P 77/2025",    "Br. P 77/2025",          "P numer 77/2025",
      "P n. 77/2025",    "P 77/2025"};
  // And an amendment of another record into it.
  const auto amend_into = [&](const v1::CreateRecordRequest& again) {
    const grpc::Status s = AmendInto(other, again);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("expunged"));
  };
  ASSERT_NO_FATAL_FAILURE(ExpectEachSpellingRefusedAsExpunged(req, spellings, amend_into));
  EXPECT_EQ(CourtSearch(req.person().personal_number()), 0);
  EXPECT_EQ(Vet(req.person()), v1::VETTING_RESULT_CLEAR);
}

// More spellings of one case number brought an expunged conviction back, and the employer's
// NOT_CLEAR with it: "number" as "numri", "nro." or "ном.", "year" after the year ("g.",
// "godine", "г.", "viti"), and S typed for 5. Each is refused, by a create and an import row;
// while "K 15/2025", another register, is another conviction and is entered. "R 15/2025" is
// refused: in Cyrillic, "Р 15/2025", it was filed as "P 15/2025" before a Serbian Cyrillic
// register was read by sound, and an erased conviction's row keeps no spelling to tell them
// apart (a live "P 15/2025" is told apart: RecordStoreTest).
TEST_F(ErasureTest, AnExpungedConvictionIsNotEnteredAgainWithMoreSpellingsOfItsCaseNumber) {
  Start();
  v1::CreateRecordRequest req = DistinctiveRecord();
  req.mutable_conviction()->set_court_id("basic-prizren");
  req.mutable_conviction()->set_case_number("P 15/2025");
  ASSERT_TRUE(Expunge(Create(req)).ok());

  const std::vector<std::string> spellings(std::begin(kMoreSpellingsOfP15Of2025),
                                           std::end(kMoreSpellingsOfP15Of2025));
  ASSERT_NO_FATAL_FAILURE(ExpectEachSpellingRefusedAsExpunged(req, spellings));
  EXPECT_EQ(CourtSearch(req.person().personal_number()), 0);
  EXPECT_EQ(Vet(req.person()), v1::VETTING_RESULT_CLEAR);

  v1::CreateRecordRequest other_register = req;
  other_register.mutable_conviction()->set_case_number("R 15/2025");
  EXPECT_EQ(testing::CreateRecordAs(*server_, "clerk", other_register, nullptr).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  other_register.mutable_conviction()->set_case_number("K 15/2025");
  EXPECT_FALSE(Create(other_register).empty());
  EXPECT_EQ(CourtSearch(req.person().personal_number()), 1);
}

// A letter with a diacritic typed plain, or as its digraph, brought an expunged "Kž 77/2021"
// back as "Kz 77/2021", "Kzh 77/2021" or "KŽ 77/2021 v.", and "P 15/2022" as "Pnr. 15/2022",
// "P n 15/2022", "P nummer 15/2022" or "P 15/2022 vjet". Each is refused, by a create and an
// import row; "K 77/2021" and "PN 15/2022", other registers, are other convictions.
TEST_F(ErasureTest, AnExpungedConvictionIsNotEnteredAgainWithItsRegisterLettersTypedPlain) {
  Start();
  v1::CreateRecordRequest req = DistinctiveRecord();
  req.mutable_conviction()->set_court_id("basic-prizren");
  req.mutable_conviction()->set_case_number("K\xc5\xbe 77/2021");
  ASSERT_TRUE(Expunge(Create(req)).ok());
  v1::CreateRecordRequest p = req;
  p.mutable_conviction()->set_case_number("P 15/2022");
  ASSERT_TRUE(Expunge(Create(p)).ok());

  const std::vector<std::string> spellings = {
      "Kz 77/2021",      "Kzh 77/2021",       "K\xc5\xbd 77/2021 v.",
      "KZH 77/21",       "\xd0\x9a\xd0\x96 77/2021",  // КЖ
      "Pnr. 15/2022",    "P n 15/2022",       "P nummer 15/2022",
      "P nr. i 15/2022", "P 15/2022 vjet",    "P 15/2022 \xd0\xb3.\xd0\xb3.",  // г.г.
      "P 15/2022 year",  "P 15/2022 r."};
  ASSERT_NO_FATAL_FAILURE(ExpectEachSpellingRefusedAsExpunged(req, spellings));
  EXPECT_EQ(CourtSearch(req.person().personal_number()), 0);
  EXPECT_EQ(Vet(req.person()), v1::VETTING_RESULT_CLEAR);

  for (const char* other : {"K 77/2021", "PN 15/2022"}) {
    v1::CreateRecordRequest other_register = req;
    other_register.mutable_conviction()->set_case_number(other);
    EXPECT_FALSE(Create(other_register).empty()) << other;
  }
  EXPECT_EQ(CourtSearch(req.person().personal_number()), 2);
}

// A restore refused for a damaged backup advised "check it first with `registry-cli admin
// verify-backup ID`", which needs the running registryd a restore needs stopped: the advice says
// when it can be followed, and that a restore of another backup is checked the same way.
TEST_F(ErasureTest, ARestoreOfADamagedBackupAdvisesWhatCanBeDoneWithRegistrydStopped) {
  BackupToDamage made;
  ASSERT_NO_FATAL_FAILURE(StopWithABackupToDamage(&made));
  std::filesystem::resize_file(made.largest, std::filesystem::file_size(made.largest) / 2);
  server_->Stop();
  int applied = -1;
  const absl::Status refused =
      server::RestoreBackup(server_->config(), made.backup.backup_id(), &applied);
  const std::string said(refused.message());
  EXPECT_THAT(said, HasSubstr("restore an older backup (check it first with `registry-cli admin "
                              "verify-backup ID` before stopping registryd, or restore it: a "
                              "restore runs the same checks"))
      << said;
}

}  // namespace
}  // namespace registry::testing
