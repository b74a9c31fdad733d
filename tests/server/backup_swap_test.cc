// A backup's files swapped in the backup folder while it is restored or verified: backup 2's
// record of its files (meta/2) made to list backup 1's, and its private files replaced with
// backup 1's, then put back once the engine has copied them, before the record of
// authentication is checked. The record is held to the copy, not to the folder as it is by then:
// the restore and the verification refuse it, saying that the backup's files changed during the
// restore, and the data folder is left as it was. And the record covers the whole meta file: its
// sequence-number line edited, a verification and a restore refuse the backup.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "server/backup_check.h"
#include "server/registry_server.h"
#include "storage/backups.h"
#include "tests/testing/clients.h"
#include "tests/testing/data_files.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  ASSERT_EQ(std::fclose(f), 0);
}

class BackupSwapTest : public ::testing::Test {
 protected:
  // Enters a record, backs up (backup 1), enters the record of another person, backs up again
  // (backup 2). The server keeps running.
  void StartWithTwoBackups() {
    server_ = TestServer::Start();
    CreatedRecordId(*server_, "clerk", FictionalRecord(3));
    older_ = CreatedBackup(*server_).backup_id();
    ASSERT_NE(older_, 0u);
    CreatedRecordId(*server_, "clerk", ExampleRecord());
    newer_ = CreatedBackup(*server_).backup_id();
    ASSERT_GT(newer_, older_);
    ASSERT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()),
              v1::VETTING_RESULT_NOT_CLEAR);
  }

  std::string Dir() const { return server_->config().backup_dir(); }
  std::string Meta(uint32_t id) const { return absl::StrCat(Dir(), "/meta/", id); }
  std::string Private(uint32_t id) const { return absl::StrCat(Dir(), "/private/", id); }
  std::string Saved() const { return absl::StrCat(Dir(), "-saved"); }

  // Keeps the newer backup's meta file, private files and the shared files, then makes the
  // newer backup list the older one's files, its private files replaced with the older one's.
  void ForgeTheNewerAsTheOlder() {
    fs::create_directories(Saved());
    fs::copy_file(Meta(newer_), Saved() + "/meta");
    fs::copy(Private(newer_), Saved() + "/private", fs::copy_options::recursive);
    fs::copy(Dir() + "/shared_checksum", Saved() + "/shared_checksum",
             fs::copy_options::recursive);
    const std::string older_meta = ReadBinary(Meta(older_));
    ASSERT_FALSE(older_meta.empty());
    ASSERT_NO_FATAL_FAILURE(WriteFile(
        Meta(newer_),
        absl::StrReplaceAll(older_meta, {{absl::StrCat("private/", older_, "/"),
                                          absl::StrCat("private/", newer_, "/")}})));
    for (const fs::directory_entry& entry : fs::directory_iterator(Private(older_))) {
      fs::copy_file(entry.path(), Private(newer_) / entry.path().filename(),
                    fs::copy_options::overwrite_existing);
    }
  }

  // Puts the newer backup's own files back as they were kept.
  void PutTheRealFilesBack() {
    fs::copy_file(Saved() + "/meta", Meta(newer_), fs::copy_options::overwrite_existing);
    fs::remove_all(Private(newer_));
    fs::copy(Saved() + "/private", Private(newer_), fs::copy_options::recursive);
    fs::copy(Saved() + "/shared_checksum", Dir() + "/shared_checksum",
             fs::copy_options::recursive | fs::copy_options::skip_existing);
    swapped_back_ = true;
  }

  // The data folder's files and what they hold, to show that a refused restore changed nothing.
  std::vector<std::pair<std::string, std::string>> DataFolder() const {
    std::vector<std::pair<std::string, std::string>> files;
    for (const std::string& path : FilesUnder(server_->config().data_dir())) {
      files.emplace_back(path, ReadBinary(path));
    }
    return files;
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

  // Adds one to the sequence number recorded in backup `id`'s meta file (its second line).
  void EditTheSequenceNumber(uint32_t id) {
    const std::string meta = ReadBinary(Meta(id));
    std::vector<std::string> lines = absl::StrSplit(meta, '\n');
    ASSERT_GT(lines.size(), 2u);
    uint64_t sequence = 0;
    ASSERT_TRUE(absl::SimpleAtoi(lines[1], &sequence)) << lines[1];
    lines[1] = absl::StrCat(sequence + 1);
    ASSERT_NO_FATAL_FAILURE(WriteFile(Meta(id), absl::StrJoin(lines, "\n")));
  }

  std::unique_ptr<TestServer> server_;
  uint32_t older_ = 0;
  uint32_t newer_ = 0;
  bool swapped_back_ = false;
};

