// Backups: the dates a backup folder records are not believed beyond what can be true. A meta
// file edited to a later date lists no later than now and no later than the newer backups, and
// retention prunes it by that date.
#include "storage/backups.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/public_status.h"
#include "storage/database.h"
#include "tests/testing/data_files.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 2061-11-24: a date no backup made today can bear.
constexpr int64_t kFutureSeconds = 2900000000;

class BackupsTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::MakeTempDir("registry-backups-test"); }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  std::string backup_dir() const { return root_ + "/backups"; }

  // Makes `count` backups of a database with one more entry in each; their ids are 1..count.
  void MakeBackups(int count) {
    DatabaseOptions options;
    options.path = root_ + "/data";
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    absl::StatusOr<std::unique_ptr<Backups>> backups = Backups::Open(backup_dir());
    ASSERT_TRUE(backups.ok()) << backups.status();
    for (int i = 1; i <= count; ++i) {
      Batch batch;
      batch.Put(Cf::kMeta, absl::StrCat("entry-", i), "value");
      ASSERT_TRUE((*db)->Write(batch).ok());
      absl::StatusOr<Backups::Info> made = (*backups)->Create(db->get());
      ASSERT_TRUE(made.ok()) << made.status();
      ASSERT_EQ(made->id, static_cast<uint32_t>(i));
    }
  }

  // Writes `unix_seconds` over the date in backup `id`'s meta file (its first line), as one
  // editing the folder by hand would.
  void EditRecordedDate(uint32_t id, int64_t unix_seconds) {
    const std::string path = absl::StrCat(backup_dir(), "/meta/", id);
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    std::string first;
    std::getline(in, first);
    ASSERT_FALSE(first.empty());
    for (char c : first) ASSERT_TRUE(absl::ascii_isdigit(c)) << "the first line is the date";
    std::stringstream rest;
    rest << in.rdbuf();
    in.close();
    std::ofstream out(path, std::ios::trunc);
    out << unix_seconds << "\n" << rest.str();
    ASSERT_TRUE(out.good()) << path;
  }

  // Edits the checksum on line 4 of backup `id`'s meta file (its first file's) to a number no
  // checksum can be, as `sed -i '4s/crc32 [0-9]/crc32 9/'` does to most.
  void SpoilAChecksum(uint32_t id) {
    const std::string path = absl::StrCat(backup_dir(), "/meta/", id);
    std::vector<std::string> lines = absl::StrSplit(testing::ReadFileOrDie(path), '\n');
    ASSERT_GT(lines.size(), 4u) << path;
    // The first file's line: after the date, the sequence number, the backup's own metadata
    // line (how far it had applied the erasure ledger) and the count of files.
    size_t first = 3;
    while (first < lines.size() && lines[first].find(" crc32 ") == std::string::npos) ++first;
    ASSERT_LT(first, lines.size()) << path;
    const size_t crc = lines[first].find(" crc32 ");
    lines[first] = absl::StrCat(lines[first].substr(0, crc), " crc32 99999999999");
    std::ofstream out(path, std::ios::trunc);
    out << absl::StrJoin(lines, "\n");
    ASSERT_TRUE(out.good()) << path;
  }

  // The backup folder opened afresh, so that the engine reads the meta files as they are now.
  std::unique_ptr<Backups> Reopen() {
    absl::StatusOr<std::unique_ptr<Backups>> backups = Backups::Open(backup_dir());
    EXPECT_TRUE(backups.ok()) << backups.status();
    return backups.ok() ? *std::move(backups) : nullptr;
  }

  std::string root_;
};

TEST_F(BackupsTest, ABackupDatedInTheFutureIsListedNoLaterThanNowNorThanANewerBackup) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(2, kFutureSeconds));
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);

  const std::vector<Backups::Info> all = backups->List();
  const absl::Time listed_by = absl::Now();
  ASSERT_EQ(all.size(), 3u);
  const Backups::Info& edited = all[1];
  const Backups::Info& newer = all[2];
  EXPECT_EQ(edited.id, 2u);
  EXPECT_EQ(edited.stored_created_at, absl::FromUnixSeconds(kFutureSeconds))
      << "the recorded date stays available";
  EXPECT_LE(edited.created_at, newer.created_at);
  EXPECT_LE(edited.created_at, listed_by);
  EXPECT_TRUE(edited.date_not_believed());
  EXPECT_FALSE(all[0].date_not_believed()) << "the older backup's date is true";
  EXPECT_FALSE(newer.date_not_believed()) << "the newer backup's date is true";
  EXPECT_LE(all[0].created_at, edited.created_at);
}

