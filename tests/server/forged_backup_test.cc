// A backup put together by hand in the backup folder, by someone who may write there but does
// not hold the key file: the index rows and index seal of an older backup of this registry, with
// the records of a newer one (the record entered between the two taken out of the index), written
// back as a new backup with RocksDB's own backup engine. Its seal matches its rows; served, it
// answers CLEAR for the person whose record it holds. A restore and a verification refuse it as
// not made by registryd (no record of authentication, or one of another backup). Behind that,
// a restore refuses it by its records held against its index, naming the problems by kind and
// count and leaving the data folder as it was; and an index the data check found broken while
// registryd ran stays refused across restarts, until a restore that passes its checks.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/registry_server.h"
#include "storage/backups.h"
#include "storage/database.h"
#include "storage/index_seal.h"
#include "tests/testing/checked_calls.h"
#include "tests/testing/clients.h"
#include "tests/testing/data_files.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The keys of every row of `db`'s index family.
std::set<std::string> IndexKeys(storage::Database* db) {
  std::set<std::string> keys;
  std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kIndex);
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.emplace(it->key());
  return keys;
}

// A backup folder's copy of backup `id`, opened as someone without the key file opens it: with
// RocksDB and nothing of the registry's keys.
struct OpenedCopy {
  std::unique_ptr<storage::Backups::Staged> staged;
  std::unique_ptr<storage::Database> db;
};

OpenedCopy OpenCopyOf(const TestServer& server, uint32_t id) {
  OpenedCopy copy;
  absl::StatusOr<std::unique_ptr<storage::Backups::Staged>> staged =
      storage::Backups::Stage(server.config().backup_dir(), server.config().data_dir(), id);
  EXPECT_TRUE(staged.ok()) << staged.status();
  if (!staged.ok()) return copy;
  copy.staged = *std::move(staged);
  storage::DatabaseOptions options;
  options.path = copy.staged->path();
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  if (db.ok()) copy.db = *std::move(db);
  return copy;
}

