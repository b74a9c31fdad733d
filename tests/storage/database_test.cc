// Database: every column family is opened, writes are atomic and durable across a reopen, a
// failed write leaves nothing behind, and key encodings sort numerically.
#include "storage/database.h"

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "crypto/secret_bytes.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "storage/backups.h"
#include "tests/testing/data_files.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

constexpr Cf kAllFamilies[] = {Cf::kRecords, Cf::kVersions, Cf::kIndex, Cf::kExpiry,
                               Cf::kChecks,  Cf::kAudit,    Cf::kMerkle, Cf::kMeta};
static_assert(sizeof(kAllFamilies) / sizeof(kAllFamilies[0]) == static_cast<int>(Cf::kCount));

// A write of `value` under `key` in `family`.
struct Entry {
  Cf family;
  std::string key;
  std::string value;
};

// One batch that writes every entry.
Batch BatchOf(const std::vector<Entry>& entries) {
  Batch batch;
  for (const Entry& entry : entries) batch.Put(entry.family, entry.key, entry.value);
  return batch;
}

// The value under `key` in `family`, nullopt when there is none; a failed read fails the test.
std::optional<std::string> Stored(const Database& db, Cf family, absl::string_view key) {
  absl::StatusOr<std::optional<std::string>> value = db.Get(family, key);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : std::nullopt;
}

// Every entry is stored in `db`.
void ExpectStored(const Database& db, const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) {
    EXPECT_EQ(Stored(db, entry.family, entry.key), entry.value) << CfName(entry.family);
  }
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::MakeTempDir("registry-database-test"); }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  std::unique_ptr<Database> OpenOrDie(WriteFaultInjector* injector = nullptr) {
    DatabaseOptions options;
    options.path = path();
    options.seams.fault_injector = injector;
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  std::string path() const { return root_ + "/data"; }

  // 2000 rows of 200 bytes in the audit family, flushed: a table file of many data blocks, of
  // which opening the database reads none.
  static void WriteTableFileOfAuditRows(Database* db) {
    std::vector<Entry> entries;
    for (int i = 0; i < 2000; ++i) {
      entries.push_back(
          {Cf::kAudit, absl::StrCat("event-", 100000 + i), std::string(200, 'a' + i % 26)});
    }
    ASSERT_TRUE(db->Write(BatchOf(entries)).ok());
    ASSERT_TRUE(db->Flush().ok());
  }

  // Writes `entries` in one batch (and flushes them to a table file when `flush`), closes the
  // database and opens it again: every entry is still stored.
  void ExpectKeptAcrossAReopen(const std::vector<Entry>& entries, bool flush) {
    {
      std::unique_ptr<Database> db = OpenOrDie();
      ASSERT_NE(db, nullptr);
      ASSERT_TRUE(db->Write(BatchOf(entries)).ok());
      if (flush) {
        ASSERT_TRUE(db->Flush().ok());
      }
    }
    std::unique_ptr<Database> db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ExpectStored(*db, entries);
  }

  std::string root_;
};

TEST_F(DatabaseTest, OpensEveryColumnFamily) {
  std::unique_ptr<Database> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_STREQ(CfName(Cf::kRecords), "records");
  EXPECT_STREQ(CfName(Cf::kMeta), "meta");
  EXPECT_EQ(db->path(), path());
  db.reset();

  // The families exist on disk, not only in memory.
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path(), &names).ok());
  for (Cf family : kAllFamilies) {
    EXPECT_NE(std::find(names.begin(), names.end(), CfName(family)), names.end())
        << CfName(family);
  }
}

TEST_F(DatabaseTest, WriteThenGetRoundTripsPerFamily) {
  std::unique_ptr<Database> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  const std::vector<Entry> entries = {
      {Cf::kRecords, "key", "in records"},
      {Cf::kMeta, "key", "in meta"},
      {Cf::kAudit, std::string("bin\0ary", 7), std::string("\0\xff\x01", 3)},
  };
  ASSERT_TRUE(db->Write(BatchOf(entries)).ok());
  ExpectStored(*db, entries);

  // Families are separate key spaces, and absence is not an error.
  EXPECT_EQ(Stored(*db, Cf::kVersions, "key"), std::nullopt);
  EXPECT_EQ(Stored(*db, Cf::kRecords, "no such key"), std::nullopt);
}