TEST_F(BackupsTest, ABackupDatedInTheFutureIsExpiredByAgeAsItsNewerNeighboursDateSays) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  const absl::Time now = absl::Now();
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(1, absl::ToUnixSeconds(now - absl::Hours(24 * 50))));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(2, kFutureSeconds));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(3, absl::ToUnixSeconds(now - absl::Hours(24 * 40))));
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);

  const std::vector<Backups::Info> all = backups->List();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].created_at, all[2].created_at) << "dated as its newer neighbour";
  // Forty days old by its neighbour: kept for 45 days, pruned after 35 (the newest never is).
  EXPECT_THAT(backups->Expired(100, absl::Hours(24 * 45), now), ElementsAre(1u));
  EXPECT_THAT(backups->Expired(100, absl::Hours(24 * 35), now), ElementsAre(1u, 2u));
}

TEST_F(BackupsTest, AnEditedNewestBackupDoesNotPutItsAgeNegative) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(2));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(2, kFutureSeconds));
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);

  const std::vector<Backups::Info> all = backups->List();
  const absl::Time listed_by = absl::Now();
  ASSERT_EQ(all.size(), 2u);
  const Backups::Info& newest = all.back();
  EXPECT_EQ(newest.id, 2u);
  EXPECT_GE(listed_by - newest.created_at, absl::ZeroDuration()) << "its age";
  EXPECT_TRUE(newest.date_not_believed());
  EXPECT_LE(all[0].created_at, newest.created_at);
  EXPECT_FALSE(all[0].date_not_believed());
}

// The files a backup folder holds, each with its size, by path.
std::map<std::string, uintmax_t> FilesIn(const std::string& dir) {
  std::map<std::string, uintmax_t> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    files[entry.path().string()] = entry.is_regular_file() ? entry.file_size() : 0;
  }
  return files;
}

// A backup whose meta file does not parse (one checksum edited out of range, as `sed -i
// '4s/crc32 [0-9]/crc32 9/'` does) was left out by RocksDB's engine without a word: the backup
// was not listed, and verifying it said there was no such backup.
TEST_F(BackupsTest, ABackupWhoseMetaFileIsEditedIsListedAsDamagedAndFailsVerification) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  ASSERT_NO_FATAL_FAILURE(SpoilAChecksum(3));
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);

  std::vector<uint32_t> listed;
  for (const Backups::Info& info : backups->List()) listed.push_back(info.id);
  EXPECT_THAT(listed, ElementsAre(1u, 2u));
  const std::vector<Backups::Damaged> damaged = backups->ListDamaged();
  ASSERT_EQ(damaged.size(), 1u);
  EXPECT_EQ(damaged[0].id, 3u);
  EXPECT_THAT(damaged[0].reason, HasSubstr(backup_dir() + "/meta/3"));

  const absl::Status verified = backups->Verify(3);
  EXPECT_TRUE(absl::IsDataLoss(verified)) << verified;
  EXPECT_THAT(verified.message(), HasSubstr("backup 3 is damaged"));
  EXPECT_TRUE(absl::IsNotFound(backups->Verify(4)));
  EXPECT_TRUE(backups->Verify(2).ok());

  // Read without the engine's writes, for the offline modes.
  absl::StatusOr<std::vector<Backups::Damaged>> offline = Backups::DamagedIn(backup_dir());
  ASSERT_TRUE(offline.ok()) << offline.status();
  ASSERT_EQ(offline->size(), 1u);
  EXPECT_EQ((*offline)[0].id, 3u);
}

using ::registry::testing::EditSharedChecksum;

