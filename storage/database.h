// Database: the registry's RocksDB instance with all its column families, opened with integrity
// checks on, and every write synced. The only place that talks to rocksdb::DB directly.
//
// Nothing above storage/ sees a RocksDB type: writes are staged in a storage::Batch, reads go
// through Get or a storage::Iterator, and every RocksDB status is mapped once (rocksdb_status.h).
// Only storage classes use this header; the server speaks in PendingWrite and storage classes.
//
//   ASSIGN_OR_RETURN(auto db, Database::Open({.path = "/var/lib/registry/data",
//                                             .wal_seal_key = std::move(key)}));
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

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "crypto/secret_bytes.h"
#include "storage/index_seal.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class Iterator;
}  // namespace rocksdb

namespace registry::storage {

// The purpose of the key that seals the write-ahead log (DatabaseOptions::wal_seal_key), derived
// from the key file's derivation root with crypto::DeriveKey.
inline constexpr char kWalSealKeyPurpose[] = "mac/write-ahead-log-seal/v1";

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

// The test seams of a Database. The layers above carry them through unopened, so that only
// storage/ names a RocksDB type. Tests only; both null in production.
struct StorageSeams {
  // Not owned; may be null.
  WriteFaultInjector* fault_injector = nullptr;
  // Not owned; null: the default (the operating system's files). An Env over a file system that
  // fails as a full or broken disk does, or that keeps the files in memory.
  rocksdb::Env* env = nullptr;
};

struct DatabaseOptions {
  // The data directory. Required.
  std::string path;
  // Create the database and its column families when absent. Default true.
  bool create_if_missing = true;
  // Block cache for reads, in bytes. Default 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  StorageSeams seams;
  // Free disk space kept for audit events: below it, RoomForChange refuses record changes, so
  // that reads (each of which needs its audit event) and the audit events of refused changes
  // still have room on a filling disk. 0: no reserve. Default 64 MiB.
  uint64_t reserve_bytes = uint64_t{64} << 20;
  // Opened to read only: no file of the folder is written, created or renamed (RocksDB's own
  // log is not kept), and every Write fails. For a look at a data folder that is to be left
  // exactly as it is (the one a restore replaces). Implies create_if_missing false.
  bool read_only = false;
  // Holds Database::RunningLockPath(path) for as long as the database is open (made when
  // absent), so that a restore, or another registryd, finds this process there even when the
  // data folder itself was deleted under it (RefuseWhileOpen). Not for a read-only open, nor one
  // with a test Env. False: for a look that writes nothing (--check_config, which asks
  // RefuseWhileOpen first).
  bool hold_running_lock = true;
  // The key (32 bytes: crypto::DeriveKey(the key file's derivation root, kWalSealKeyPurpose))
  // that ties the write-ahead log to this registry. Every write carries, in the log only (a
  // rocksdb LogData blob, never in a memtable or a table file), an HMAC-SHA256 under it of its
  // changes in order (each change's kind, column family, key and value, length-prefixed); Open
  // replays no record whose seal is missing or does not match (DataLoss, naming the folder and
  // the log). Nothing else in a log says whose it is: a log of another registry, or one written
  // by hand, dropped into the folder, replays as well as its own, and its writes would be served.
  //
  // Every open of a registry's data folder passes it: registryd's start and every offline mode
  // (server/registry_server.cc OpenStorage, the restore's look at the ledger), and --check_config
  // (server/check_config.cc); tests/server/foreign_wal_test.cc holds the start, the offline
  // modes and the check to it end to end, each reading what another wrote.
  // Empty: nothing is sealed and nothing checked, for the unit tests of storage/ only.
  crypto::SecretBytes wal_seal_key;
  // The key (32 bytes: crypto::DeriveKey(the key file's derivation root, kIndexSealKeyPurpose))
  // of the index seal (index_seal.h): every write that changes a row of the index family changes
  // the seal in the meta family in the same write, so that rows deleted, added or swapped while
  // registryd was stopped are found (CheckIndexSeal). Every open of a registry's data folder
  // through server/registry_server.cc OpenStorage passes it. Empty: no seal is kept or checked,
  // for the unit tests of storage/ and the look of --check_config.
  crypto::SecretBytes index_seal_key;
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

// Whether a read adds the blocks it reads to the block cache. A long scan that reads each block
// once (a whole audit log streamed or checked, every record head read by the retention run)
// bypasses it: it then pays no cache bookkeeping for those blocks, and does not push out the
// blocks that calls keep reading.
enum class BlockCache { kFill, kBypass };

// Thread-safe.
class Database {
 public:
  // Opens (or creates) the database with every column family. Fails with the RocksDB error
  // mapped to absl (Unavailable for I/O and lock errors, DataLoss for corruption).
  //
  // The write-ahead log is replayed strictly: any damage to it refuses the open. One case is not
  // damage: a process killed in the middle of appending a write (SIGKILL, the OOM killer) leaves
  // the newest log ending inside that write, because the kernel stops copying a write() at a page
  // boundary when the process is killed. That write had not been synced, so nobody was told it
  // happened. When strict replay fails only on an unfinished record at the very end and the
  // newest log's size is a whole number of 4 KiB pages, as such a cut leaves it, Open replays
  // again without that last, unfinished record and counts it (CutOffWrites); the audit log
  // records it. A log cut anywhere else, or damaged before its end, is still
  // refused.
  //
  // With a wal_seal_key (DatabaseOptions), every record replayed from the write-ahead log must
  // carry this registry's seal: one that does not (another registry's log, a log or a write made
  // by another program, or one left by a registryd older than the seal that was killed rather
  // than stopped) refuses the open with DataLoss, whatever the recovery mode (a foreign record is
  // never taken for a write cut off by a crash).
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  // Whether `status` is Open's refusal of a write-ahead log that holds writes without this
  // registry's seal (above), which a read-only open and a writable one make alike, in the same
  // words: the writable one after it has written into the folder (LOG rotated), the read-only
  // one without writing anything.
  static bool RefusedForItsWriteAheadLog(const absl::Status& status);

