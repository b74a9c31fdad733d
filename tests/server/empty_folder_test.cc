// A data folder that holds no registry data (no database, an emptied one, one another program
// made, one whose audit log holds no event) is a new installation's only when nothing outside
// it says the registry held data: the erasure ledger's entries, the audit watermark's count, the
// backups. Otherwise the start, --check_config, --verify_data, --adopt_watermark and
// --confirm_clock refuse it, and none of them writes a byte into the folder, which is kept for
// the investigation. (It had been served as an empty registry that answers CLEAR for everyone.)
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/check_config.h"
#include "server/registry_server.h"
#include "tests/testing/clients.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;

// Every file under `dir` (by its path there) with its size and a hash of its bytes: what a
// refused start or offline mode must leave exactly as it found.
std::map<std::string, std::string> FilesOf(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = std::filesystem::relative(entry.path(), dir).string();
    if (!entry.is_regular_file()) {
      files[name] = "(not a file)";
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string content = bytes.str();
    files[name] = absl::StrCat(content.size(), " bytes, hash ", std::hash<std::string>{}(content));
  }
  return files;
}

// Deletes every row of every family, as an insider with RocksDB's tools can (a range deletion
// over each family, then a compaction), and leaves the server stopped.
void EmptyEveryFamily(TestServer& server) {
  EditStoppedData(server, [](storage::Database* db) {
    for (int family = 0; family < static_cast<int>(storage::Cf::kCount); ++family) {
      const storage::Cf cf = static_cast<storage::Cf>(family);
      storage::Batch batch;
      std::unique_ptr<storage::Iterator> it = db->NewIterator(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(cf, it->key());
      ASSERT_TRUE(it->status().ok()) << it->status();
      ASSERT_TRUE(db->Write(batch).ok());
      ASSERT_TRUE(db->CompactRange(cf, "", std::string(64, '\xff')).ok());
    }
    ASSERT_TRUE(db->Flush().ok());
  });
}

// Replaces the data folder by a database RocksDB's ldb makes (`ldb --create_if_missing put a b`,
// `delete a`, `compact`): no family of this registry, no row.
void PutAForeignDatabaseInPlace(const std::string& data_dir) {
  std::filesystem::remove_all(data_dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, data_dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "a", "b").ok());
  ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), "a").ok());
  ASSERT_TRUE(db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
  ASSERT_TRUE(db->Close().ok());
}

class EmptyFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    data_dir_ = server_->config().data_dir();
  }

  // Three records, one of them erased: the ledger holds an authenticated entry.
  void EnterAndEraseARecord() {
    for (int i = 1; i <= 3; ++i) {
      ids_.push_back(CreatedRecordId(*server_, "clerk", FictionalRecord(i)));
    }
    ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", ids_[0]).ok());
  }

  // `registryd --check_config` on the server's config: its exit code, and what it printed.
  int CheckConfigProcess(std::string* out) {
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(server_->config(), &json, o).ok());
    const std::string config = server_->dir() + "/checked-config.json";
    std::ofstream(config) << json;
    const std::string printed = server_->dir() + "/check-output.txt";
    const int status = std::system(absl::StrCat(REGISTRY_BINARY_DIR, "/registryd --check_config ",
                                                config, " > ", printed, " 2>&1")
                                       .c_str());
    std::ifstream in(printed);
    std::stringstream text;
    text << in.rdbuf();
    *out = text.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // The start, --check_config, --confirm_clock, --adopt_watermark and --verify_data each refuse
  // the folder saying `holds` and `proof`, and none of them changes a byte of it.
  void ExpectRefusedEverywhereWritingNothing(absl::string_view holds, absl::string_view proof) {
    const std::map<std::string, std::string> before = FilesOf(data_dir_);
    const std::string says = absl::StrCat("data_dir: ", data_dir_, " ", holds);
    for (int start = 0; start < 2; ++start) {
      const absl::Status started = server_->Restart();
      EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
      EXPECT_THAT(std::string(started.message()), HasSubstr(says));
      EXPECT_THAT(std::string(started.message()), HasSubstr(proof));
      EXPECT_EQ(FilesOf(data_dir_), before) << "start " << start;
    }
    std::string out;
    EXPECT_NE(CheckConfigProcess(&out), 0) << out;
    EXPECT_THAT(out, HasSubstr(absl::StrCat("problem: ", says))) << out;
    EXPECT_EQ(FilesOf(data_dir_), before) << "--check_config";
    absl::Time trusted;
    const absl::Status confirmed = server::ConfirmClock(server_->config(), SystemClock::Get(),
                                                        &trusted);
    EXPECT_THAT(std::string(confirmed.message()), HasSubstr(says));
    EXPECT_EQ(FilesOf(data_dir_), before) << "--confirm_clock";
    bool adopted = true;
    uint64_t size = 0;
    const absl::Status adopt = server::AdoptWatermark(server_->config(), &adopted, &size);
    EXPECT_THAT(std::string(adopt.message()), HasSubstr(says));
    EXPECT_FALSE(adopted);
    EXPECT_EQ(FilesOf(data_dir_), before) << "--adopt_watermark";
    const absl::StatusOr<storage::DataCheckReport> report =
        server::VerifyDataOffline(server_->config());
    EXPECT_THAT(std::string(report.status().message()), HasSubstr(says));
    EXPECT_EQ(FilesOf(data_dir_), before) << "--verify_data";
  }

  std::string ErasuresProof() const {
    return absl::StrCat("the erasure ledger ", server_->config().erasure_ledger_file(),
                        " holds 1 erasures of this registry");
  }

  std::unique_ptr<TestServer> server_;
  std::string data_dir_;
  std::vector<std::string> ids_;
};

