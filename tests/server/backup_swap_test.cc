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

}  // namespace
}  // namespace registry::testing
