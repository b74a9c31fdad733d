// Database: the registry's RocksDB instance with all its column families, opened with integrity
// checks on, and every write synced. The only place that talks to rocksdb::DB directly.
//
// Nothing above storage/ sees a RocksDB type: writes are staged in a storage::Batch, reads go
// through Get or a storage::Iterator, and every RocksDB status is mapped once (rocksdb_status.h).
// Only storage classes use this header; the server speaks in PendingWrite and storage classes.
//
//   ASSIGN_OR_RETURN(auto db, Database::Open({.path = "/var/lib/registry/data"}));
//   Batch batch;
//   batch.Put(Cf::kMeta, "k", "v");
//   RETURN_IF_ERROR(db->Write(batch));  // one atomic, fsynced batch
//
// Column families (keys are documented where they are written):
//   records   record head: status, version, wrapped data key, dates      (record_store.h)
//   versions  every version's sealed person + conviction                 (record_store.h)
//   index     blind-index entries: kind || token || record id            (record_store.h)
//   expiry    delete_after || record id, for the retention scheduler      (record_store.h)
//   checks    vetting checks by personal-number token, for data subjects (check_store.h)
//   audit     audit events by sequence number                            (audit_log.h)
//   merkle    Merkle tree perfect-subtree hashes                          (audit_log.h)
//   meta      schema version and key check (record_store.h), tree state and log id (audit_log.h),
//             key rotation progress (key_rotation_state.h), erasure marker (erasure_ledger.h)
#ifndef REGISTRY_STORAGE_DATABASE_H_
#define REGISTRY_STORAGE_DATABASE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Iterator;
}  // namespace rocksdb

namespace registry::storage {

enum class Cf : int {
  kRecords = 0,
  kVersions,
  kIndex,
  kExpiry,
  kChecks,
  kAudit,
  kMerkle,
  kMeta,
  kCount,  // not a family
};

// The RocksDB name of a column family ("records", "versions", ...).
const char* CfName(Cf cf);

// Test seam: consulted before every write. A non-OK status fails the write without touching
// the database, as a disk failure would.
class WriteFaultInjector {
 public:
  virtual ~WriteFaultInjector() = default;
  virtual absl::Status BeforeWrite() = 0;
};

struct DatabaseOptions {
  // The data directory. Required.
  std::string path;
  // Create the database and its column families when absent. Default true.
  bool create_if_missing = true;
  // Block cache for reads, in bytes. Default 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  // Not owned; may be null. Tests only.
  WriteFaultInjector* fault_injector = nullptr;
};

// Changes to several column families, written atomically by Database::Write. Move-only.
class Batch {
 public:
  Batch() = default;
  Batch(Batch&&) = default;
  Batch& operator=(Batch&&) = default;

  void Put(Cf family, absl::string_view key, absl::string_view value);
  void Delete(Cf family, absl::string_view key);
  // Deletes every key in [begin, end).
  void DeleteRange(Cf family, absl::string_view begin, absl::string_view end);

  bool empty() const { return changes_.empty(); }
  size_t size() const { return changes_.size(); }

 private:
  friend class Database;
  enum class Op : uint8_t { kPut, kDelete, kDeleteRange };
  struct Change {
    Op op;
    Cf family;
    std::string key;
    std::string value;  // kPut: the value; kDeleteRange: the end of the range
  };
  std::vector<Change> changes_;
};

// A cursor over one column family, reading the snapshot taken when it was made, with checksum
// verification. status() maps RocksDB's status once (rocksdb_status.h): a damaged file is
// DataLoss, never a code a client would retry.
class Iterator {
 public:
  ~Iterator();
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;

  void SeekToFirst();
  void Seek(absl::string_view target);
  void SeekForPrev(absl::string_view target);
  void Next();
  void Prev();
  bool Valid() const;
  // Valid until the next move.
  absl::string_view key() const;
  absl::string_view value() const;
  // OK, or why the scan stopped early: check it after the loop.
  absl::Status status() const;

 private:
  friend class Database;
  explicit Iterator(std::unique_ptr<rocksdb::Iterator> it);
  std::unique_ptr<rocksdb::Iterator> it_;
};

class Backups;

// Thread-safe.
class Database {
 public:
  // Opens (or creates) the database with every column family. Fails with the RocksDB error
  // mapped to absl (Unavailable for I/O and lock errors, DataLoss for corruption).
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  // Closes the column family handles, then the database.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The value under key, or nullopt when absent. DataLoss on checksum failures.
  absl::StatusOr<std::optional<std::string>> Get(Cf family, absl::string_view key) const;

  // Writes the batch atomically across column families with sync=true. Unavailable when the
  // write (or the fault injector) fails; nothing of the batch is then visible.
  absl::Status Write(const Batch& batch);
  // The same for several batches, in order, as one atomic write (the audit log's group commit).
  absl::Status WriteAll(absl::Span<const Batch* const> batches);

  // An iterator with checksum verification; the caller seeks.
  std::unique_ptr<Iterator> NewIterator(Cf family) const;

  // Flushes memtables and compacts [begin, end) of the family down to the bottom level, so that
  // deleted values leave the files. Empty bounds mean the whole family.
  absl::Status CompactRange(Cf family, absl::string_view begin, absl::string_view end);

  // Flushes every memtable to SST files (and syncs the WAL).
  absl::Status Flush();

  const std::string& path() const { return path_; }

 private:
  // BackupEngine works on the RocksDB instance itself.
  friend class Backups;
  rocksdb::DB* raw() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(Cf family) const {
    return handles_[static_cast<int>(family)];
  }

  Database(std::string path, std::unique_ptr<rocksdb::DB> db,
           std::vector<rocksdb::ColumnFamilyHandle*> handles, WriteFaultInjector* fault_injector);

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  WriteFaultInjector* fault_injector_;
};

// Big-endian fixed-width encodings used in keys, so that byte order is numeric order.
std::string EncodeU64(uint64_t v);
std::string EncodeU32(uint32_t v);
uint64_t DecodeU64(absl::string_view bytes);  // bytes.size() >= 8
uint32_t DecodeU32(absl::string_view bytes);  // bytes.size() >= 4

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_DATABASE_H_