// A scan that bypasses the block cache reads every value and leaves the cache as it found it; a
// scan that fills it leaves the blocks it read behind.
TEST_F(DatabaseTest, ABypassingScanReadsEverythingAndLeavesTheCacheAlone) {
  {
    std::unique_ptr<Database> db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    for (int b = 0; b < 20; ++b) {
      storage::Batch batch;
      for (int i = 0; i < 100; ++i) {
        batch.Put(Cf::kAudit, EncodeU64(static_cast<uint64_t>(b * 100 + i)), std::string(500, 'e'));
      }
      ASSERT_TRUE(db->Write(batch).ok());
    }
    ASSERT_TRUE(db->Flush().ok());
  }
  std::unique_ptr<Database> db = OpenOrDie();  // a cold cache
  ASSERT_NE(db, nullptr);
  const auto scan = [&](BlockCache cache) {
    int n = 0;
    std::unique_ptr<Iterator> it = db->NewIterator(Cf::kAudit, cache);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok()) << it->status();
    return n;
  };
  auto before = db->BlockCacheBytes();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(scan(BlockCache::kBypass), 2000);
  auto after_bypass = db->BlockCacheBytes();
  ASSERT_TRUE(after_bypass.ok()) << after_bypass.status();
  // About 1 MB of values was read; the index and filter blocks it needed may have been loaded.
  EXPECT_LT(*after_bypass, *before + 64 * 1024) << *before << " -> " << *after_bypass;
  EXPECT_EQ(scan(BlockCache::kFill), 2000);
  auto after_fill = db->BlockCacheBytes();
  ASSERT_TRUE(after_fill.ok()) << after_fill.status();
  EXPECT_GT(*after_fill, *after_bypass + 900 * 1000) << *after_bypass << " -> " << *after_fill;
}

TEST_F(DatabaseTest, IteratorSeesWrittenKeysInOrder) {
  std::unique_ptr<Database> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  storage::Batch batch;
  for (uint64_t v : {300u, 2u, 70000u, 1u}) batch.Put(Cf::kAudit, EncodeU64(v), "x");
  ASSERT_TRUE(db->Write(batch).ok());
  std::vector<uint64_t> seen;
  auto it = db->NewIterator(Cf::kAudit);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen.push_back(DecodeU64(absl::string_view(it->key().data(), it->key().size())));
  }
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 300, 70000}));
}

TEST_F(DatabaseTest, ReopenKeepsData) {
  ExpectKeptAcrossAReopen({{Cf::kVersions, "v", "kept"}, {Cf::kIndex, "i", ""}}, /*flush=*/false);
}

TEST_F(DatabaseTest, ReopenAfterFlushKeepsData) {
  ExpectKeptAcrossAReopen({{Cf::kMerkle, "m", "flushed"}}, /*flush=*/true);
}

// A data folder whose CURRENT file is gone holds a damaged database, not an empty folder: it is
// refused, and every file in it is left as it was (RocksDB would have created a new database
// there and deleted the old tables as obsolete).
TEST_F(DatabaseTest, AFolderWithDatabaseFilesButNoCurrentIsRefusedAndLeftAsItWas) {
  std::vector<Entry> entries;
  for (int i = 0; i < 100; ++i) entries.push_back({Cf::kRecords, absl::StrCat("r", i), "kept"});
  {
    std::unique_ptr<Database> db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Write(BatchOf(entries)).ok());
    ASSERT_TRUE(db->Flush().ok());
  }
  ASSERT_TRUE(std::filesystem::remove(path() + "/CURRENT"));
  std::map<std::string, std::string> before;
  for (const std::string& file : testing::FilesUnder(path())) {
    before[file] = testing::ReadBinary(file);
  }
  ASSERT_TRUE(std::any_of(before.begin(), before.end(),
                          [](const auto& f) { return absl::EndsWith(f.first, ".sst"); }));
  DatabaseOptions options;
  options.path = path();
  const absl::StatusOr<std::unique_ptr<Database>> refused = Database::Open(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("no CURRENT file"));
  std::map<std::string, std::string> after;
  for (const std::string& file : testing::FilesUnder(path())) {
    after[file] = testing::ReadBinary(file);
  }
  EXPECT_EQ(after, before) << "the damaged folder was changed";

  // An empty folder, or none, is a new database.
  std::filesystem::create_directories(root_ + "/empty");
  options.path = root_ + "/empty";
  EXPECT_TRUE(Database::Open(options).ok());
  options.path = root_ + "/absent";
  EXPECT_TRUE(Database::Open(options).ok());
}