// Every family emptied and the watermark removed, the ledger kept: the start served an empty
// registry ("applied erasures from the erasure ledger ... the database had not applied"), and
// every vetting check was CLEAR.
TEST_F(EmptyFolderTest, AnEmptiedDatabaseBesideLedgerEntriesIsRefusedAndLeftAsItWas) {
  ASSERT_NO_FATAL_FAILURE(EnterAndEraseARecord());
  ASSERT_NO_FATAL_FAILURE(EmptyEveryFamily(*server_));
  ASSERT_TRUE(std::filesystem::remove(server_->config().audit_watermark_file()));
  ExpectRefusedEverywhereWritingNothing(server::kHoldsNoRow, ErasuresProof());
}

// The same with a database RocksDB's ldb made in its place: --check_config said "1 part was not
// checked" (rc 0), the start served it, --adopt_watermark wrote a MANIFEST and a log into it.
TEST_F(EmptyFolderTest, ADatabaseAnotherProgramMadeBesideLedgerEntriesIsRefusedAndLeftAsItWas) {
  ASSERT_NO_FATAL_FAILURE(EnterAndEraseARecord());
  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(PutAForeignDatabaseInPlace(data_dir_));
  ASSERT_TRUE(std::filesystem::remove(server_->config().audit_watermark_file()));
  ExpectRefusedEverywhereWritingNothing(server::kHoldsOtherFamilies, ErasuresProof());
}

// The watermark kept (it counts the events): the start was refused, but only after its
// writable open had written a MANIFEST, OPTIONS, a log, a table file and a new log id, key
// check values and schema mark into the folder; --confirm_clock likewise.
TEST_F(EmptyFolderTest, AnEmptiedDatabaseWithItsWatermarkIsRefusedWithoutAWrite) {
  ASSERT_NO_FATAL_FAILURE(EnterAndEraseARecord());
  ASSERT_NO_FATAL_FAILURE(EmptyEveryFamily(*server_));
  ExpectRefusedEverywhereWritingNothing(
      server::kHoldsNoRow,
      absl::StrCat("the audit watermark ", server_->config().audit_watermark_file()));
}

// No erasure ever (the ledger is there and empty), the watermark removed: the backups are what
// shows that the registry held data, whatever the folder holds.
TEST_F(EmptyFolderTest, AnEmptiedDatabaseBesideBackupsIsRefusedWithoutAnErasure) {
  CreatedRecordId(*server_, "clerk", FictionalRecord(1));
  CreatedBackup(*server_);
  ASSERT_NO_FATAL_FAILURE(EmptyEveryFamily(*server_));
  ASSERT_TRUE(std::filesystem::remove(server_->config().audit_watermark_file()));
  ASSERT_TRUE(std::filesystem::exists(server_->config().erasure_ledger_file()));
  ExpectRefusedEverywhereWritingNothing(server::kHoldsNoRow, "holds backups of a registry");
  // An empty folder in its place is refused as well, and no database is made there.
  std::filesystem::remove_all(data_dir_);
  std::filesystem::create_directory(data_dir_);
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("holds backups of a registry"));
  EXPECT_TRUE(std::filesystem::is_empty(data_dir_));
}