  // FailedPrecondition, naming the folder, while the database in `path` is open, in this process
  // or another: a running registryd. Two locks say so: the flock a writable open holds on
  // RunningLockPath(path), beside the folder, and RocksDB's POSIX lock on its LOCK file, inside
  // it. The first is still held, and found, when the folder was deleted under a running
  // registryd (the second is then gone with it): a restore into its place would otherwise go
  // ahead, and the running process write into, and at its stop damage, the restored copy. Open
  // checks it first, so an offline command beside a running server says so instead of RocksDB's
  // lock error; a restore checks it before it moves anything.
  static absl::Status RefuseWhileOpen(const std::string& path);

  // "<path>.lock", in the folder that holds `path` (trailing slashes dropped): the file whose
  // flock a writable open holds (DatabaseOptions::hold_running_lock). Kept, never deleted: a
  // deleted lock file would let two processes each lock a file of that name.
  static std::string RunningLockPath(const std::string& path);

  // Whether `path` holds a database (its CURRENT file), which Open would open rather than make.
  static bool Exists(const std::string& path);

  // The column families of this registry (CfName) that the database in `path` lacks, read from
  // its CURRENT and MANIFEST only: no file of the folder is written, made, renamed or deleted,
  // and no lock is taken. Empty for a database of this registry; every name for one another
  // program made (e.g. RocksDB's ldb), which Open, read only, refuses, and which a writable open
  // writes into (a MANIFEST, a write-ahead log) before it fails or makes them. The RocksDB error
  // mapped to absl when the folder's MANIFEST cannot be read. `seams.env` as for Open.
  static absl::StatusOr<std::vector<std::string>> MissingFamilies(
      const std::string& path, const StorageSeams& seams = {});

  // Closes the column family handles, then the database.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The value under key, or nullopt when absent. DataLoss on checksum failures. With
  // BlockCache::kBypass the blocks it reads are not added to the block cache.
  absl::StatusOr<std::optional<std::string>> Get(Cf family, absl::string_view key,
                                                 BlockCache cache = BlockCache::kFill) const;

  // Writes the batch atomically across column families with sync=true. Unavailable when the
  // write (or the fault injector) fails; nothing of the batch is then visible.
  //
  // A write that fails in RocksDB (a full disk, an I/O error), or a flush or compaction that
  // fails in the background, stops RocksDB's writes until it is resumed. The next write resumes
  // it first (DB::Resume: the memtables are flushed and a new write-ahead log started), and only
  // this class ever does: RocksDB's own recovery is switched off (it polls for free space every
  // few seconds and, while it waits, refuses DB::Resume, so the first writes after space
  // returned failed). While the cause lasts the write fails with Unavailable; the first write
  // after space has returned goes through, without a restart. Reads are served throughout.
  //
  // An error RocksDB rates fatal or unrecoverable (Status::severity: a failed fsync or another
  // I/O error than a full disk, damage; its data may then be inconsistent) is never resumed: every
  // later write fails with Unavailable saying that registryd must be restarted (the restart
  // replays the write-ahead log strictly). So is a failed write that RocksDB's resume could not
  // move off its write-ahead log (see ResumeAfterFailure), which the writes prevent as they go.
  // When that error was damage in a table file (a compaction read a block that fails its
  // checksum), every later write fails with DataLoss instead: a restart meets the same block.
  absl::Status Write(const Batch& batch);
  // The same for several batches, in order, as one atomic write (the audit log's group commit).
  absl::Status WriteAll(absl::Span<const Batch* const> batches);