// A block nobody reads is checked by nobody: opening the database reads only the files' meta
// blocks, and a backup copies a damaged file as it is (its own checksums are taken of the damaged
// bytes). VerifyTableChecksums reads every block, and no backup is taken of a damaged database.
TEST_F(DatabaseTest, ADamagedBlockNobodyReadsIsFoundAndNoBackupIsTakenOfIt) {
  const std::string backup_dir = root_ + "/backups";
  {
    std::unique_ptr<Database> db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    WriteTableFileOfAuditRows(db.get());
    EXPECT_TRUE(db->VerifyTableChecksums().ok());
    absl::StatusOr<std::unique_ptr<Backups>> backups = Backups::Open(backup_dir);
    ASSERT_TRUE(backups.ok()) << backups.status();
    absl::StatusOr<Backups::Info> sound = (*backups)->Create(db.get());
    ASSERT_TRUE(sound.ok()) << sound.status();
  }
  // One byte of the first data block of the largest table file.
  ASSERT_GT(testing::DamageLargestTableFile(path(), 1000), 100000u);
  std::unique_ptr<Database> db = OpenOrDie();
  ASSERT_NE(db, nullptr) << "opening reads no data block";
  EXPECT_EQ(db->VerifyTableChecksums().code(), absl::StatusCode::kDataLoss);
  absl::StatusOr<std::unique_ptr<Backups>> backups = Backups::Open(backup_dir);
  ASSERT_TRUE(backups.ok()) << backups.status();
  absl::StatusOr<Backups::Info> refused = (*backups)->Create(db.get());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ((*backups)->List().size(), 1u) << "only the backup of the sound database";
}

TEST_F(DatabaseTest, DamageACompactionMeetsStopsWritesAsDataLossNotAsAFaultToRetry) {
  {
    std::unique_ptr<Database> db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    WriteTableFileOfAuditRows(db.get());
  }
  ASSERT_GT(testing::DamageLargestTableFile(path(), 1000), 100000u);
  std::unique_ptr<Database> db = OpenOrDie();
  ASSERT_NE(db, nullptr) << "opening reads no data block";
  EXPECT_TRUE(db->WritesStoppedForGood().ok());
  // A compaction reads every block of its files: RocksDB stops all writes for the damage.
  EXPECT_FALSE(db->CompactRange(Cf::kAudit, "", "").ok());
  const absl::Status stopped = db->WritesStoppedForGood();
  EXPECT_EQ(stopped.code(), absl::StatusCode::kDataLoss) << stopped;
  EXPECT_THAT(std::string(stopped.message()), ::testing::HasSubstr("--verify_data"));
  // Every write is told so: not UNAVAILABLE, which clients retry and a restart does not mend.
  const absl::Status write = db->Write(BatchOf({{Cf::kMeta, "after", "x"}}));
  EXPECT_EQ(write.code(), absl::StatusCode::kDataLoss) << write;
  EXPECT_EQ(Stored(*db, Cf::kMeta, "after"), std::nullopt);
}

TEST_F(DatabaseTest, InjectedWriteFailureIsUnavailableAndWritesNothing) {
  testing::SwitchableFault injector;
  std::unique_ptr<Database> db = OpenOrDie(&injector);
  ASSERT_NE(db, nullptr);
  injector.set_failing(true);
  const Batch batch = BatchOf({{Cf::kRecords, "r", "head"}, {Cf::kAudit, "a", "event"}});
  absl::Status s = db->Write(batch);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(injector.writes(), 1);
  EXPECT_EQ(Stored(*db, Cf::kRecords, "r"), std::nullopt);
  EXPECT_EQ(Stored(*db, Cf::kAudit, "a"), std::nullopt);

  // Nothing lingers to reappear after a reopen either.
  db.reset();
  injector.set_failing(false);
  db = OpenOrDie(&injector);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(Stored(*db, Cf::kRecords, "r"), std::nullopt);

  // With the fault gone the same batch commits: the injector was what stopped it.
  ASSERT_TRUE(db->Write(batch).ok());
  EXPECT_EQ(Stored(*db, Cf::kAudit, "a"), "event");
}

