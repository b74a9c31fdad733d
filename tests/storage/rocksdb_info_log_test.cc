// RocksDbInfoLog: RocksDB's own log, which a write error (a full disk) must never turn into the
// end of the process, and which goes on once the file can be written again.
#include "storage/rocksdb_info_log.h"

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "storage/database.h"
#include "tests/testing/data_files.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> LogsIn(const std::string& dir) {
  std::vector<std::string> logs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "LOG")) logs.push_back(name);
  }
  return logs;
}

// The log's file is a full disk (/dev/full: every write fails with ENOSPC), then a file that
// takes writes again: the lines meanwhile are dropped, without an abort, and the next ones are
// written. RocksDB's logger stayed in its error state and failed an assertion at the next line.
TEST(RocksDbInfoLogTest, ALineThatCannotBeWrittenIsDroppedAndTheLogGoesOn) {
  const std::string dir = testing::MakeTempDir("registry-info-log-test");
  const std::string file = dir + "/LOG";
  const std::string disk = dir + "/disk";
  ASSERT_EQ(::symlink("/dev/full", file.c_str()), 0);
  RocksDbInfoLog log(file, rocksdb::InfoLogLevel::WARN_LEVEL);
  for (int i = 0; i < 3; ++i) {
    rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, &log, "lost line %d", i);
  }
  EXPECT_EQ(log.dropped(), 3u);
  EXPECT_EQ(log.written(), 0u);

  // Space returns (the link now leads to a file that takes writes).
  ASSERT_EQ(::unlink(file.c_str()), 0);
  ASSERT_EQ(::symlink(disk.c_str(), file.c_str()), 0);
  rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, &log, "kept line %s", "after");
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, &log, "%s", std::string(2000, 'x').c_str());
  EXPECT_EQ(log.written(), 2u);
  const std::string text = testing::ReadFileOrDie(disk);
  EXPECT_THAT(text, HasSubstr("[ERROR] kept line after\n"));
  EXPECT_THAT(text, HasSubstr("[WARN] " + std::string(2000, 'x') + "\n"));
  EXPECT_THAT(text, Not(HasSubstr("lost line")));
}

// A descriptor closed under the log (an I/O error on its file): the line is dropped and the file
// opened again for the next one.
TEST(RocksDbInfoLogTest, AFailedWriteOpensTheFileAgainForTheNextLine) {
  const std::string dir = testing::MakeTempDir("registry-info-log-test");
  const std::string file = dir + "/LOG";
  RocksDbInfoLog log(file, rocksdb::InfoLogLevel::WARN_LEVEL);
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, &log, "first");
  ASSERT_EQ(log.written(), 1u);
  // The log's descriptor, found by the file it has open, is taken away under it.
  int taken = -1;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec) == std::filesystem::path(file)) {
      taken = std::stoi(entry.path().filename().string());
    }
  }
  ASSERT_GE(taken, 0);
  ASSERT_EQ(::close(taken), 0);
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, &log, "second");
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, &log, "third");
  EXPECT_EQ(log.dropped(), 1u);
  EXPECT_EQ(log.written(), 2u);
  const std::string text = testing::ReadFileOrDie(file);
  EXPECT_THAT(text, HasSubstr("[WARN] first\n"));
  EXPECT_THAT(text, HasSubstr("[WARN] third\n"));
}

// The full disk under a whole database, without a mount: a file size limit makes every write
// past it fail (EFBIG) as a full disk fails them. A write fails, RocksDB warns of its background
// error while its log cannot be written either; once writes fit again, checking the table files
// makes RocksDB warn again (opening each file). RocksDB's logger, failed at the first warning,
// aborted the process on its assertion at the second ("sync_without_flush_called_"): the
// crash of `registry-cli admin verify-data` after a full disk was freed. In a child process, for
// the limit.
void WarnAfterAFailedLogWrite(const std::string& dir) {
  DatabaseOptions options;
  options.path = dir;
  options.reserve_bytes = 0;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
  if (!db.ok()) std::_Exit(2);
  Batch batch;
  batch.Put(Cf::kMeta, "k", std::string(1000, 'v'));
  if (!(*db)->Write(batch).ok() || !(*db)->Flush().ok()) std::_Exit(3);
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) != 0) std::_Exit(4);
  const rlimit full = {1, limit.rlim_max};
  if (::setrlimit(RLIMIT_FSIZE, &full) != 0) std::_Exit(5);
  if ((*db)->Write(batch).ok()) std::_Exit(6);  // the disk is full
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) std::_Exit(7);
  (*db)->VerifyTableChecksums().IgnoreError();
  (*db)->VerifyTableChecksums().IgnoreError();
  std::_Exit(0);
}

TEST(RocksDbInfoLogDeathTest, AWarningAfterTheLogMetAFullDiskDoesNotEndTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string dir = testing::MakeTempDir("registry-info-log-test") + "/data";
  EXPECT_EXIT(WarnAfterAFailedLogWrite(dir), ::testing::ExitedWithCode(0), "");
}

// Warnings and errors only (docs/security.md row 78), in LOG, made at open as RocksDB's logger
// made it; a reopen keeps the previous log aside as LOG.old.<time>, which RocksDB prunes.
TEST(RocksDbInfoLogTest, TheDatabasesLogKeepsWarningsOnlyAndIsRotatedAtOpen) {
  const std::string dir = testing::MakeTempDir("registry-info-log-test") + "/data";
  DatabaseOptions options;
  options.path = dir;
  options.reserve_bytes = 0;
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    Batch batch;
    batch.Put(Cf::kMeta, "k", "v");
    ASSERT_TRUE((*db)->Write(batch).ok());
    ASSERT_TRUE((*db)->Flush().ok());
  }
  EXPECT_EQ(std::filesystem::status(dir + "/LOG").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string text = testing::ReadFileOrDie(dir + "/LOG");
  EXPECT_THAT(text, Not(HasSubstr("Manual flush")));
  EXPECT_THAT(text, Not(HasSubstr("EVENT_LOG_v1")));
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
  }
  EXPECT_THAT(LogsIn(dir), ::testing::UnorderedElementsAre("LOG", ::testing::StartsWith(
                                                                      "LOG.old.")));
}

}  // namespace
}  // namespace registry::storage