class ForgedBackupTest : public ::testing::Test {
 protected:
  // Enters a record, backs up, enters the record of another person, backs up again, and stops.
  void StartWithTwoBackups() {
    server_ = TestServer::Start();
    kept_ = CreatedRecordId(*server_, "clerk", FictionalRecord(3));
    older_ = CreatedBackup(*server_).backup_id();
    ASSERT_NE(older_, 0u);
    hidden_ = CreatedRecordId(*server_, "clerk", ExampleRecord());
    newer_ = CreatedBackup(*server_).backup_id();
    ASSERT_GT(newer_, older_);
    ASSERT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()),
              v1::VETTING_RESULT_NOT_CLEAR);
    server_->Stop();
  }

  // The newer backup without the index rows the older one lacks, with the older one's seal,
  // written into the backup folder as a new backup (its id in forged_).
  void ForgeABackup() {
    // One copy at a time: a copy holds the restore lock on the data folder's parent.
    std::set<std::string> older_rows;
    std::string older_seal;
    {
      OpenedCopy older = OpenCopyOf(*server_, older_);
      ASSERT_NE(older.db, nullptr);
      older_rows = IndexKeys(older.db.get());
      absl::StatusOr<std::optional<std::string>> seal =
          older.db->Get(storage::Cf::kMeta, storage::kIndexSealRow);
      ASSERT_TRUE(seal.ok() && seal->has_value());
      older_seal = **seal;
    }
    OpenedCopy newer = OpenCopyOf(*server_, newer_);
    ASSERT_NE(newer.db, nullptr);
    storage::Batch batch;
    int deleted = 0;
    for (const std::string& key : IndexKeys(newer.db.get())) {
      if (older_rows.count(key) == 0) {
        batch.Delete(storage::Cf::kIndex, key);
        ++deleted;
      }
    }
    ASSERT_GT(deleted, 0);
    batch.Put(storage::Cf::kMeta, storage::kIndexSealRow, older_seal);
    ASSERT_TRUE(newer.db->Write(batch).ok());
    ASSERT_NO_FATAL_FAILURE(WriteAsANewBackup(newer.db.get()));
  }

  // Writes `db` into the backup folder as a new backup with RocksDB's backup engine, as one
  // without the key file can (no record of authentication): its id in forged_.
  void WriteAsANewBackup(storage::Database* db) {
    absl::StatusOr<std::unique_ptr<storage::Backups>> backups =
        storage::Backups::Open(server_->config().backup_dir());
    ASSERT_TRUE(backups.ok()) << backups.status();
    absl::StatusOr<storage::Backups::Info> made = (*backups)->Create(db);
    ASSERT_TRUE(made.ok()) << made.status();
    forged_ = made->id;
  }

  std::string AuthRecord(uint32_t id) const {
    return absl::StrCat(server_->config().backup_dir(), "/auth/", id);
  }

  // The data folder's files and what they hold, to show that a refused restore changed nothing.
  std::vector<std::pair<std::string, std::string>> DataFolder() const {
    std::vector<std::pair<std::string, std::string>> files;
    for (const std::string& path : FilesUnder(server_->config().data_dir())) {
      files.emplace_back(path, ReadBinary(path));
    }
    return files;
  }

  grpc::StatusCode VetCode(const v1::Person& person) {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::VettingCheckResponse resp;
    return v1::VettingService::NewStub(server_->Channel("vetting"))
        ->VettingCheck(&ctx, CandidateOf(person), &resp)
        .error_code();
  }

  // Expects the vetting check of each of `people` refused (DATA_LOSS), and again after each of
  // two restarts.
  void ExpectVettingRefusedAcrossRestarts(const std::vector<v1::Person>& people) {
    for (int restarts = 0; restarts <= 2; ++restarts) {
      if (restarts > 0) {
        ASSERT_TRUE(server_->Restart().ok());
      }
      for (const v1::Person& person : people) {
        EXPECT_EQ(VetCode(person), grpc::StatusCode::DATA_LOSS) << "after restarts: " << restarts;
      }
    }
  }

  // Stops the server, restores the newer backup (a sound one), and starts the server again.
  void RestoreTheNewerBackup() {
    server_->Stop();
    int applied = -1;
    const absl::Status restored = server::RestoreBackup(server_->config(), newer_, &applied);
    ASSERT_TRUE(restored.ok()) << restored;
    ASSERT_TRUE(server_->Restart().ok());
  }

  // Expects a restore of the forged backup refused for its record of authentication: first for
  // having none, then, the newer backup's record copied over, for one that does not fit it.
  // Each refusal says that the data folder was not changed.
  void ExpectTheForgedBackupRefusedByItsAuthentication() {
    int applied = -1;
    absl::Status refused = server::RestoreBackup(server_->config(), forged_, &applied);
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
    EXPECT_THAT(std::string(refused.message()), HasSubstr("has no record that this registry made"));
    EXPECT_THAT(std::string(refused.message()), HasSubstr("was not changed"));
    std::filesystem::copy_file(AuthRecord(newer_), AuthRecord(forged_));
    refused = server::RestoreBackup(server_->config(), forged_, &applied);
    EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
    EXPECT_THAT(std::string(refused.message()), HasSubstr("is not as this registry made it"));
    EXPECT_THAT(std::string(refused.message()), HasSubstr("was not changed"));
    EXPECT_EQ(applied, -1);
  }

  uint64_t VerifyDataProblems() { return VerifiedData(*server_).problem_count(); }

  // A court notice amends the record `id` (its version 2).
  void Amend(const std::string& id) { AmendAddressByCourtNotice(*server_, id); }

  // Puts `saved` (rows of the records and versions families) back over `db`'s, and deletes the
  // versions written since: the record as it was, its later version gone.
  static void PutBackEarlierState(storage::Database* db, const StoredRows& saved) {
    PutRows(db, saved);
    std::set<std::string> old;
    for (const auto& [cf, row] : saved) old.insert(row.first);
    int deleted = 0;
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kVersions})) {
      if (old.count(row.first) == 0) {
        DeleteStored(db, storage::Cf::kVersions, row.first);
        ++deleted;
      }
    }
    ASSERT_GT(deleted, 0);
  }

  // Enters a record, backs up, amends it (version 2), backs up again, and stops; then writes
  // into the backup folder, with RocksDB's backup engine, the newer backup with the record's
  // head and versions put back from the older one and its version 2 deleted (its id in
  // forged_).
  void ForgeABackupWithARecordRolledBack() {
    server_ = TestServer::Start();
    hidden_ = CreatedRecordId(*server_, "clerk", ExampleRecord());
    older_ = CreatedBackup(*server_).backup_id();
    ASSERT_NE(older_, 0u);
    ASSERT_NO_FATAL_FAILURE(Amend(hidden_));
    newer_ = CreatedBackup(*server_).backup_id();
    ASSERT_GT(newer_, older_);
    server_->Stop();
    StoredRows saved;
    {
      OpenedCopy older = OpenCopyOf(*server_, older_);
      ASSERT_NE(older.db, nullptr);
      saved = CopyRows(older.db.get(), {storage::Cf::kRecords, storage::Cf::kVersions});
    }
    OpenedCopy newer = OpenCopyOf(*server_, newer_);
    ASSERT_NE(newer.db, nullptr);
    ASSERT_NO_FATAL_FAILURE(PutBackEarlierState(newer.db.get(), saved));
    ASSERT_NO_FATAL_FAILURE(WriteAsANewBackup(newer.db.get()));
  }

  v1::VerifyBackupResponse VerifyBackup(uint32_t id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::VerifyBackupRequest req;
    req.set_backup_id(id);
    v1::VerifyBackupResponse resp;
    const grpc::Status s =
        v1::AdminService::NewStub(server_->Channel("admin"))->VerifyBackup(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::unique_ptr<TestServer> server_;
  std::string kept_;
  std::string hidden_;
  uint32_t older_ = 0;
  uint32_t newer_ = 0;
  uint32_t forged_ = 0;
};

// The restore checks the records of the restored copy against its index before it swaps it in:
// refused, with the problems by kind and count (no record id), and nothing swapped: the data
// folder is served as before and answers NOT_CLEAR for the person.
TEST_F(ForgedBackupTest, ARestoreOfABackupPutTogetherFromTwoBackupsIsRefusedAndChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  ASSERT_NO_FATAL_FAILURE(ForgeABackup());
  // Authenticated as the key file's holder could: the check behind authentication, on its own.
  ASSERT_TRUE(storage::Backups::Authenticate(
                  server_->config().backup_dir(), forged_,
                  DerivedKeyOf(*server_, storage::kBackupAuthKeyPurpose))
                  .ok());
  const auto before = DataFolder();
  int applied = -1;
  const absl::Status refused = server::RestoreBackup(server_->config(), forged_, &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  const std::string said(refused.message());
  EXPECT_THAT(said, HasSubstr("fails the data check of its records against its index"));
  EXPECT_THAT(said, HasSubstr("index rows"));
  EXPECT_THAT(said, HasSubstr("was not changed"));
  EXPECT_THAT(said, Not(HasSubstr(hidden_)));
  EXPECT_THAT(said, Not(HasSubstr(kept_)));
  EXPECT_EQ(applied, -1);
  EXPECT_TRUE(storage::Backups::KeptBeforeRestore(server_->config().data_dir()).empty());
  EXPECT_TRUE(DataFolder() == before) << "a refused restore changed the data folder";
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
}

// An index the data check finds broken (a record's rows gone, the seal put back with them, and a
// watermark that binds no seal, as one restored from such a backup by an earlier release would
// leave it) refuses every vetting check, and still does after a plain restart, where the seal
// matches the rows again. A restore of a sound backup lifts it.
TEST_F(ForgedBackupTest, AnIndexTheDataCheckFoundBrokenStaysRefusedAcrossARestart) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  ASSERT_NO_FATAL_FAILURE(ForgeABackup());
  // The forged copy put in place of the data folder, and a watermark taken from it.
  {
    OpenedCopy forged = OpenCopyOf(*server_, forged_);
    ASSERT_NE(forged.db, nullptr);
    forged.db.reset();
    std::string aside;
    ASSERT_TRUE(forged.staged->SwapIn(&aside).ok());
    ASSERT_TRUE(storage::Backups::FinishRestore(server_->config().data_dir()).ok());
  }
  ASSERT_NO_FATAL_FAILURE(ForgeWatermark(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  // What the data check exists for: it names the record without its rows.
  EXPECT_GT(VerifyDataProblems(), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectVettingRefusedAcrossRestarts({ExampleRecord().person()}));
  // A sound backup restored: served again.
  ASSERT_NO_FATAL_FAILURE(RestoreTheNewerBackup());
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
}

// Backups are authenticated as made by registryd: a backup made by hand in the backup folder has
// no record, and one copied from another backup does not fit it; a restore refuses both (nothing
// changed), as it refuses a backup registryd made whose record was deleted. The verification of
// the forged backup fails with the same words. A backup registryd made restores as ever.
TEST_F(ForgedBackupTest, ABackupNotMadeByRegistrydIsNeitherRestoredNorVerified) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  ASSERT_NO_FATAL_FAILURE(ForgeABackup());
  const auto before = DataFolder();
  // The newest (the forged one), asked for as 0, has no record.
  int applied = -1;
  absl::Status refused = server::RestoreBackup(server_->config(), 0, &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  // Asked for by its id, with no record and with another backup's record copied over.
  ExpectTheForgedBackupRefusedByItsAuthentication();
  // A backup registryd made, its record deleted.
  ASSERT_TRUE(std::filesystem::remove(AuthRecord(older_)));
  refused = server::RestoreBackup(server_->config(), older_, &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_EQ(applied, -1);
  EXPECT_TRUE(DataFolder() == before) << "a refused restore changed the data folder";
  EXPECT_TRUE(storage::Backups::KeptBeforeRestore(server_->config().data_dir()).empty());

  ASSERT_TRUE(server_->Restart().ok());
  const v1::VerifyBackupResponse resp = VerifyBackup(forged_);
  EXPECT_FALSE(resp.ok());
  EXPECT_THAT(resp.problems(), ::testing::Contains(HasSubstr("is not as this registry made it")));
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);

  server_->Stop();
  const absl::Status restored = server::RestoreBackup(server_->config(), newer_, &applied);
  EXPECT_TRUE(restored.ok()) << restored;
}


// A backup made with RocksDB's ldb from a backup's database, one record's head put back from an
// older backup (a ban taken off) and its version 2 deleted: refused by its record of
// authentication before anything else (the record binds every file's contents). Authenticated
// as the key file's holder could, a restore still refuses it, by the same checks verify-backup
// runs (the record's version against the audit log, which saw version 2 written), and changes
// nothing; verify-backup names the earlier state put back.
TEST_F(ForgedBackupTest, ABackupWithARecordRolledBackToAnEarlierVersionIsNeverRestored) {
  ASSERT_NO_FATAL_FAILURE(ForgeABackupWithARecordRolledBack());
  const auto before = DataFolder();
  // With another backup's record over it, its files are not those the record was made of.
  ExpectTheForgedBackupRefusedByItsAuthentication();

  std::filesystem::remove(AuthRecord(forged_));
  ASSERT_TRUE(storage::Backups::Authenticate(
                  server_->config().backup_dir(), forged_,
                  DerivedKeyOf(*server_, storage::kBackupAuthKeyPurpose))
                  .ok());
  int applied = -1;
  const absl::Status refused = server::RestoreBackup(server_->config(), forged_, &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  const std::string said(refused.message());
  EXPECT_THAT(said, HasSubstr("fails the data check of its records against its index and its "
                              "audit log"));
  EXPECT_THAT(said, HasSubstr("record versions (an earlier state put back"));
  EXPECT_THAT(said, HasSubstr("was not changed"));
  EXPECT_THAT(said, Not(HasSubstr(hidden_)));
  EXPECT_EQ(applied, -1);
  EXPECT_TRUE(DataFolder() == before) << "a refused restore changed the data folder";

  ASSERT_TRUE(server_->Restart().ok());
  const v1::VerifyBackupResponse verified = VerifyBackup(forged_);
  EXPECT_FALSE(verified.ok());
  EXPECT_THAT(verified.problems(),
              ::testing::Contains(HasSubstr("an earlier state was put back")));
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
}

// A record put back to an earlier state in the data folder (its head and versions as they were
// before an amendment, the later version deleted): every row authenticates and the index matches
// its seal, but the data check finds the version the audit log saw written. Every vetting check
// is refused from then on, the same for every candidate, and still after restarts (which compare
// only the rows with the seal); a restore of a sound backup lifts it.
TEST_F(ForgedBackupTest, ARecordTheDataCheckFoundPutBackRefusesVettingAcrossRestarts) {
  server_ = TestServer::Start();
  hidden_ = CreatedRecordId(*server_, "clerk", ExampleRecord());
  kept_ = CreatedRecordId(*server_, "clerk", FictionalRecord(3));
  StoredRows saved;
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    saved = CopyRows(db, {storage::Cf::kRecords, storage::Cf::kVersions});
  }));
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_NO_FATAL_FAILURE(Amend(hidden_));
  newer_ = CreatedBackup(*server_).backup_id();
  ASSERT_NE(newer_, 0u);
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(
      *server_, [&](storage::Database* db) { PutBackEarlierState(db, saved); }));
  ASSERT_TRUE(server_->Restart().ok());
  // Before the data check has run, nothing tells.
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_GT(VerifyDataProblems(), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectVettingRefusedAcrossRestarts(
      {ExampleRecord().person(), FictionalRecord(3).person(), FictionalRecord(7).person()}));
  ASSERT_NO_FATAL_FAILURE(RestoreTheNewerBackup());
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
}