// A process killed while appending a write leaves the write-ahead log ending inside it, cut at
// a page boundary by the kernel. The tests copy the data directory while the database is open (as
// a crash leaves it) and cut the copy's log as such a kill would, or otherwise.
class CutLogTest : public DatabaseTest {
 protected:
  static std::string NewestLog(const std::string& dir) { return testing::NewestWriteAheadLog(dir); }

  // Writes a small record "first" and then a large one, "second", spanning several pages of the
  // log; copies the open database to `copy` and returns the log's size before and after "second".
  std::pair<uint64_t, uint64_t> TwoWritesThenCopy(const std::string& copy) {
    std::unique_ptr<Database> db = OpenOrDie();
    EXPECT_NE(db, nullptr);
    if (db == nullptr) return {0, 0};
    Batch first;
    first.Put(Cf::kMeta, "first", "1");
    EXPECT_TRUE(db->Write(first).ok());
    const std::string log = NewestLog(path());
    const uint64_t before = std::filesystem::file_size(log);
    Batch second;
    second.Put(Cf::kMeta, "second", std::string(5 * 4096, 'x'));
    EXPECT_TRUE(db->Write(second).ok());
    const uint64_t after = std::filesystem::file_size(log);
    std::filesystem::copy(path(), copy, std::filesystem::copy_options::recursive);
    return {before, after};
  }

  absl::StatusOr<std::unique_ptr<Database>> OpenCopy(const std::string& copy) {
    DatabaseOptions options;
    options.path = copy;
    options.create_if_missing = false;
    return Database::Open(options);
  }
};

TEST_F(CutLogTest, AWriteCutAtAPageBoundaryIsDroppedAndReported) {
  const std::string copy = root_ + "/copy";
  const auto [before, after] = TwoWritesThenCopy(copy);
  // The last page boundary inside "second".
  const uint64_t cut = (after - 1) / 4096 * 4096;
  ASSERT_GT(cut, before + 4096);
  std::filesystem::resize_file(NewestLog(copy), cut);

  auto db = OpenCopy(copy);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->CutOffWrites().value(), 1u);
  EXPECT_TRUE((*db)->DroppedAtOpen());
  EXPECT_EQ((*db)->Get(Cf::kMeta, "first").value(), std::optional<std::string>("1"));
  EXPECT_EQ((*db)->Get(Cf::kMeta, "second").value(), std::nullopt) << "the cut write is gone";
}

TEST_F(CutLogTest, AnUncutLogReportsNothing) {
  const std::string copy = root_ + "/copy";
  TwoWritesThenCopy(copy);
  auto db = OpenCopy(copy);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->CutOffWrites().value(), 0u);
  EXPECT_FALSE((*db)->DroppedAtOpen());
  EXPECT_TRUE((*db)->Get(Cf::kMeta, "second").value().has_value());
}

TEST_F(CutLogTest, ALogCutOffAPageBoundaryIsRefused) {
  const std::string copy = root_ + "/copy";
  const auto [before, after] = TwoWritesThenCopy(copy);
  const uint64_t cut = (after - 1) / 4096 * 4096 - 1;
  ASSERT_GT(cut, before + 4096);
  std::filesystem::resize_file(NewestLog(copy), cut);
  auto db = OpenCopy(copy);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
}

TEST_F(CutLogTest, ALogDamagedBeforeItsEndIsRefusedEvenWhenCutOnAPage) {
  const std::string copy = root_ + "/copy";
  const auto [before, after] = TwoWritesThenCopy(copy);
  const std::string log = NewestLog(copy);
  std::filesystem::resize_file(log, (after - 1) / 4096 * 4096);
  // One byte of the last write before "second" (its value "1", the record's final byte).
  std::fstream file(log, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(before - 1));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x40);
  file.seekp(static_cast<std::streamoff>(before - 1));
  file.write(&byte, 1);
  file.close();
  auto db = OpenCopy(copy);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
  // RocksDB's own words name no file for a damaged log record: the refusal names the folder and
  // what to do.
  EXPECT_TRUE(absl::StrContains(db.status().message(), absl::StrCat("the database in ", copy)))
      << db.status();
  EXPECT_TRUE(absl::StrContains(db.status().message(), "--restore_backup")) << db.status();
}

