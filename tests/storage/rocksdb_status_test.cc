// FromRocksDb, the one mapping of RocksDB's statuses: a corrupt file is DATA_LOSS (never a code a
// client would retry), a failing or full disk is UNAVAILABLE, and every code RocksDB has maps to
// some error, never to OK.
#include "storage/rocksdb_status.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "rocksdb/status.h"

namespace registry::storage {
namespace {

TEST(FromRocksDbTest, OkIsOk) { EXPECT_TRUE(FromRocksDb(rocksdb::Status::OK()).ok()); }

TEST(FromRocksDbTest, CorruptionIsDataLossWhateverItsSubcode) {
  for (const rocksdb::Status& s :
       {rocksdb::Status::Corruption("block checksum mismatch"),
        rocksdb::Status::Corruption("bad entry in block", "sst 000012"),
        rocksdb::Status::Corruption(rocksdb::Status::kPathNotFound)}) {
    EXPECT_EQ(FromRocksDb(s).code(), absl::StatusCode::kDataLoss) << s.ToString();
  }
}

TEST(FromRocksDbTest, DiskAndTransientFailuresAreUnavailable) {
  const std::vector<rocksdb::Status> transient = {
      rocksdb::Status::IOError("write failed"),
      rocksdb::Status::NoSpace("no space left on device"),
      rocksdb::Status::IOError(rocksdb::Status::kIOFenced),
      rocksdb::Status::IOError(rocksdb::Status::kPathNotFound),
      rocksdb::Status::Busy("write stall"),
      rocksdb::Status::TimedOut("lock"),
      rocksdb::Status::TryAgain("later"),
      rocksdb::Status::Incomplete("iterator stopped"),
      rocksdb::Status::ShutdownInProgress("closing"),
  };
  for (const rocksdb::Status& s : transient) {
    EXPECT_EQ(FromRocksDb(s).code(), absl::StatusCode::kUnavailable) << s.ToString();
  }
}

TEST(FromRocksDbTest, NotFoundAndInvalidArgumentKeepTheirMeaning) {
  EXPECT_EQ(FromRocksDb(rocksdb::Status::NotFound("key")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::InvalidArgument("column family")).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FromRocksDbTest, AnythingElseIsInternal) {
  for (const rocksdb::Status& s :
       {rocksdb::Status::NotSupported("feature"), rocksdb::Status::Aborted("txn"),
        rocksdb::Status::MergeInProgress("merge"), rocksdb::Status::Expired("ttl"),
        rocksdb::Status::CompactionTooLarge("big"), rocksdb::Status::ColumnFamilyDropped("cf")}) {
    EXPECT_EQ(FromRocksDb(s).code(), absl::StatusCode::kInternal) << s.ToString();
  }
}

// The text stays RocksDB's, marked as such, for the server's log (the gate replaces the message
// of DATA_LOSS, UNAVAILABLE and INTERNAL before a reply leaves).
TEST(FromRocksDbTest, MessageNamesRocksDbAndKeepsItsText) {
  const absl::Status s = FromRocksDb(rocksdb::Status::Corruption("block checksum mismatch"));
  EXPECT_NE(s.message().find("rocksdb: "), std::string::npos) << s;
  EXPECT_NE(s.message().find("block checksum mismatch"), std::string::npos) << s;
}

}  // namespace
}  // namespace registry::storage