  // OK while the data directory's file system has at least the reserve free
  // (DatabaseOptions::reserve_bytes); Unavailable below it. Writers of record changes ask first;
  // audit events alone do not (they may use the reserve). When the free space cannot be read,
  // OK: the write itself then fails if the disk is full.
  absl::Status RoomForChange() const;
  // OK when a backup into `backup_dir` has room: the data directory has room for a change (the
  // backup's flush writes table files) and `backup_dir`'s file system has the database's table
  // files and memtables free, plus the reserve. Unavailable, saying which, otherwise; a backup
  // that met a full disk inside RocksDB aborted the process. OK when the free space cannot be read.
  // Resumes RocksDB first after a failure, as Write does: the backup's flush would meet its
  // stopped writes, and a backup is often the first call after an operator freed space.
  absl::Status RoomForBackupIn(const std::string& backup_dir);

  // OK when `dir`'s file system has `bytes` free plus the reserve: room for a backup restored
  // there to be checked (server/backup_check.h), which must not take the space kept for audit
  // events when the backups share the data directory's disk. ResourceExhausted, saying how much
  // is free and needed, otherwise; OK when the free space cannot be read.
  absl::Status RoomToRestoreIn(const std::string& dir, uint64_t bytes) const;

  // An iterator with checksum verification; the caller seeks. With BlockCache::kBypass the
  // blocks it reads are not added to the block cache (blocks already there are still used).
  std::unique_ptr<Iterator> NewIterator(Cf family, BlockCache cache = BlockCache::kFill) const;

  // Flushes memtables and compacts [begin, end) of the family down to the bottom level, so that
  // deleted values leave the files. Empty bounds mean the whole family. Resumes RocksDB first
  // after a failure, as Write does.
  absl::Status CompactRange(Cf family, absl::string_view begin, absl::string_view end);

  // Flushes every memtable to SST files (and syncs the WAL). Resumes RocksDB first after a
  // failure, as Write does.
  absl::Status Flush();

  // Reads every block of every table file and checks its checksum (and each file's whole-file
  // checksum, where one was recorded): DATA_LOSS naming the damage. Point reads and iterators
  // check only the blocks they touch, so damage in a block nobody reads stays unseen, and would
  // be copied into every backup, until this runs.
  absl::Status VerifyTableChecksums() const;

  // OK unless writes stopped after an error that is never resumed (see Write): then the status
  // every write now gets, DataLoss for damage in a table file, else Unavailable. Tries nothing.
  // The health check asks it: such a registry answers no call.
  absl::Status WritesStoppedForGood() const;
  // Resumes RocksDB when a write or a background job failed since the last resume, as the next
  // write would (see Write), writing nothing else: OK when nothing failed or once resumed, else
  // why not (Unavailable while the disk has no room for the resume; WritesStoppedForGood's
  // status). Without a failure it only reads counters. The health check asks it, so that it
  // answers what a call would meet: every call writes its audit event.
  absl::Status ResumeIfFailed();

  // Bytes the block cache holds (every family shares it).
  absl::StatusOr<uint64_t> BlockCacheBytes() const;
  // Whether RocksDB has no flush or compaction running or waiting to run: OK(true) when its
  // background threads have nothing to write. For tests that fill the disk at a moment of their
  // own, so that no compaction meets the full disk (and looks at the free space) instead of the
  // write they watch.
  absl::StatusOr<bool> BackgroundWorkIdle() const;

  const std::string& path() const { return path_; }

  // The index seal (index_seal.h): its state and the wait for its comparison after a start.
  // Null without an index_seal_key.
  const IndexSeal* index_seal() const { return index_seal_.get(); }
  // Makes the seal from the index rows there are, when the folder holds none (one from before
  // the seal), holding every writer of index rows back meanwhile: the sum made, or nullopt when
  // a seal was there (or none is kept: no index_seal_key). FailedPrecondition read only.
  absl::StatusOr<std::optional<IndexSealSum>> MakeIndexSealIfAbsent();
  // Makes the seal anew from the index rows there are, whatever was stored (`registryd
  // --reseal_index`, after an investigation): the sum made, its generation past both the stored
  // seal's (when it reads) and `past_generation` (the one the audit watermark binds, so that the
  // next start takes the new seal). FailedPrecondition read only or without an index_seal_key.
  absl::StatusOr<IndexSealSum> ResealIndex(uint64_t past_generation = 0);
  // Reads every index row's key and compares their sum with the stored seal, both as of one
  // moment (taken while no writer of index rows is between its look-ups and its write), and
  // records the verdict (IndexSeal::SetVerdict) unless `record_verdict` is false (the caller
  // then records it with RecordIndexSealVerdict, once it has said what was found). `stop` (may
  // be null), once true, ends the scan early: Cancelled, no verdict. A check with sealed ==
  // false when no seal is stored.
  absl::StatusOr<IndexSealCheck> CheckIndexSeal(const std::atomic<bool>* stop = nullptr,
                                                bool record_verdict = true) const;
  void RecordIndexSealVerdict(const IndexSealCheck& check) const;