// The write-ahead log is tied to its registry by a seal on every write, under a key from the
// key file (DatabaseOptions::wal_seal_key). The tests copy a database while it is open, as a
// crash (kill -9) leaves it, so that the copy's log still holds its writes; a database closed
// cleanly has flushed them and keeps an empty log.
class WalSealTest : public CutLogTest {
 protected:
  static crypto::SecretBytes Key(char fill) { return crypto::SecretBytes(std::string(32, fill)); }

  static absl::StatusOr<std::unique_ptr<Database>> OpenWith(const std::string& dir,
                                                           const crypto::SecretBytes& key,
                                                           bool read_only = false) {
    DatabaseOptions options;
    options.path = dir;
    options.wal_seal_key = key;
    options.read_only = read_only;
    return Database::Open(options);
  }

  // A database in `dir` under `key` that writes `batches` and is copied to `copy` while open.
  static void WriteThenCopyOpen(const std::string& dir, const crypto::SecretBytes& key,
                                std::vector<Batch> batches, const std::string& copy) {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(dir, key);
    ASSERT_TRUE(db.ok()) << db.status();
    for (const Batch& batch : batches) ASSERT_TRUE((*db)->Write(batch).ok());
    std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
  }

  // A registry "A" (key 'a') with a record, stopped cleanly, whose newest log is then replaced
  // by the newest log of registry "B" (key 'b') as a kill -9 left it (with `cut_at_a_page`, cut
  // at the last page boundary inside its last write, as the kill may cut it): what copying
  // one registry's log over another's makes. Returns A's folder.
  std::string ALogReplacedByB(std::vector<Batch> b_writes, bool cut_at_a_page = false) {
    const std::string a = root_ + "/a";
    {
      absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(a, Key('a'));
      EXPECT_TRUE(db.ok()) << db.status();
      if (!db.ok()) return a;
      EXPECT_TRUE((*db)->Write(BatchOf({{Cf::kMeta, "owner", "a"}})).ok());
    }
    WriteThenCopyOpen(root_ + "/b", Key('b'), std::move(b_writes), root_ + "/b-crashed");
    const std::string b_log = NewestLog(root_ + "/b-crashed");
    const std::string a_log = NewestLog(a);
    EXPECT_FALSE(b_log.empty());
    EXPECT_FALSE(a_log.empty());
    std::filesystem::copy_file(b_log, a_log, std::filesystem::copy_options::overwrite_existing);
    if (cut_at_a_page) {
      const uint64_t size = std::filesystem::file_size(a_log);
      EXPECT_GT(size, 2 * 4096u);
      std::filesystem::resize_file(a_log, (size - 1) / 4096 * 4096);
    }
    return a;
  }

  static std::vector<Batch> Batches(std::vector<std::vector<Entry>> writes) {
    std::vector<Batch> batches;
    for (const std::vector<Entry>& entries : writes) batches.push_back(BatchOf(entries));
    return batches;
  }
};

TEST_F(WalSealTest, ItsOwnLogAfterACrashIsReplayedWithEveryKindOfChange) {
  std::vector<Batch> writes = Batches({{{Cf::kMeta, "kept", "1"}, {Cf::kRecords, "r", "2"}},
                                       {{Cf::kAudit, "gone", "3"}, {Cf::kIndex, "i1", "4"}},
                                       {{Cf::kIndex, "i2", "5"}}});
  writes.back().Delete(Cf::kAudit, "gone");
  writes.back().DeleteRange(Cf::kIndex, "i1", "i2");
  writes.emplace_back();  // a write that changes nothing carries its seal too
  const std::string copy = root_ + "/crashed";
  ASSERT_NO_FATAL_FAILURE(WriteThenCopyOpen(path(), Key('a'), std::move(writes), copy));
  ASSERT_GT(std::filesystem::file_size(NewestLog(copy)), 0u) << "the log holds the writes";

  // Read-only first (it leaves the folder as it is), then as a start opens it.
  for (const bool read_only : {true, false}) {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(copy, Key('a'), read_only);
    ASSERT_TRUE(db.ok()) << db.status();
    ExpectStored(**db, {{Cf::kMeta, "kept", "1"}, {Cf::kRecords, "r", "2"},
                        {Cf::kIndex, "i2", "5"}});
    EXPECT_EQ(Stored(**db, Cf::kAudit, "gone"), std::nullopt);
    EXPECT_EQ(Stored(**db, Cf::kIndex, "i1"), std::nullopt);
    EXPECT_FALSE((*db)->DroppedAtOpen());
  }
}