// One digit of one checksum changed in a backup's record, still a number: two records then
// describe a shared table file differently, and RocksDB's engine asserted on it, aborting
// registryd at every start, --check_config and restore. Later every opening refused with
// DataLoss, so that no backup could be listed, verified, restored or made. The file's own
// checksum tells which record is wrong: that backup is listed as damaged, naming the file, the
// backups that describe it otherwise and what to do, and the others are listed, verified and
// restored as ever. No backup is made or pruned until the records agree (the engine's garbage
// collection would delete the set-aside backup's files), and the refusal says why.
TEST_F(BackupsTest, TwoRecordsThatDescribeASharedFileDifferentlySetTheWrongOneAsideAsDamaged) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  const std::string file = EditSharedChecksum(backup_dir(), 2, "12345");
  ASSERT_FALSE(file.empty());

  absl::StatusOr<std::unique_ptr<Backups>> opened = Backups::Open(backup_dir());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Backups& backups = **opened;
  std::vector<uint32_t> listed;
  for (const Backups::Info& info : backups.List()) listed.push_back(info.id);
  EXPECT_THAT(listed, ElementsAre(1, 3));
  const std::vector<Backups::Damaged> damaged = backups.ListDamaged();
  ASSERT_EQ(damaged.size(), 1u);
  EXPECT_EQ(damaged[0].id, 2u);
  EXPECT_THAT(damaged[0].reason, HasSubstr(absl::StrCat("describes the shared file ", file,
                                                        " differently from backup")));
  EXPECT_THAT(damaged[0].reason,
              HasSubstr(absl::StrCat("move ", backup_dir(), "/meta/2 out of ", backup_dir(),
                                     "/meta")));

  const absl::Status verified = backups.Verify(2);
  EXPECT_TRUE(absl::IsDataLoss(verified)) << verified;
  EXPECT_THAT(verified.message(), HasSubstr("backup 2 is damaged"));
  EXPECT_TRUE(backups.Verify(1).ok());
  EXPECT_TRUE(backups.Verify(3).ok());

  DatabaseOptions options;
  options.path = root_ + "/data";
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  const absl::StatusOr<Backups::Info> made = backups.Create(db->get());
  ASSERT_TRUE(absl::IsFailedPrecondition(made.status())) << made.status();
  EXPECT_TRUE(IsPublicError(made.status()));
  EXPECT_THAT(made.status().message(), HasSubstr("no backup can be made or pruned in "));
  EXPECT_THAT(made.status().message(), HasSubstr("backups 2 describe"));
  EXPECT_TRUE(absl::IsFailedPrecondition(backups.Delete({1})));
  db->reset();

  // Read without the engine's writes, for the offline modes; a restore takes the others.
  absl::StatusOr<std::vector<Backups::Damaged>> offline = Backups::DamagedIn(backup_dir());
  ASSERT_TRUE(offline.ok()) << offline.status();
  ASSERT_EQ(offline->size(), 1u);
  EXPECT_EQ((*offline)[0].id, 2u);
  const absl::StatusOr<uint32_t> newest = Backups::ChooseForRestore(backup_dir(), 0);
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(*newest, 3u);
  EXPECT_TRUE(absl::IsDataLoss(Backups::ChooseForRestore(backup_dir(), 2).status()));
  EXPECT_TRUE(Backups::Restore(backup_dir(), root_ + "/restored", 3).ok());

  // Once the wrong record is moved out, backups are made again.
  std::filesystem::rename(backup_dir() + "/meta/2", root_ + "/meta-2-edited");
  opened->reset();
  std::unique_ptr<Backups> reopened = Reopen();
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->ListDamaged().empty());
  db = Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(reopened->Create(db->get()).ok());
}

// When the file bears out neither record (both were edited), every backup that describes it is
// set aside: which is right cannot be told, and the message says so.
TEST_F(BackupsTest, TwoRecordsThatDescribeASharedFileDifferentlyFromTheFileAreBothDamaged) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(2));
  const std::string file = EditSharedChecksum(backup_dir(), 1, "12345");
  ASSERT_EQ(EditSharedChecksum(backup_dir(), 2, "67890", file), file);
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);
  EXPECT_TRUE(backups->List().empty());
  const std::vector<Backups::Damaged> damaged = backups->ListDamaged();
  ASSERT_EQ(damaged.size(), 2u);
  EXPECT_EQ(damaged[0].id, 1u);
  EXPECT_EQ(damaged[1].id, 2u);
  EXPECT_THAT(damaged[0].reason, HasSubstr("differently from backup 2 "));
  EXPECT_THAT(damaged[1].reason, HasSubstr("the file bears out neither"));
  EXPECT_TRUE(absl::IsNotFound(Backups::ChooseForRestore(backup_dir(), 0).status()) ||
              absl::IsFailedPrecondition(Backups::ChooseForRestore(backup_dir(), 0).status()));
}