  // How many writes cut off by a crash Open has dropped (see Open) since the count was last
  // cleared. The count is kept in the meta family (key "storage/cut-off-writes", a decimal
  // number), so whoever opens the database next still learns of it; AuditLog::Open records it
  // in the log and clears it in the same batch (ClearCutOffWrites).
  absl::StatusOr<uint64_t> CutOffWrites() const;
  static void ClearCutOffWrites(Batch* batch);
  // Whether this Open dropped such a write. The count is a plain row, which whoever can write the
  // data folder can also write: a count this open did not add to was either left by a start that
  // died before the audit log recorded it, or planted, and the log's event says it was not
  // checked.
  bool DroppedAtOpen() const { return dropped_at_open_; }

 private:
  // BackupEngine works on the RocksDB instance itself.
  friend class Backups;
  rocksdb::DB* raw() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(Cf family) const {
    return handles_[static_cast<int>(family)];
  }

  // What RocksDB reports of its background errors (a rocksdb::EventListener, database.cc).
  class ErrorWatch;
  // Seals each write for the write-ahead log and checks the seals of the records replayed from it
  // at open (a rocksdb::WalFilter, database.cc).
  class WalSeal;

  // The descriptor whose flock on RunningLockPath(path_) this open holds; -1 when none.
  // Closed after the database (the destructor).
  int running_lock_fd_ = -1;

  // The index seal's sum of every index row's key, summed from the snapshot `it` reads.
  absl::StatusOr<IndexSealSum> SumIndexRows(Iterator* it, const std::atomic<bool>* stop) const;
  // The sum of the rows there are, written as the seal; holds index_seal_mu_.
  absl::StatusOr<IndexSealSum> WriteFreshSeal(uint64_t generation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_seal_mu_);

  Database(std::string path, std::shared_ptr<WalSeal> seal, std::unique_ptr<rocksdb::DB> db,
           std::vector<rocksdb::ColumnFamilyHandle*> handles, WriteFaultInjector* fault_injector,
           uint64_t reserve_bytes, std::shared_ptr<ErrorWatch> errors);

  // Resumes RocksDB when a write or a background job failed since the last resume (see Write).
  // OK when nothing failed since, or once resumed; Unavailable otherwise.
  absl::Status ResumeAfterFailure();
  // Whether a failure waits for ResumeAfterFailure.
  bool FailedSinceResumed() const;
  // OK when the disk has room for what a resume writes; Unavailable, saying so, otherwise.
  // RocksDB 7.8 rates a new write-ahead log that cannot be created (as when a resume switches
  // logs on a disk with no space at all) a fatal error, which would stop all writes until a
  // restart: so no resume is tried without room for it (RocksDB's own recovery waits for free
  // space too), and the next write looks again.
  absl::Status RoomToResume() const;
  // Whether some memtable holds an entry: a resume then flushes it and so starts a new
  // write-ahead log. OK(false) when every one is empty.
  absl::StatusOr<bool> AnyMemtableHoldsData() const;
  // Before a write: keeps an entry in a memtable (see the definition).
  absl::Status KeepAMemtableFilled();

  std::string path_;
  // Null without a wal_seal_key. Before db_, so that it outlives the database, whose options
  // point at it.
  std::shared_ptr<WalSeal> seal_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  WriteFaultInjector* fault_injector_;
  uint64_t reserve_bytes_;
  const std::shared_ptr<ErrorWatch> errors_;
  absl::Mutex resume_mu_;
  // The count of failures (ErrorWatch) that the last successful resume put right; written under
  // resume_mu_, read without it by every write.
  std::atomic<uint64_t> resumed_through_{0};
  bool dropped_at_open_ = false;
  bool read_only_ = false;
  // See index_seal(); null without a key.
  std::unique_ptr<IndexSeal> index_seal_;
  // Held by a write that changes index rows from its existence look-ups to the end of its
  // write, by the making of a seal, and while a comparison takes its snapshot.
  mutable absl::Mutex index_seal_mu_;
  // The count of failures up to which a failed write to the write-ahead log was found movable to
  // a new log (ResumeAfterFailure).
  uint64_t wal_checked_through_ ABSL_GUARDED_BY(resume_mu_) = 0;
};

// Big-endian fixed-width encodings used in keys, so that byte order is numeric order.
std::string EncodeU64(uint64_t v);
std::string EncodeU32(uint32_t v);
uint64_t DecodeU64(absl::string_view bytes);  // bytes.size() >= 8
uint32_t DecodeU32(absl::string_view bytes);  // bytes.size() >= 4

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_DATABASE_H_