// Writers that commit at once share one record of the log (RocksDB's group commit), each batch
// with its own seal.
TEST_F(WalSealTest, WritesCommittedTogetherAreReplayedAfterACrash) {
  const std::string copy = root_ + "/crashed";
  {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(path(), Key('a'));
    ASSERT_TRUE(db.ok()) << db.status();
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&db, t] {
        for (int i = 0; i < 40; ++i) {
          EXPECT_TRUE((*db)->Write(BatchOf({{Cf::kMeta, absl::StrCat(t, "/", i), "v"}})).ok());
        }
      });
    }
    for (std::thread& writer : writers) writer.join();
    std::filesystem::copy(path(), copy, std::filesystem::copy_options::recursive);
  }
  absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(copy, Key('a'));
  ASSERT_TRUE(db.ok()) << db.status();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(Stored(**db, Cf::kMeta, absl::StrCat(t, "/", i)), "v") << t << "/" << i;
    }
  }
}

// The steps: another registry's log, taken after a kill -9, over this one's current
// (empty) log. Its writes would otherwise be replayed and served as this registry's.
TEST_F(WalSealTest, AnotherRegistrysLogInPlaceOfItsOwnIsRefused) {
  const std::string a = ALogReplacedByB(Batches({{{Cf::kAudit, "6", "B's event"}}}));
  for (const bool read_only : {true, false}) {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(a, Key('a'), read_only);
    EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
    EXPECT_THAT(std::string(db.status().message()),
                ::testing::AllOf(::testing::HasSubstr(absl::StrCat("the database in ", a)),
                                 ::testing::HasSubstr(std::filesystem::path(NewestLog(a))
                                                          .filename()
                                                          .string()),
                                 ::testing::HasSubstr("writes this registry did not make"),
                                 ::testing::HasSubstr("--restore_backup")));
  }
  EXPECT_GT(std::filesystem::file_size(NewestLog(a)), 0u) << "the evidence is kept";
}

// Cut at a page boundary inside its last write, as a kill leaves a log: the foreign log is
// still refused, not replayed with its last write dropped as one the crash cut off.
TEST_F(WalSealTest, AnotherRegistrysLogCutAsACrashCutsItIsRefusedNotTolerated) {
  std::vector<Batch> b_writes = Batches({{{Cf::kAudit, "6", "B's event"}},
                                         {{Cf::kMeta, "big", std::string(5 * 4096, 'x')}}});
  const std::string a = ALogReplacedByB(std::move(b_writes), /*cut_at_a_page=*/true);
  ASSERT_EQ(std::filesystem::file_size(NewestLog(a)) % 4096, 0u);
  absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(a, Key('a'));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
  EXPECT_THAT(std::string(db.status().message()),
              ::testing::HasSubstr("writes this registry did not make"));
}

// A write without a seal: one made by another program, or by a registryd of a release before
// the seal that was killed rather than stopped (the upgrade then goes through the old release's
// clean stop, which the message says).
TEST_F(WalSealTest, AWriteWithoutASealIsRefusedSayingHowToUpgrade) {
  const std::string copy = root_ + "/crashed";
  ASSERT_NO_FATAL_FAILURE(WriteThenCopyOpen(path(), crypto::SecretBytes(),
                                            Batches({{{Cf::kMeta, "unsealed", "1"}}}), copy));
  for (const bool read_only : {true, false}) {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(copy, Key('a'), read_only);
    EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
    EXPECT_THAT(std::string(db.status().message()),
                ::testing::AllOf(::testing::HasSubstr("without this registry's seal"),
                                 ::testing::HasSubstr("start the previous release once and stop "
                                                      "it cleanly")));
  }
  // The same folder stopped cleanly has moved its writes into table files: it opens under the
  // seal.
  absl::StatusOr<std::unique_ptr<Database>> db = OpenWith(path(), Key('a'));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(Stored(**db, Cf::kMeta, "unsealed"), "1");
}