// The restore of backup 2 copies backup 1's files under its name; they are put back before the
// check. Refused, naming the backup and that its files changed during the restore, the data
// folder as it was (the record only in backup 2 still answers NOT_CLEAR). Backup 2 itself, its
// files as they were, restores as ever.
TEST_F(BackupSwapTest, FilesSwappedBackDuringARestoreGetTheRestoreRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  server_->Stop();
  const auto before = DataFolder();
  ASSERT_NO_FATAL_FAILURE(ForgeTheNewerAsTheOlder());
  int applied = -1;
  const absl::Status refused = server::RestoreBackup(
      server_->config(), newer_, &applied, nullptr, nullptr, nullptr,
      [&] { PutTheRealFilesBack(); });
  ASSERT_TRUE(swapped_back_);
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
  const std::string said(refused.message());
  EXPECT_THAT(said, HasSubstr(absl::StrCat("backup ", newer_, "'s files changed")));
  EXPECT_THAT(said, HasSubstr("during the restore"));
  EXPECT_THAT(said, HasSubstr("was not changed"));
  EXPECT_THAT(said, Not(HasSubstr(ExampleRecord().person().surname())));
  EXPECT_EQ(applied, -1);
  EXPECT_TRUE(DataFolder() == before) << "a refused restore changed the data folder";
  EXPECT_TRUE(storage::Backups::KeptBeforeRestore(server_->config().data_dir()).empty());
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  server_->Stop();
  const absl::Status restored = server::RestoreBackup(server_->config(), newer_, &applied);
  EXPECT_TRUE(restored.ok()) << restored;
}

// The same swap during a verification: the copy checked is backup 1's files, so backup 2 is not
// called sound, whatever the folder holds once the check is over; checked again, its files as
// they were, it is.
TEST_F(BackupSwapTest, FilesSwappedBackDuringAVerificationGetTheBackupFailed) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  ASSERT_NO_FATAL_FAILURE(ForgeTheNewerAsTheOlder());
  absl::StatusOr<v1::VerifyBackupResponse> r = server::CheckBackup(
      server_->config(), newer_, *server_->server()->audit_log(), *server_->server()->database(),
      [&] { PutTheRealFilesBack(); });
  ASSERT_TRUE(swapped_back_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->ok());
  EXPECT_THAT(r->problems(), Contains(HasSubstr(absl::StrCat("backup ", newer_,
                                                             "'s files changed"))));
  const v1::VerifyBackupResponse again = VerifyBackup(newer_);
  EXPECT_TRUE(again.ok()) << (again.problems_size() > 0 ? again.problems(0) : "");
}

// The record covers the meta file byte for byte: its sequence-number line edited, the backup is
// not called sound, and a restore refuses it and leaves the data folder as it was.
TEST_F(BackupSwapTest, AnEditedSequenceNumberGetsTheBackupRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  ASSERT_TRUE(VerifyBackup(newer_).ok());
  ASSERT_NO_FATAL_FAILURE(EditTheSequenceNumber(newer_));
  const v1::VerifyBackupResponse resp = VerifyBackup(newer_);
  EXPECT_FALSE(resp.ok());
  EXPECT_THAT(resp.problems(), Contains(HasSubstr("is not as this registry made it")));
  server_->Stop();
  const auto before = DataFolder();
  int applied = -1;
  const absl::Status refused = server::RestoreBackup(server_->config(), newer_, &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("is not as this registry made it"));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("was not changed"));
  EXPECT_EQ(applied, -1);
  EXPECT_TRUE(DataFolder() == before) << "a refused restore changed the data folder";
}