// Only the audit log emptied (its events, its tree and its state), the records kept, and the
// watermark removed: a log that holds no event is a new registry's only when nothing outside
// the folder says otherwise.
TEST_F(EmptyFolderTest, ADatabaseWhoseAuditLogWasEmptiedBesideLedgerEntriesIsRefused) {
  ASSERT_NO_FATAL_FAILURE(EnterAndEraseARecord());
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [](storage::Database* db) {
    storage::Batch batch;
    for (const storage::Cf cf : {storage::Cf::kAudit, storage::Cf::kMerkle, storage::Cf::kMeta}) {
      std::unique_ptr<storage::Iterator> it = db->NewIterator(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const std::string key(it->key());
        if (cf == storage::Cf::kMeta && (key.rfind("audit/", 0) != 0 || key == "audit/log-id")) {
          continue;
        }
        batch.Delete(cf, key);
      }
      ASSERT_TRUE(it->status().ok()) << it->status();
    }
    ASSERT_TRUE(db->Write(batch).ok());
    ASSERT_TRUE(db->Flush().ok());
  }));
  ASSERT_TRUE(std::filesystem::remove(server_->config().audit_watermark_file()));
  ExpectRefusedEverywhereWritingNothing(server::kHoldsNoEvent, ErasuresProof());
}

// What the registry never held data beside is a new installation: an empty folder, or one with
// nothing in it, starts, with nothing outside it saying otherwise.
TEST_F(EmptyFolderTest, ANewInstallationStillStarts) {
  server_->Stop();
  std::filesystem::remove_all(data_dir_);
  std::filesystem::remove(server_->config().audit_watermark_file());
  std::filesystem::remove(server_->config().erasure_ledger_file());
  std::filesystem::create_directory(data_dir_);
  ASSERT_TRUE(server_->Restart().ok());
  CreatedRecordId(*server_, "clerk", FictionalRecord(1));
  server_->Stop();
  ASSERT_TRUE(server_->Restart().ok());
}

// Every family emptied but meta, and there every row but the key check value and the schema
// mark, beside a watermark, a ledger entry and two backups: the start refused it ("the audit
// log id is missing from a database that holds data"), but --check_config said only that
// start-up would write first (the key check values of the KEKs), left it "not checked" and
// exited 0.
TEST_F(EmptyFolderTest, CheckConfigReportsAnEmptiedFolderTheStartRefusesThoughItWouldWrite) {
  ASSERT_NO_FATAL_FAILURE(EnterAndEraseARecord());
  CreatedBackup(*server_);
  CreatedBackup(*server_);
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [](storage::Database* db) {
    for (int family = 0; family < static_cast<int>(storage::Cf::kCount); ++family) {
      const storage::Cf cf = static_cast<storage::Cf>(family);
      storage::Batch batch;
      std::unique_ptr<storage::Iterator> it = db->NewIterator(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const std::string key(it->key());
        if (cf == storage::Cf::kMeta && (key == "keys/check" || key == "schema/version")) {
          continue;
        }
        batch.Delete(cf, key);
      }
      ASSERT_TRUE(it->status().ok()) << it->status();
      ASSERT_TRUE(db->Write(batch).ok());
      ASSERT_TRUE(db->CompactRange(cf, "", std::string(64, '\xff')).ok());
    }
    ASSERT_TRUE(db->Flush().ok());
  }));
  const std::map<std::string, std::string> before = FilesOf(data_dir_);
  const absl::Status started = server_->Restart();
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.message()), HasSubstr("the audit log id is missing"));
  std::string out;
  EXPECT_NE(CheckConfigProcess(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("problem: data_dir: the audit log id is missing from a database "
                             "that holds data"))
      << out;
  EXPECT_EQ(FilesOf(data_dir_), before);
}

}  // namespace
}  // namespace registry::testing