// A second open of a database that is open (an offline command beside a running registryd) is
// refused with what to do, not RocksDB's lock error.
TEST_F(DatabaseTest, SecondOpenOfTheSameDirectoryIsRefusedSayingToStopTheFirst) {
  std::unique_ptr<Database> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  DatabaseOptions options;
  options.path = path();
  absl::StatusOr<std::unique_ptr<Database>> second = Database::Open(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_THAT(std::string(second.status().message()), ::testing::HasSubstr("stop registryd first"));
  db.reset();
  EXPECT_TRUE(Database::Open(options).ok()) << "closed, it opens again";
}

// Asking whether the database is open, in the process that has it open, leaves it locked: the
// check opened and closed the LOCK file, and closing any descriptor of a file drops every lock
// the process holds on it, so another process (a restore, a second registryd) could then open
// the database too.
TEST_F(DatabaseTest, AskingWhetherItIsOpenKeepsTheOpenDatabaseLocked) {
  std::unique_ptr<Database> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(Database::RefuseWhileOpen(path()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Database::RefuseWhileOpen(path()).code(), absl::StatusCode::kFailedPrecondition);
  // As another process sees it: an open file description lock conflicts with RocksDB's lock
  // while that is held (the descriptor is closed only after the look).
  const int fd = ::open((path() + "/LOCK").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_OFD_SETLK, &probe) != 0;
  ::close(fd);
  EXPECT_TRUE(held) << "the check gave the open database's lock away";
}

TEST_F(DatabaseTest, OpenRefusesEmptyPathAndMissingDatabaseWithoutCreate) {
  EXPECT_EQ(Database::Open(DatabaseOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
  DatabaseOptions options;
  options.path = path();
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
  // Said as what it likely is, a data_dir that names the wrong folder.
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound) << db.status();
  EXPECT_THAT(std::string(db.status().message()),
              ::testing::HasSubstr(absl::StrCat("no database in ", path(), ": check data_dir")));
  EXPECT_FALSE(std::filesystem::exists(path() + "/CURRENT"));
}

TEST_F(DatabaseTest, EncodeU64IsBigEndianAndRoundTrips) {
  EXPECT_EQ(EncodeU64(0x0102030405060708ull), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(EncodeU32(0x0a0b0c0du), std::string("\x0a\x0b\x0c\x0d", 4));
  EXPECT_EQ(EncodeU64(0), std::string(8, '\0'));
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256},
                     uint64_t{0x00ff00ff00ff00ff}, ~uint64_t{0}}) {
    EXPECT_EQ(EncodeU64(v).size(), 8u);
    EXPECT_EQ(DecodeU64(EncodeU64(v)), v);
  }
  for (uint32_t v : {0u, 1u, 65535u, 65536u, 0xffffffffu}) {
    EXPECT_EQ(EncodeU32(v).size(), 4u);
    EXPECT_EQ(DecodeU32(EncodeU32(v)), v);
  }
}

TEST_F(DatabaseTest, EncodedIntegersSortInNumericOrder) {
  // Byte-wise comparison (RocksDB's default comparator) must agree with numeric order, including
  // across byte boundaries where a little-endian or decimal encoding would not.
  const std::vector<uint64_t> values = {0,    1,     9,          10,         255,
                                        256,  1000,  65535,      65536,      0xffffffffull,
                                        0x100000000ull, 0x7fffffffffffffffull, ~uint64_t{0}};
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < values.size(); ++j) {
      EXPECT_EQ(EncodeU64(values[i]) < EncodeU64(values[j]), values[i] < values[j])
          << values[i] << " vs " << values[j];
      if (values[i] <= 0xffffffffull && values[j] <= 0xffffffffull) {
        const auto a = static_cast<uint32_t>(values[i]);
        const auto b = static_cast<uint32_t>(values[j]);
        EXPECT_EQ(EncodeU32(a) < EncodeU32(b), a < b) << a << " vs " << b;
      }
    }
  }
}

}  // namespace
}  // namespace registry::storage