// A backup's meta file with its metadata line (the erasures it records, hex-encoded as the file
// holds it) made to claim `applied` erasures, the last with a MAC no ledger holds.
void ClaimErasures(const std::string& meta_path, uint64_t applied) {
  std::vector<std::string> lines = absl::StrSplit(ReadBinary(meta_path), '\n');
  const std::string claim = absl::StrCat("erasures-applied/v1 ", applied, " ",
                                         std::string(64, 'a'));
  bool edited = false;
  for (std::string& line : lines) {
    if (absl::StartsWith(line, "metadata ")) {
      line = absl::StrCat("metadata ", absl::BytesToHexString(claim));
      edited = true;
    }
  }
  ASSERT_TRUE(edited) << meta_path << " has no metadata line";
  ASSERT_NO_FATAL_FAILURE(WriteFile(meta_path, absl::StrJoin(lines, "\n")));
}

// Whoever may write the backup folder, without the key file, adds backup 7: backup `from`'s
// files and meta file, its metadata line claiming 5 erasures, and no record of authentication.
void ForgeBackup7ClaimingErasures(const std::string& dir, uint32_t from) {
  const std::string meta = absl::StrCat(dir, "/meta/", from);
  fs::copy(absl::StrCat(dir, "/private/", from), dir + "/private/7",
           fs::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(WriteFile(
      dir + "/meta/7", absl::StrReplaceAll(ReadBinary(meta), {{absl::StrCat("private/", from, "/"),
                                                               "private/7/"}})));
  ASSERT_NO_FATAL_FAILURE(ClaimErasures(dir + "/meta/7", 5));
  ASSERT_FALSE(fs::exists(dir + "/auth/7"));
}

v1::ListBackupsResponse ListBackups(const TestServer& server) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::ListBackupsResponse resp;
  const grpc::Status s = v1::AdminService::NewStub(server.Channel("admin"))
                             ->ListBackups(&ctx, v1::ListBackupsRequest(), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

// A backup registryd did not make, claiming more erasures than the ledger holds, had the start,
// a restore of a sound backup and --verify_data refused for a ledger "truncated, replaced or
// lost", which no ledger could satisfy; only deleting the backup cleared it. Only a backup this
// registry made binds the ledger: the start goes on and names the backup in its log, the
// others restore, and `admin backups` lists it as not made here.
TEST_F(BackupSwapTest, AForgedBackupClaimingMoreErasuresDoesNotStopTheStartOrARestore) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(ForgeBackup7ClaimingErasures(Dir(), older_));
  const std::string named = absl::StrCat("backup 7 in ", Dir(), " is not as this registry made it");
  ::testing::internal::CaptureStderr();
  const absl::Status started = server_->Restart();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_THAT(log, HasSubstr(named));
  EXPECT_THAT(log, HasSubstr("no record that this registry made it"));
  EXPECT_THAT(log, Not(HasSubstr(ExampleRecord().person().surname())));
  EXPECT_EQ(VetAs(*server_, "vetting", ExampleRecord().person()), v1::VETTING_RESULT_NOT_CLEAR);
  const v1::ListBackupsResponse listed = ListBackups(*server_);
  ASSERT_EQ(listed.backups_size(), 3) << listed.DebugString();
  EXPECT_EQ(listed.backups(0).backup_id(), older_);
  EXPECT_EQ(listed.backups(0).damaged(), "");
  EXPECT_EQ(listed.backups(1).backup_id(), newer_);
  EXPECT_EQ(listed.backups(1).damaged(), "");
  EXPECT_EQ(listed.backups(2).backup_id(), 7u);
  EXPECT_THAT(listed.backups(2).damaged(), HasSubstr(named));
  EXPECT_THAT(listed.backups(2).damaged(), HasSubstr("Move it out of the backup folder"));
  server_->Stop();
  absl::StatusOr<storage::DataCheckReport> verified = server::VerifyDataOffline(server_->config());
  EXPECT_TRUE(verified.ok()) << verified.status();
  int applied = -1;
  const absl::Status restored = server::RestoreBackup(server_->config(), older_, &applied);
  EXPECT_TRUE(restored.ok()) << restored;
  EXPECT_EQ(applied, 0);
  ASSERT_TRUE(server_->Restart().ok());
}

// Only the metadata line of a backup registryd made edited to claim erasures the ledger does not
// hold: its record of authentication no longer fits it, and the start and a restore of another
// backup go on; backup and start name it.
TEST_F(BackupSwapTest, ABackupWithItsMetadataLineEditedDoesNotStopTheStartOrARestore) {
  ASSERT_NO_FATAL_FAILURE(StartWithTwoBackups());
  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(ClaimErasures(Meta(newer_), 5));
  ::testing::internal::CaptureStderr();
  const absl::Status started = server_->Restart();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_THAT(log, HasSubstr(absl::StrCat("backup ", newer_, " in ", Dir(),
                                          " is not as this registry made it (its record of "
                                          "authentication does not fit it)")));
  const v1::ListBackupsResponse listed = ListBackups(*server_);
  ASSERT_EQ(listed.backups_size(), 2) << listed.DebugString();
  EXPECT_EQ(listed.backups(0).damaged(), "");
  EXPECT_THAT(listed.backups(1).damaged(), HasSubstr("is not as this registry made it"));
  server_->Stop();
  int applied = -1;
  const absl::Status restored = server::RestoreBackup(server_->config(), older_, &applied);
  EXPECT_TRUE(restored.ok()) << restored;
  ASSERT_TRUE(server_->Restart().ok());
}

// A restore refused because the ledger does not hold a newer backup's erasures (the data
// folder, the ledger and the watermark put back together from before an erasure) named the
// staging folder, deleted by then, as "the data folder" to put back: it names the data folder.
TEST_F(BackupSwapTest, ARestoreRefusedForTheLedgerNamesTheRealDataFolder) {
  server_ = TestServer::Start();
  CreatedRecordId(*server_, "clerk", FictionalRecord(3));
  const std::string erased = CreatedRecordId(*server_, "clerk", ExampleRecord());
  older_ = CreatedBackup(*server_).backup_id();
  ASSERT_NE(older_, 0u);
  server_->Stop();
  const v1::ServerConfig config = server_->config();
  const std::string copies = MakeTempDir("ledger-put-back");
  fs::copy(config.data_dir(), copies + "/earlier", fs::copy_options::recursive);
  const std::string older_ledger = ReadBinary(config.erasure_ledger_file());
  const std::string older_watermark = ReadBinary(config.audit_watermark_file());
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", erased).ok());
  newer_ = CreatedBackup(*server_).backup_id();
  ASSERT_GT(newer_, older_);
  server_->Stop();
  fs::remove_all(config.data_dir());
  fs::copy(copies + "/earlier", config.data_dir(), fs::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(WriteFile(config.erasure_ledger_file(), older_ledger));
  ASSERT_NO_FATAL_FAILURE(WriteFile(config.audit_watermark_file(), older_watermark));
  int applied = -1;
  const absl::Status refused = server::RestoreBackup(config, older_, &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  const std::string said(refused.message());
  EXPECT_THAT(said, HasSubstr(absl::StrCat("backup ", newer_, " in ", config.backup_dir(),
                                           " recorded that it held 1 erasure")));
  EXPECT_THAT(said, HasSubstr(absl::StrCat("The data folder ", config.data_dir(),
                                           " and the audit watermark")));
  EXPECT_THAT(said, Not(HasSubstr("restore-staging")));
  EXPECT_EQ(applied, -1);
}

}  // namespace
}  // namespace registry::testing