// A meta file cut short, or a backup's meta and private files swapped with another's, is as
// damaged.
TEST_F(BackupsTest, AMetaFileCutShortOrSwappedWithAnotherIsDamaged) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  const std::string meta = backup_dir() + "/meta/";
  const std::string kept = testing::ReadFileOrDie(meta + "2");
  std::ofstream(meta + "2", std::ios::trunc) << kept.substr(0, kept.size() / 2);
  std::filesystem::rename(meta + "1", meta + "x");
  std::filesystem::rename(meta + "3", meta + "1");
  std::filesystem::rename(meta + "x", meta + "3");
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);
  std::vector<uint32_t> damaged;
  for (const Backups::Damaged& d : backups->ListDamaged()) damaged.push_back(d.id);
  EXPECT_THAT(damaged, ::testing::IsSupersetOf({2u}));
  for (uint32_t id : damaged) EXPECT_TRUE(absl::IsDataLoss(backups->Verify(id))) << id;
  // Whatever the engine made of the swapped ones, none goes unnamed.
  std::vector<uint32_t> all = damaged;
  for (const Backups::Info& info : backups->List()) all.push_back(info.id);
  std::sort(all.begin(), all.end());
  EXPECT_THAT(all, ElementsAre(1u, 2u, 3u));
}

// A restore of the newest backup (id 0) quietly restored the one before a damaged newest one.
// It is refused, naming the damaged backup and the id of the older one to restore instead; a
// damaged backup named by its id is refused too; the backup folder is not changed by either, and
// nothing is left beside the data folder.
TEST_F(BackupsTest, ARestoreOfTheNewestRefusesADamagedNewestBackupRatherThanAnOlderOne) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  ASSERT_NO_FATAL_FAILURE(SpoilAChecksum(3));
  const auto files = FilesIn(backup_dir());
  const std::string data_dir = root_ + "/restored";

  absl::StatusOr<uint32_t> chosen = Backups::ChooseForRestore(backup_dir(), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(chosen.status())) << chosen.status();
  EXPECT_THAT(chosen.status().message(), HasSubstr("backup 3 is damaged"));
  EXPECT_THAT(chosen.status().message(), HasSubstr("registryd --restore_backup 2"));
  chosen = Backups::ChooseForRestore(backup_dir(), 3);
  EXPECT_TRUE(absl::IsDataLoss(chosen.status())) << chosen.status();
  EXPECT_THAT(chosen.status().message(), HasSubstr("backup 3 is damaged"));
  EXPECT_TRUE(absl::IsNotFound(Backups::ChooseForRestore(backup_dir(), 9).status()));
  chosen = Backups::ChooseForRestore(backup_dir(), 2);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(*chosen, 2u);

  absl::StatusOr<std::unique_ptr<Backups::Staged>> staged =
      Backups::Stage(backup_dir(), data_dir, 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(staged.status())) << staged.status();
  EXPECT_THAT(staged.status().message(), HasSubstr("backup 3 is damaged"));
  staged = Backups::Stage(backup_dir(), data_dir, 3);
  EXPECT_TRUE(absl::IsDataLoss(staged.status())) << staged.status();
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr("restore-staging")));
  }
  EXPECT_EQ(FilesIn(backup_dir()), files) << "the backup folder is as it was";

  staged = Backups::Stage(backup_dir(), data_dir, 2);
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ((*staged)->backup_id(), 2u);
}

// With nothing damaged, 0 is the newest backup; an absent folder holds none and is not made.
TEST_F(BackupsTest, TheNewestIsChosenWhenNothingIsDamagedAndNoFolderIsMadeToLook) {
  absl::StatusOr<uint32_t> chosen = Backups::ChooseForRestore(backup_dir(), 0);
  EXPECT_TRUE(absl::IsNotFound(chosen.status())) << chosen.status();
  absl::StatusOr<std::vector<Backups::Damaged>> damaged = Backups::DamagedIn(backup_dir());
  ASSERT_TRUE(damaged.ok()) << damaged.status();
  EXPECT_TRUE(damaged->empty());
  EXPECT_FALSE(std::filesystem::exists(backup_dir()));
  ASSERT_NO_FATAL_FAILURE(MakeBackups(2));
  chosen = Backups::ChooseForRestore(backup_dir(), 0);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(*chosen, 2u);
}

}  // namespace
}  // namespace registry::storage