// After a restore, a backup made before it and newer than the backup it restored is of the
// branch the restore gave up: once the live log has grown past it, its verification said only
// "a fork, not a prefix". It says where the two part, that the live log records a restore there,
// and that this is expected.
TEST_F(ForgedBackupTest, AVerificationOfABackupTheRestoreGaveUpSaysSo) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  int applied = -1;
  ASSERT_TRUE(server::RestoreBackup(server_->config(), older_, &applied).ok());
  ASSERT_TRUE(server_->Restart().ok());
  v1::VerifyBackupResponse verified;
  for (int n = 10; n < 40; ++n) {
    CreatedRecordId(*server_, "clerk", FictionalRecord(n));
    verified = VerifyBackup(newer_);
    if (verified.live_audit_events() > verified.audit_events()) break;
  }
  ASSERT_GT(verified.live_audit_events(), verified.audit_events());
  EXPECT_FALSE(verified.ok());
  EXPECT_THAT(verified.problems(),
              ::testing::Contains(::testing::AllOf(
                  HasSubstr("where the live log records a restore of an earlier backup"),
                  HasSubstr("Expected for every backup made before that restore"))));
  EXPECT_THAT(verified.problems(), ::testing::Not(::testing::Contains(
                                       HasSubstr("(a fork, not a prefix)"))));
}

}  // namespace
}  // namespace registry::testing
