#include "storage/database.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdarg>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/public_status.h"
#include "common/status_macros.h"
#include "crypto/hmac.h"
#include "crypto/secret_bytes.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/wal_filter.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb_info_log.h"
#include "storage/rocksdb_status.h"

namespace registry::storage {
namespace {

constexpr char kCutOffWritesKey[] = "storage/cut-off-writes";
// Deleted, never written, outside the write-ahead log: the entry that keeps a memtable filled
// (Database::KeepAMemtableFilled). A deletion of a key nobody writes is seen by no reader.
constexpr char kMemtableKeeperKey[] = "storage/memtable-keeper";
// What a resume needs on the disk besides the memtables it flushes: a new write-ahead log, the
// manifest's edits, each table file's index, filter and footer.
constexpr uint64_t kResumeSlackBytes = uint64_t{1} << 20;

// RocksDB's messages, under strict replay, for a log that ends inside a record: a header, a
// record body, or a record's later fragments missing at the end of the file. Damage inside the
// log reads otherwise ("checksum mismatch", "bad record length", ...).
bool EndsInUnfinishedRecord(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  return text.find("truncated header") != std::string::npos ||
         text.find("truncated record body") != std::string::npos ||
         text.find("error reading trailing data") != std::string::npos;
}

// Whether the newest write-ahead log (NNNNNN.log, the highest number) in `dir` is a non-empty
// whole number of 4 KiB pages long.
bool NewestWalEndsOnAPage(rocksdb::Env* env, const std::string& dir) {
  std::vector<std::string> children;
  if (!env->GetChildren(dir, &children).ok()) return false;
  uint64_t newest = 0;
  std::string newest_name;
  for (const std::string& name : children) {
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".log") != 0) continue;
    uint64_t number = 0;
    bool digits = true;
    for (size_t k = 0; k + 4 < name.size(); ++k) {
      digits = digits && name[k] >= '0' && name[k] <= '9';
      number = number * 10 + static_cast<uint64_t>(name[k] - '0');
    }
    if (digits && (newest_name.empty() || number > newest)) {
      newest = number;
      newest_name = name;
    }
  }
  if (newest_name.empty()) return false;
  uint64_t size = 0;
  if (!env->GetFileSize(dir + "/" + newest_name, &size).ok()) return false;
  return size > 0 && size % 4096 == 0;
}

constexpr const char* kCfNames[] = {"records", "versions", "index", "expiry",
                                    "checks",  "audit",    "merkle", "meta"};
static_assert(sizeof(kCfNames) / sizeof(kCfNames[0]) == static_cast<int>(Cf::kCount));

// The audit family is read mostly as long runs (streams, verification, the data check): larger
// blocks mean fewer reads, checksums and iterator steps per event. Other families keep RocksDB's
// 4 KiB, sized for point reads.
constexpr size_t kPointBlockBytes = 4 << 10;
constexpr size_t kAuditBlockBytes = 16 << 10;

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t block_bytes = kPointBlockBytes) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = block_bytes;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // A file's index and filter in 4 KiB partitions under a small top level, which stays pinned:
  // a point read loads the partitions it needs, not a whole file's filter (about 1 MiB a file at
  // a million records), which a long scan pushing through the block cache would otherwise evict
  // and every later read of that file load and checksum again.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size = 16 << 20;
  cf.compression = rocksdb::kNoCompression;  // ciphertext does not compress
  return cf;
}

}  // namespace

const char* CfName(Cf cf) { return kCfNames[static_cast<int>(cf)]; }

// RocksDB tells its listeners of every background error (a failed write to the write-ahead log,
// flush, compaction or manifest write) with its severity, before anyone can see writes stopped.
// This one counts them, so that the next write resumes RocksDB first (Database::Write), notes
// those that must never be resumed, and keeps RocksDB from recovering on its own.
class Database::ErrorWatch : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "RegistryErrorWatch"; }

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error->ok()) return;
    absl::MutexLock lock(&mu_);
    const uint64_t failure = failures_.fetch_add(1) + 1;
    // A write that failed on its way to the write-ahead log (a short write, then ENOSPC; a failed
    // fsync). RocksDB keeps that log's writer refusing every later append, and a resume moves
    // writes to a new log only when it has a memtable to flush (ResumeAfterFailure).
    if (reason == rocksdb::BackgroundErrorReason::kWriteCallback) wal_failure_ = failure;
    // A soft error (a compaction that met the full disk) leaves writes going; any other stops
    // them until a resume, which needs room (Database::RoomToResume).
    if (error->severity() != rocksdb::Status::Severity::kSoftError) stop_failure_ = failure;
    // Fatal and unrecoverable: RocksDB cannot tell that its files and memtables agree (an I/O
    // error other than a full disk, a failed fsync, damage). It refuses to resume them itself,
    // and so do we, in so many words. (An error RocksDB will retry is passed here before its
    // severity is set, as kNoError; it is then hard, which a resume puts right.)
    if (error->severity() >= rocksdb::Status::Severity::kFatalError && fatal_.empty()) {
      fatal_ = absl::StrCat("rocksdb: ", error->ToString());
      // Damage (a compaction that read a block failing its checksum): a restart meets the same
      // block again, so it is not a fault to wait out (Database::WritesStoppedForGood).
      damaged_ = error->IsCorruption();
    }
  }

  // RocksDB's own recovery from a full disk hands the resume to its SstFileManager, which looks
  // at the free space every 5 seconds, and DB::Resume answers Busy while it waits: the first
  // changes after space returned failed until its next look, a random number of them. Every
  // call writes its audit event, so the next call is as early as a recovery could come: the
  // writer resumes, once, at the next write (Database::ResumeAfterFailure).
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                            rocksdb::Status /*error*/, bool* auto_recovery) override {
    *auto_recovery = false;
  }

  // A write failed without RocksDB reporting a background error (its own checks, the fault
  // injector): resuming is then harmless, and the next write does it.
  void WriteFailed() {
    absl::MutexLock lock(&mu_);
    failures_.fetch_add(1);
  }

  // How many failures there were, read without a lock by every write.
  uint64_t failures() const { return failures_.load(); }

  struct Snapshot {
    uint64_t failures = 0;
    uint64_t wal_failure = 0;   // the count at the newest failed write to the write-ahead log
    uint64_t stop_failure = 0;  // the count at the newest error that stopped writes
    std::string fatal;          // RocksDB's words for the first fatal error; empty: none
    bool damaged = false;       // that error was damage found in the files
  };
  Snapshot Read() const {
    absl::MutexLock lock(&mu_);
    return Snapshot{failures_.load(), wal_failure_, stop_failure_, fatal_, damaged_};
  }

  void SetFatal(std::string why) {
    absl::MutexLock lock(&mu_);
    if (fatal_.empty()) fatal_ = std::move(why);
  }

 private:
  mutable absl::Mutex mu_;
  std::atomic<uint64_t> failures_{0};
  uint64_t wal_failure_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t stop_failure_ ABSL_GUARDED_BY(mu_) = 0;
  std::string fatal_ ABSL_GUARDED_BY(mu_);
  bool damaged_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {

// A write batch as the seal covers it: its changes in order, each as its kind, its column
// family's id, and its key and value (for a range deletion, the range's end), every field
// length-prefixed, so that no two sequences of changes encode alike. Each LogData blob is the
// seal of the changes since the one before: RocksDB writes the batches of concurrent writers as
// one record of the write-ahead log, one after the other, each with its own seal.
class SealedChanges : public rocksdb::WriteBatch::Handler {
 public:
  struct Sealed {
    std::string changes;  // the encoding the seal covers
    std::string seal;
  };

  rocksdb::Status PutCF(uint32_t family, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    Add('P', family, key, value);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t family, const rocksdb::Slice& key) override {
    Add('D', family, key, rocksdb::Slice());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t family, const rocksdb::Slice& begin,
                                const rocksdb::Slice& end) override {
    Add('R', family, begin, end);
    return rocksdb::Status::OK();
  }
  void LogData(const rocksdb::Slice& blob) override {
    sealed_.push_back({std::move(pending_), blob.ToString()});
    pending_.clear();
    pending_changes_ = 0;
  }
  // Every other kind of entry (a merge, a single deletion, a transaction's markers, ...) is none
  // the registry writes: the Handler's defaults fail Iterate on them.

  const std::vector<Sealed>& sealed() const { return sealed_; }
  // The encoding of the changes after the last seal.
  const std::string& pending() const { return pending_; }
  size_t pending_changes() const { return pending_changes_; }

 private:
  void Add(char kind, uint32_t family, const rocksdb::Slice& key, const rocksdb::Slice& value) {
    pending_.push_back(kind);
    pending_.append(EncodeU32(family));
    pending_.append(EncodeU64(key.size()));
    pending_.append(key.data(), key.size());
    pending_.append(EncodeU64(value.size()));
    pending_.append(value.data(), value.size());
    ++pending_changes_;
  }

  std::vector<Sealed> sealed_;
  std::string pending_;
  size_t pending_changes_ = 0;
};

}  // namespace

// The seal of every write (Database::WriteAll), and the check of every record of the write-ahead
// log that an open replays: RocksDB hands each to the filter before it applies it, and a record
// the filter calls corrupted fails the open under every recovery mode the registry uses
// (kAbsoluteConsistency, and kTolerateCorruptedTailRecords, which tolerates only a log's cut
// end): a foreign record is never dropped as a write a crash cut off, with the replay going on.
class Database::WalSeal : public rocksdb::WalFilter {
 public:
  static absl::StatusOr<std::shared_ptr<WalSeal>> Create(const crypto::SecretBytes& key) {
    ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> mac,
                     crypto::HmacSha256Key::Create(key));
    return std::shared_ptr<WalSeal>(new WalSeal(std::move(mac)));
  }

  const char* Name() const override { return "RegistryWalSeal"; }

  // Adds the seal of everything `batch` holds, as its last entry.
  absl::Status Seal(rocksdb::WriteBatch* batch) const {
    SealedChanges changes;
    RETURN_IF_ERROR(FromRocksDb(batch->Iterate(&changes)));
    if (!changes.sealed().empty()) return absl::InternalError("a write batch is sealed twice");
    ASSIGN_OR_RETURN(const std::string seal, mac_->Mac(changes.pending()));
    return FromRocksDb(batch->PutLogData(seal));
  }

  WalProcessingOption LogRecordFound(unsigned long long /*log_number*/,
                                     const std::string& log_file_name,
                                     const rocksdb::WriteBatch& batch,
                                     rocksdb::WriteBatch* /*new_batch*/,
                                     bool* /*batch_changed*/) override {
    SealedChanges changes;
    const rocksdb::Status read = batch.Iterate(&changes);
    Verdict verdict = Verdict::kSealed;
    if (!read.ok()) {
      verdict = Verdict::kForeign;  // an entry the registry never writes
    } else if (changes.sealed().empty() || changes.pending_changes() > 0) {
      verdict = Verdict::kUnsealed;
    } else {
      for (const SealedChanges::Sealed& sealed : changes.sealed()) {
        absl::StatusOr<std::string> expected = mac_->Mac(sealed.changes);
        if (!expected.ok() || !crypto::ConstantTimeEquals(*expected, sealed.seal)) {
          verdict = Verdict::kForeign;
          break;
        }
      }
    }
    if (verdict == Verdict::kSealed) return WalProcessingOption::kContinueProcessing;
    if (refused_ == Verdict::kSealed) {
      refused_ = verdict;
      const size_t slash = log_file_name.find_last_of('/');
      refused_log_ = slash == std::string::npos ? log_file_name
                                                : log_file_name.substr(slash + 1);
    }
    return WalProcessingOption::kCorruptedRecord;
  }

  // The payload that marks Refusal's statuses (Database::RefusedForItsWriteAheadLog).
  static constexpr char kRefusalUrl[] = "type.registry.kjc/registry.storage.ForeignWriteAheadLog";

  // Why the last open was refused for a record, naming `path`; OK when none was. Recovery runs
  // on the opening thread alone, before the database is handed out.
  absl::Status Refusal(const std::string& path) const {
    absl::Status refused = Said(path);
    if (!refused.ok()) refused.SetPayload(kRefusalUrl, absl::Cord("1"));
    return refused;
  }

 private:
  // Refusal's words.
  absl::Status Said(const std::string& path) const {
    switch (refused_) {
      case Verdict::kSealed:
        return absl::OkStatus();
      case Verdict::kForeign:
        return absl::DataLossError(absl::StrCat(
            "the database in ", path, " is not opened: its write-ahead log ", refused_log_,
            " holds writes this registry did not make (their seal does not match the key "
            "file): a log of another registry, or one altered, was put in the folder. Nothing "
            "is served from it; keep the folder for the investigation and restore the latest "
            "backup (registryd --restore_backup 0)"));
      case Verdict::kUnsealed:
        return absl::DataLossError(absl::StrCat(
            "the database in ", path, " is not opened: its write-ahead log ", refused_log_,
            " holds writes without this registry's seal: made by another program, or by a "
            "registryd of a release before the seal that was killed rather than stopped. "
            "Nothing is served from it. After such an upgrade, start the previous release "
            "once and stop it cleanly (its start moves those writes into the table files), "
            "then this one; otherwise keep the folder for the investigation and restore the "
            "latest backup (registryd --restore_backup 0)"));
    }
    return absl::OkStatus();
  }

  enum class Verdict { kSealed, kUnsealed, kForeign };

  explicit WalSeal(std::unique_ptr<crypto::HmacSha256Key> mac) : mac_(std::move(mac)) {}

  const std::unique_ptr<crypto::HmacSha256Key> mac_;
  // The first record refused, and its log's file name.
  Verdict refused_ = Verdict::kSealed;
  std::string refused_log_;
};

void Batch::Put(Cf family, absl::string_view key, absl::string_view value) {
  changes_.push_back({Op::kPut, family, std::string(key), std::string(value)});
}

void Batch::Delete(Cf family, absl::string_view key) {
  changes_.push_back({Op::kDelete, family, std::string(key), std::string()});
}

void Batch::DeleteRange(Cf family, absl::string_view begin, absl::string_view end) {
  changes_.push_back({Op::kDeleteRange, family, std::string(begin), std::string(end)});
}

Iterator::Iterator(std::unique_ptr<rocksdb::Iterator> it) : it_(std::move(it)) {}
Iterator::~Iterator() = default;
void Iterator::SeekToFirst() { it_->SeekToFirst(); }
void Iterator::Seek(absl::string_view target) {
  it_->Seek(rocksdb::Slice(target.data(), target.size()));
}
void Iterator::SeekForPrev(absl::string_view target) {
  it_->SeekForPrev(rocksdb::Slice(target.data(), target.size()));
}
void Iterator::Next() { it_->Next(); }
void Iterator::Prev() { it_->Prev(); }
bool Iterator::Valid() const { return it_->Valid(); }
absl::string_view Iterator::key() const {
  const rocksdb::Slice k = it_->key();
  return absl::string_view(k.data(), k.size());
}
absl::string_view Iterator::value() const {
  const rocksdb::Slice v = it_->value();
  return absl::string_view(v.data(), v.size());
}
absl::Status Iterator::status() const { return FromRocksDb(it_->status()); }

Database::Database(std::string path, std::shared_ptr<WalSeal> seal,
                   std::unique_ptr<rocksdb::DB> db,
                   std::vector<rocksdb::ColumnFamilyHandle*> handles,
                   WriteFaultInjector* fault_injector, uint64_t reserve_bytes,
                   std::shared_ptr<ErrorWatch> errors)
    : path_(std::move(path)),
      seal_(std::move(seal)),
      db_(std::move(db)),
      handles_(std::move(handles)),
      fault_injector_(fault_injector),
      reserve_bytes_(reserve_bytes),
      errors_(std::move(errors)) {}

namespace {

// A folder that holds a database's files (tables, write-ahead logs, a manifest) but no CURRENT,
// the file that names the manifest, is a damaged or cut database. Opened with create_if_missing,
// RocksDB would take it for an empty folder, create a new database there and delete the old
// files as obsolete: the evidence and the data would be gone before anything refused.
absl::Status RefuseFilesWithoutCurrent(rocksdb::Env* env, const std::string& path) {
  std::vector<std::string> children;
  if (!env->GetChildren(path, &children).ok()) return absl::OkStatus();  // no folder yet
  bool has_current = false;
  std::string database_file;
  for (const std::string& name : children) {
    if (name == "CURRENT") has_current = true;
    if (absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".log") ||
        absl::StartsWith(name, "MANIFEST-")) {
      database_file = name;
    }
  }
  if (has_current || database_file.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "the data directory ", path, " holds database files (", database_file,
      ") but no CURRENT file: it is damaged or incomplete, and nothing in it was changed. Keep it "
      "for the investigation and restore the newest backup (docs/operations.md)"));
}

}  // namespace

bool Database::Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path + "/CURRENT", ec);
}

absl::StatusOr<std::vector<std::string>> Database::MissingFamilies(const std::string& path,
                                                                   const StorageSeams& seams) {
  rocksdb::DBOptions options;
  if (seams.env != nullptr) options.env = seams.env;
  std::vector<std::string> held;
  // Reads CURRENT and the MANIFEST it names; opens no database.
  const rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, path, &held);
  if (!s.ok()) return FromRocksDb(s);
  std::vector<std::string> missing;
  for (const char* name : kCfNames) {
    if (std::find(held.begin(), held.end(), name) == held.end()) missing.emplace_back(name);
  }
  return missing;
}

std::string Database::RunningLockPath(const std::string& path) {
  std::string dir = path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + ".lock";
}

namespace {

absl::Status RefuseRunning(const std::string& path, const std::string& lock_path) {
  return absl::FailedPreconditionError(absl::StrCat(
      "registryd is running on ", path, " (a process holds ", lock_path,
      "): stop registryd first; nothing was changed"));
}

// Takes the flock on `lock_path` (made, mode 0600, when absent) and returns its descriptor.
// FailedPrecondition when another open holds it. The file is opened to read only: flock needs
// no more, and a service that sees the folder above its data read-only (systemd's
// ProtectSystem=strict) can still lock a lock file made for it beforehand (deploy/debian/postinst).
absl::StatusOr<int> TakeRunningLock(const std::string& path, const std::string& lock_path) {
  int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, 0600);
    if (fd < 0 && errno == EEXIST) {
      fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
  }
  if (fd < 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat(
        "cannot open or create ", lock_path, " (", std::strerror(error), "), the file whose lock "
        "tells that registryd runs on ", path, ": let registryd's account create it in the "
        "folder that holds the data folder, or create it for that account (mode 0600)"));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) return RefuseRunning(path, lock_path);
    return absl::UnavailableError(
        absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(error)));
  }
  return fd;
}

}  // namespace

absl::Status Database::RefuseWhileOpen(const std::string& path) {
  // The lock beside the folder first: held by a running registryd whether or not its data
  // folder is still there. A probe of our own is safe with flock (unlike RocksDB's POSIX lock
  // below): a lock belongs to the open that took it, and closing another descriptor of the file
  // leaves it; another open of this process holding it refuses the probe as another process's.
  const std::string running_lock = RunningLockPath(path);
  if (const int fd = ::open(running_lock.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW); fd >= 0) {
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // lets go of the probe's lock, when it took it
    if (held) return RefuseRunning(path, running_lock);
  }
  const std::string lock_path = path + "/LOCK";
  rocksdb::Env* const env = rocksdb::Env::Default();
  if (!env->FileExists(lock_path).ok()) return absl::OkStatus();  // no database there
  // RocksDB's own lock, taken and given back: refused when another process holds it, and when
  // this one does (RocksDB keeps the set of files it locked and does not open them again). A
  // probe of our own would have to open and close the file, and closing any descriptor of a file
  // drops every lock of the process on it, RocksDB's among them: a process that had the database
  // open would have lost its lock to the probe.
  rocksdb::FileLock* lock = nullptr;
  const rocksdb::Status locked = env->LockFile(lock_path, &lock);
  if (locked.ok()) {
    env->UnlockFile(lock);
    return absl::OkStatus();
  }
  const std::string why = locked.ToString();
  // Another reason (the file cannot be opened) is left to the open that follows.
  if (!absl::StrContains(why, "While lock file") &&
      !absl::StrContains(why, "lock hold by current process")) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the database in ", path, " is open (a process holds ", lock_path,
      "): registryd is running on it; stop registryd first; nothing was changed"));
}

namespace {

// RocksDB's log, not kept: for a read-only open, which must write no file.
class DiscardingLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

}  // namespace

bool Database::RefusedForItsWriteAheadLog(const absl::Status& status) {
  return !status.ok() && status.GetPayload(WalSeal::kRefusalUrl).has_value();
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("database path is empty");
  if (options.seams.env == nullptr) RETURN_IF_ERROR(RefuseWhileOpen(options.path));
  // Closed on every return below until the database owns it.
  struct RunningLock {
    int fd = -1;
    ~RunningLock() {
      if (fd >= 0) ::close(fd);
    }
  } running_lock;
  if (options.seams.env == nullptr && !options.read_only && options.hold_running_lock) {
    ASSIGN_OR_RETURN(running_lock.fd,
                     TakeRunningLock(options.path, RunningLockPath(options.path)));
  }
  rocksdb::Env* const env =
      options.seams.env != nullptr ? options.seams.env : rocksdb::Env::Default();
  if (options.create_if_missing && !options.read_only) {
    RETURN_IF_ERROR(RefuseFilesWithoutCurrent(env, options.path));
  } else if (!env->FileExists(options.path + "/CURRENT").ok()) {
    // An offline command given a mistyped data_dir: said as such, not as RocksDB's complaint
    // about its CURRENT file (and, before, a new empty database was made there).
    return absl::NotFoundError(absl::StrCat("no database in ", options.path,
                                            ": check data_dir in the config; nothing was "
                                            "created"));
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  if (options.seams.env != nullptr) db_options.env = options.seams.env;
  // Integrity: verify everything we can, and fail rather than serve a damaged database.
  db_options.paranoid_checks = true;
  db_options.track_and_verify_wals_in_manifest = true;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  // RocksDB's own log (LOG in the data folder) at INFO level notes every flush and compaction
  // with its family and its number of deletions: the flush and compaction after each erasure
  // (RecordStore::CompactAfterErasure) would date every erasure and size the record for whoever
  // holds the folder. Warnings and errors only; the options it opened with are still written.
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // Concurrent writers share one WAL write and fsync (group commit).
  db_options.enable_pipelined_write = false;
  // After a background error only Write resumes RocksDB (see ErrorWatch): neither the
  // SstFileManager's recovery from a full disk (the listener turns it down) nor the thread that
  // retries errors RocksDB calls retryable (none is started) is there to answer Busy to it.
  auto errors = std::make_shared<ErrorWatch>();
  db_options.listeners.push_back(errors);
  db_options.max_bgerror_resume_count = 0;
  // Every record replayed from the write-ahead log must carry this registry's seal (see Open).
  std::shared_ptr<WalSeal> seal;
  if (!options.wal_seal_key.empty()) {
    ASSIGN_OR_RETURN(seal, WalSeal::Create(options.wal_seal_key));
    db_options.wal_filter = seal.get();
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache));
  for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) {
    const Cf family = static_cast<Cf>(i);
    families.emplace_back(kCfNames[i], FamilyOptions(cache, family == Cf::kAudit
                                                                ? kAuditBlockBytes
                                                                : kPointBlockBytes));
  }

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s;
  // The writable open's log, begun only once the database has opened (below).
  std::shared_ptr<RocksDbInfoLog> info_log;
  if (options.read_only) {
    // Without a log of its own: RocksDB would rename LOG aside and write a new one.
    db_options.create_if_missing = false;
    db_options.create_missing_column_families = false;
    db_options.info_log = std::make_shared<DiscardingLogger>();
    s = rocksdb::DB::OpenForReadOnly(db_options, options.path, families, &handles, &raw,
                                     /*error_if_wal_file_exists=*/false);
  } else {
    // RocksDB's own logger stays failed after a write error (a full disk) and fails an assertion
    // at its next line, ending the process: ours drops such a line and goes on. Nor does ours
    // write into the folder before the open has succeeded: an open that fails (a table file
    // deleted, a MANIFEST cut short) leaves it as it was, for the investigation, however often
    // registryd is started again.
    info_log = RocksDbInfoLog::Open(options.path, db_options.info_log_level);
    db_options.info_log = info_log;
    // A new database's folder, made as the log made it before: its user's only. (An existing
    // one is left as it is: mkdir changes nothing there.)
    if (options.create_if_missing) {
      ::mkdir(options.path.c_str(), 0700);
    }
    s = rocksdb::DB::Open(db_options, options.path, families, &handles, &raw);
  }
  // A record without this registry's seal is never taken for a write cut off by a crash: the
  // filter's verdict refuses the open before, and whatever the retry below meets.
  if (seal != nullptr) RETURN_IF_ERROR(seal->Refusal(options.path));
  bool dropped_cut_off_write = false;
  if (!options.read_only && s.IsCorruption() && EndsInUnfinishedRecord(s) &&
      NewestWalEndsOnAPage(db_options.env != nullptr ? db_options.env : rocksdb::Env::Default(),
                           options.path)) {
    // See Open's comment: a write the kernel cut off at a page boundary when the process died.
    db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
    handles.clear();
    raw = nullptr;
    s = rocksdb::DB::Open(db_options, options.path, families, &handles, &raw);
    if (seal != nullptr) {
      absl::Status refused = seal->Refusal(options.path);
      if (!refused.ok()) {
        // A filter's verdict fails the replay under this mode too; a database that opened
        // anyway is closed unused.
        if (s.ok()) {
          for (rocksdb::ColumnFamilyHandle* h : handles) raw->DestroyColumnFamilyHandle(h);
          delete raw;
        }
        return refused;
      }
    }
    dropped_cut_off_write = s.ok();
  }
  if (s.IsCorruption()) {
    // RocksDB names a damaged table or manifest, but not the write-ahead log whose record fails
    // its checksum: say which folder, and what to do.
    return absl::DataLossError(absl::StrCat(
        "the database in ", options.path, " is damaged (rocksdb: ", s.ToString(),
        "): nothing is served from it; check it with registryd --verify_data, or restore the "
        "latest backup (registryd --restore_backup 0)"));
  }
  if (s.IsNoSpace()) {
    // Most often after a kill on a full disk: the open replays the write-ahead log into a new
    // table file and has no room for it. RocksDB's text alone named a file, not what to do.
    // Unavailable: registryd exits 1 (try again), and starts once there is room.
    return absl::UnavailableError(absl::StrCat(
        "the disk holding data_dir ", options.path, " is full: the database cannot be opened "
        "(it writes its files at open). Free space on that disk (old backups beyond the "
        "retention; never files in ", options.path, "), then start registryd again: nothing "
        "is lost, what was written is still in ", options.path, " (rocksdb: ", s.ToString(),
        ")"));
  }
  if (!s.ok()) return FromRocksDb(s);
  std::unique_ptr<rocksdb::DB> db(raw);  // wrap at once
  if (info_log != nullptr) info_log->Begin();
  // handles[0] is the default family, which we do not use; keep ours in Cf order.
  db->DestroyColumnFamilyHandle(handles[0]);
  handles.erase(handles.begin());
  std::unique_ptr<Database> opened(new Database(options.path, std::move(seal), std::move(db),
                                               std::move(handles),
                                               options.seams.fault_injector,
                                               options.reserve_bytes, std::move(errors)));
  opened->running_lock_fd_ = running_lock.fd;
  running_lock.fd = -1;
  opened->read_only_ = options.read_only;
  if (!options.index_seal_key.empty()) {
    ASSIGN_OR_RETURN(opened->index_seal_, IndexSeal::Create(options.index_seal_key));
    ASSIGN_OR_RETURN(const std::optional<std::string> stored,
                     opened->Get(Cf::kMeta, kIndexSealRow));
    if (!stored.has_value()) {
      opened->index_seal_->Load(std::nullopt, /*damaged=*/false);
    } else {
      absl::StatusOr<IndexSealSum> sum = opened->index_seal_->Decode(*stored);
      // A damaged seal does not refuse the open: the court's reads go on, vetting is refused.
      opened->index_seal_->Load(sum.ok() ? std::optional<IndexSealSum>(*sum) : std::nullopt,
                                /*damaged=*/!sum.ok());
    }
  }
  if (dropped_cut_off_write) {
    opened->dropped_at_open_ = true;
    ASSIGN_OR_RETURN(const uint64_t before, opened->CutOffWrites());
    Batch count;
    count.Put(Cf::kMeta, kCutOffWritesKey, absl::StrCat(before + 1));
    RETURN_IF_ERROR(opened->Write(count));
  }
  return opened;
}

absl::StatusOr<uint64_t> Database::CutOffWrites() const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, Get(Cf::kMeta, kCutOffWritesKey));
  if (!stored.has_value()) return 0;
  uint64_t count = 0;
  if (!absl::SimpleAtoi(*stored, &count)) {
    return absl::DataLossError("malformed count of cut-off writes");
  }
  return count;
}

void Database::ClearCutOffWrites(Batch* batch) { batch->Delete(Cf::kMeta, kCutOffWritesKey); }

Database::~Database() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_->Close().PermitUncheckedError();
  // Only now: until RocksDB is done with the folder, registryd still runs on it.
  if (running_lock_fd_ >= 0) ::close(running_lock_fd_);
}

absl::StatusOr<std::optional<std::string>> Database::Get(Cf family, absl::string_view key,
                                                         BlockCache cache) const {
  std::string value;
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = cache == BlockCache::kFill;
  rocksdb::Status s = db_->Get(ro, cf(family), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocksDb(s);
  return std::optional<std::string>(std::move(value));
}

absl::Status Database::Write(const Batch& batch) {
  const Batch* one[] = {&batch};
  return WriteAll(one);
}

absl::Status Database::WriteAll(absl::Span<const Batch* const> batches) {
  if (fault_injector_ != nullptr) {
    absl::Status injected = fault_injector_->BeforeWrite();
    if (!injected.ok()) return absl::UnavailableError(injected.message());
  }
  // After a failure RocksDB refuses every write (its background error) until resumed.
  if (FailedSinceResumed()) {
    absl::Status resumed = ResumeAfterFailure();
    if (!resumed.ok()) {
      // Damage stays DataLoss: it is not a fault that another try, or a restart, gets past.
      return absl::IsDataLoss(resumed) ? resumed : absl::UnavailableError(resumed.message());
    }
  }
  RETURN_IF_ERROR(KeepAMemtableFilled());
  // The index seal changes with the index rows, in the same write (index_seal.h). Whether each
  // row is there is read under the lock that every such write holds to its end.
  std::vector<IndexRowChange> index_changes;
  if (index_seal_ != nullptr) {
    for (const Batch* batch : batches) {
      for (const Batch::Change& c : batch->changes_) {
        if (c.family != Cf::kIndex) continue;
        if (c.op == Batch::Op::kDeleteRange) {
          return absl::InternalError("a range of index rows is never deleted at once");
        }
        index_changes.push_back({c.op == Batch::Op::kPut, c.key});
      }
    }
  }
  std::optional<absl::MutexLock> sealing;
  std::optional<IndexSealSum> sealed_after;
  std::string seal_row;
  if (!index_changes.empty()) {
    sealing.emplace(&index_seal_mu_);
    if (const std::optional<IndexSealSum> kept = index_seal_->Kept(); kept.has_value()) {
      ASSIGN_OR_RETURN(sealed_after,
                       index_seal_->After(*kept, index_changes,
                                          [this](absl::string_view key) -> absl::StatusOr<bool> {
                                            ASSIGN_OR_RETURN(std::optional<std::string> row,
                                                             Get(Cf::kIndex, key));
                                            return row.has_value();
                                          }));
      ASSIGN_OR_RETURN(seal_row, index_seal_->Encode(*sealed_after));
    }
  }
  rocksdb::WriteBatch out;
  rocksdb::Status s;
  for (const Batch* batch : batches) {
    for (const Batch::Change& c : batch->changes_) {
      const rocksdb::Slice key(c.key), value(c.value);
      switch (c.op) {
        case Batch::Op::kPut:
          s = out.Put(cf(c.family), key, value);
          break;
        case Batch::Op::kDelete:
          s = out.Delete(cf(c.family), key);
          break;
        case Batch::Op::kDeleteRange:
          s = out.DeleteRange(cf(c.family), key, value);
          break;
      }
      if (!s.ok()) return FromRocksDb(s);
    }
  }
  if (sealed_after.has_value()) {
    s = out.Put(cf(Cf::kMeta), kIndexSealRow, seal_row);
    if (!s.ok()) return FromRocksDb(s);
  }
  // The seal that ties the write to this registry, in the write-ahead log only (see Open).
  if (seal_ != nullptr) RETURN_IF_ERROR(seal_->Seal(&out));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Write(wo, &out);
  if (sealed_after.has_value()) {
    if (s.ok()) {
      index_seal_->Keep(*sealed_after);
    } else {
      // What the folder holds now, whether the failed write reached it or not.
      absl::StatusOr<std::optional<std::string>> stored = Get(Cf::kMeta, kIndexSealRow);
      if (stored.ok() && stored->has_value()) {
        absl::StatusOr<IndexSealSum> sum = index_seal_->Decode(**stored);
        if (sum.ok()) index_seal_->Keep(*sum);
      }
    }
  }
  if (!s.ok()) {
    // Counted by the listener when RocksDB stopped for it; counted again here, which costs at
    // most a resume that finds nothing to do.
    errors_->WriteFailed();
    absl::Status st = FromRocksDb(s);
    // Any failed write is an unavailable store to our callers, but damage found meanwhile (the
    // background error RocksDB answers with) is said as such.
    RETURN_IF_ERROR(WritesStoppedForGood());
    return absl::UnavailableError(st.message());
  }
  return absl::OkStatus();
}

absl::StatusOr<IndexSealSum> Database::SumIndexRows(Iterator* it,
                                                   const std::atomic<bool>* stop) const {
  IndexSealSum sum;
  uint64_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (stop != nullptr && (++seen & 0xfff) == 0 && stop->load()) {
      return absl::CancelledError("the index seal's check was stopped");
    }
    RETURN_IF_ERROR(index_seal_->Add(it->key(), &sum));
  }
  RETURN_IF_ERROR(it->status());
  return sum;
}

absl::StatusOr<IndexSealSum> Database::WriteFreshSeal(uint64_t generation) {
  std::unique_ptr<Iterator> it = NewIterator(Cf::kIndex, BlockCache::kBypass);
  ASSIGN_OR_RETURN(IndexSealSum sum, SumIndexRows(it.get(), nullptr));
  sum.generation = generation;
  ASSIGN_OR_RETURN(const std::string row, index_seal_->Encode(sum));
  Batch batch;
  batch.Put(Cf::kMeta, kIndexSealRow, row);
  // No index row in it: WriteAll does not take index_seal_mu_, which this caller holds.
  RETURN_IF_ERROR(Write(batch));
  return sum;
}

absl::StatusOr<std::optional<IndexSealSum>> Database::MakeIndexSealIfAbsent() {
  if (index_seal_ == nullptr) return std::optional<IndexSealSum>();
  if (read_only_) return absl::FailedPreconditionError("a read-only database is not sealed");
  absl::MutexLock lock(&index_seal_mu_);
  ASSIGN_OR_RETURN(const std::optional<std::string> stored, Get(Cf::kMeta, kIndexSealRow));
  if (stored.has_value()) return std::optional<IndexSealSum>();
  ASSIGN_OR_RETURN(const IndexSealSum sum, WriteFreshSeal(/*generation=*/0));
  index_seal_->Keep(sum);
  return std::optional<IndexSealSum>(sum);
}

absl::StatusOr<IndexSealSum> Database::ResealIndex(uint64_t past_generation) {
  if (index_seal_ == nullptr) return absl::FailedPreconditionError("no index seal key");
  if (read_only_) return absl::FailedPreconditionError("a read-only database is not sealed");
  absl::MutexLock lock(&index_seal_mu_);
  // Past every generation seen: the new seal is never taken for one put back.
  uint64_t generation = past_generation;
  ASSIGN_OR_RETURN(const std::optional<std::string> stored, Get(Cf::kMeta, kIndexSealRow));
  if (stored.has_value()) {
    absl::StatusOr<IndexSealSum> before = index_seal_->Decode(*stored);
    if (before.ok()) generation = std::max(generation, before->generation);
  }
  ASSIGN_OR_RETURN(const IndexSealSum sum, WriteFreshSeal(generation + 1));
  index_seal_->Load(sum, /*damaged=*/false);
  IndexSealCheck check;
  check.sealed = true;
  check.sealed_rows = check.found_rows = sum.rows;
  check.matches = true;
  index_seal_->SetVerdict(check);
  return sum;
}

void Database::RecordIndexSealVerdict(const IndexSealCheck& check) const {
  if (index_seal_ != nullptr) index_seal_->SetVerdict(check);
}

absl::StatusOr<IndexSealCheck> Database::CheckIndexSeal(const std::atomic<bool>* stop,
                                                        bool record_verdict) const {
  IndexSealCheck check;
  if (index_seal_ == nullptr) return check;
  std::optional<std::string> stored;
  std::unique_ptr<Iterator> it;
  {
    // The stored seal and the rows as of one moment: no write of index rows is half done.
    absl::MutexLock lock(&index_seal_mu_);
    ASSIGN_OR_RETURN(stored, Get(Cf::kMeta, kIndexSealRow));
    if (stored.has_value()) it = NewIterator(Cf::kIndex, BlockCache::kBypass);
  }
  if (!stored.has_value()) return check;
  check.sealed = true;
  absl::StatusOr<IndexSealSum> sealed = index_seal_->Decode(*stored);
  if (!sealed.ok()) {
    check.damaged = true;
  } else {
    check.sealed_rows = sealed->rows;
    ASSIGN_OR_RETURN(const IndexSealSum found, SumIndexRows(it.get(), stop));
    check.found_rows = found.rows;
    check.matches = found == *sealed;
  }
  if (record_verdict) index_seal_->SetVerdict(check);
  return check;
}

absl::Status Database::RoomForChange() const {
  if (reserve_bytes_ == 0) return absl::OkStatus();
  uint64_t free = 0;
  if (!db_->GetEnv()->GetFreeSpace(path_, &free).ok()) return absl::OkStatus();
  if (free >= reserve_bytes_) return absl::OkStatus();
  // Our own words and numbers only: the caller (a clerk, an officer) is told why, not "cannot
  // record this call", which was false (the refusal is recorded). RESOURCE_EXHAUSTED, gRPC's code
  // for a file system out of space: a definite refusal, nothing was changed, where UNAVAILABLE
  // leaves a client to wonder whether the change was made.
  return PublicError(absl::ResourceExhaustedError(
      "the registry's disk is nearly full: changes are refused until an operator frees space "
      "(reads go on)"));
}

absl::Status Database::RoomForBackupIn(const std::string& backup_dir) {
  // The backup's own words, not a record change's ("the registry's disk is nearly full: changes
  // are refused"), which told the operator neither that no backup was taken nor how much room a
  // backup needs: the backup folder's disk first (the data folder's, often the same disk, too),
  // then the data folder's reserve (the backup's flush writes there).
  uint64_t data_free = 0;
  const bool data_low = reserve_bytes_ > 0 && !RoomForChange().ok() &&
                        db_->GetEnv()->GetFreeSpace(path_, &data_free).ok();
  uint64_t needed = 0;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    uint64_t sst = 0;
    uint64_t memtables = 0;
    db_->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
    db_->GetIntProperty(h, rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
    needed += sst + memtables;
  }
  uint64_t free = 0;
  if (db_->GetEnv()->GetFreeSpace(backup_dir, &free).ok() && free < needed + reserve_bytes_) {
    return PublicError(absl::ResourceExhaustedError(absl::StrCat(
        "no backup taken: the backup folder's disk has ", free >> 20,
        " MiB free, and a backup may need ", (needed + reserve_bytes_) >> 20,
        " MiB (the database and the reserve); free space first")));
  }
  if (data_low) {
    return PublicError(absl::ResourceExhaustedError(absl::StrCat(
        "no backup taken: the data folder's disk has ", data_free >> 20, " MiB free, below the ",
        reserve_bytes_ >> 20, " MiB kept for audit events; free space first")));
  }
  if (FailedSinceResumed()) RETURN_IF_ERROR(ResumeAfterFailure());
  return absl::OkStatus();
}

absl::Status Database::RoomToRestoreIn(const std::string& dir, uint64_t bytes) const {
  uint64_t free = 0;
  if (!db_->GetEnv()->GetFreeSpace(dir, &free).ok()) return absl::OkStatus();
  if (free >= bytes + reserve_bytes_) return absl::OkStatus();
  return PublicError(absl::ResourceExhaustedError(absl::StrCat(
      "backup not verified: the backup folder's disk has ", free >> 20,
      " MiB free, and restoring the backup to check it may need ",
      (bytes + reserve_bytes_) >> 20,
      " MiB (the backup and the reserve); free space first. Nothing was found wrong with the "
      "backup")));
}

bool Database::FailedSinceResumed() const {
  return errors_->failures() != resumed_through_.load();
}

absl::Status Database::ResumeAfterFailure() {
  // One resume at a time; writers that queued behind it find it done.
  absl::MutexLock lock(&resume_mu_);
  const ErrorWatch::Snapshot seen = errors_->Read();
  if (seen.failures == resumed_through_.load()) return absl::OkStatus();
  if (seen.fatal.empty() && seen.wal_failure > wal_checked_through_) {
    // The write that failed on the write-ahead log left that log's writer refusing every later
    // append (and RocksDB 7.8, built with its assertions on as Debian's is, aborts the process on
    // the next one). DB::Resume moves writes to a new log only as part of flushing a memtable
    // that holds an entry; with every memtable empty it would keep the failed log, and the next
    // write would end registryd. KeepAMemtableFilled keeps one filled before each write, so this
    // is reached only when a flush of another thread emptied them all between that and the
    // write; a restart is then the way back (it starts a new log). Once a filled memtable was
    // found here, the failed log is done with: no flush empties that memtable before a resume
    // does (RocksDB's background flushes wait for the resume; ours, a backup's too, resume
    // first), and the resume that flushes it starts a new log.
    ASSIGN_OR_RETURN(const bool filled, AnyMemtableHoldsData());
    if (!filled) {
      errors_->SetFatal(
          "a write failed on the write-ahead log while every memtable was empty, so that no "
          "resume can move writes to a new log");
    } else {
      wal_checked_through_ = seen.failures;
    }
  }
  RETURN_IF_ERROR(WritesStoppedForGood());
  if (seen.stop_failure > resumed_through_.load()) RETURN_IF_ERROR(RoomToResume());
  // Resume is a no-op when RocksDB holds no background error (a failure that did not stop it),
  // and otherwise flushes the memtables to new files and switches to a new write-ahead log, so
  // that a record the failed write left half-written at the end of the old log is never
  // followed by later records: recovery (kAbsoluteConsistency) would refuse such a log. While
  // the disk is still full its flush fails and RocksDB stays stopped; the next write tries again.
  rocksdb::Status s;
  uint64_t put_right = seen.failures;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const ErrorWatch::Snapshot before = errors_->Read();
    s = db_->Resume();
    if (s.ok()) {
      // Only the failures seen before the resume are put right by it; one reported since is
      // left for the next write.
      put_right = before.failures;
      break;
    }
    if (s.severity() >= rocksdb::Status::Severity::kFatalError) {
      errors_->SetFatal(absl::StrCat("rocksdb: ", s.ToString()));
      break;
    }
    // A resume first waits for the background jobs under way; one that was running when writes
    // stopped (a compaction, its manifest write, on the full disk) and fails in the meantime
    // fails the resume too, though the resume's own work went through: RocksDB counts every
    // error during a recovery against it. No background job starts again before a resume
    // succeeds, so a second one meets only its own flush; its failure is the answer.
  }
  if (!s.ok()) return FromRocksDb(s);
  resumed_through_.store(put_right);
  return absl::OkStatus();
}

absl::Status Database::ResumeIfFailed() {
  if (!FailedSinceResumed()) return WritesStoppedForGood();
  return ResumeAfterFailure();
}

absl::Status Database::WritesStoppedForGood() const {
  const ErrorWatch::Snapshot seen = errors_->Read();
  if (seen.fatal.empty()) return absl::OkStatus();
  // Never resumed (see Write): the message says what it takes.
  if (seen.damaged) {
    return absl::DataLossError(absl::StrCat(
        "the database stopped all writes: a table file is damaged (", seen.fatal,
        "); a restart meets the same damage. Stop registryd, find the file with registryd "
        "--verify_data, and restore the newest sound backup (docs/operations.md)"));
  }
  return absl::UnavailableError(absl::StrCat(
      "the database stopped all writes after an error it cannot resume from without a "
      "restart (", seen.fatal, "); restart registryd, then check the data with "
      "registry-cli admin verify-data"));
}

absl::Status Database::RoomToResume() const {
  uint64_t needed = kResumeSlackBytes;
  std::vector<rocksdb::ColumnFamilyHandle*> families = handles_;
  families.push_back(db_->DefaultColumnFamily());
  for (rocksdb::ColumnFamilyHandle* h : families) {
    uint64_t memtables = 0;
    db_->GetIntProperty(h, rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
    needed += memtables;
  }
  uint64_t free = 0;
  if (!db_->GetEnv()->GetFreeSpace(path_, &free).ok()) return absl::OkStatus();
  if (free >= needed) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "the database's disk has ", free, " bytes free, and resuming writes after the failure "
      "needs ", needed, " (the memtables it flushes, a new write-ahead log): free space"));
}

absl::StatusOr<bool> Database::AnyMemtableHoldsData() const {
  std::vector<rocksdb::ColumnFamilyHandle*> families = handles_;
  families.push_back(db_->DefaultColumnFamily());
  for (rocksdb::ColumnFamilyHandle* h : families) {
    uint64_t entries = 0;
    if (!db_->GetIntProperty(h, rocksdb::DB::Properties::kNumEntriesActiveMemTable, &entries)) {
      return absl::InternalError("rocksdb: no count of memtable entries");
    }
    if (entries > 0) return true;
  }
  return false;
}

// A write that fails on the write-ahead log must find a memtable holding an entry, so that the
// resume after it flushes that memtable and with it moves writes to a new log (see
// ResumeAfterFailure). Every write the registry makes puts the audit log's state in the meta
// family, so its memtable holds an entry, except right after everything was flushed (a resume,
// a backup, Flush, an open that replayed a log) and before the next write succeeds: then this
// puts a deletion of a key nobody writes there, outside the write-ahead log (nothing is written
// to the disk for it, so it cannot fail for want of space; a crash loses only that).
absl::Status Database::KeepAMemtableFilled() {
  uint64_t entries = 0;
  if (!db_->GetIntProperty(cf(Cf::kMeta), rocksdb::DB::Properties::kNumEntriesActiveMemTable,
                           &entries)) {
    return absl::InternalError("rocksdb: no count of memtable entries");
  }
  if (entries > 0) return absl::OkStatus();
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  rocksdb::WriteBatch keeper;
  rocksdb::Status s = keeper.Delete(cf(Cf::kMeta), kMemtableKeeperKey);
  if (s.ok()) s = db_->Write(wo, &keeper);
  if (!s.ok()) {
    // RocksDB stopped in the meantime (a background error): the next write resumes it.
    errors_->WriteFailed();
    return absl::UnavailableError(FromRocksDb(s).message());
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Database::BlockCacheBytes() const {
  uint64_t bytes = 0;
  if (!db_->GetIntProperty(cf(Cf::kRecords), rocksdb::DB::Properties::kBlockCacheUsage, &bytes)) {
    return absl::InternalError("rocksdb: no block cache usage");
  }
  return bytes;
}

absl::StatusOr<bool> Database::BackgroundWorkIdle() const {
  const auto property = [this](rocksdb::ColumnFamilyHandle* h, const std::string& name,
                               uint64_t* value) -> absl::Status {
    if (!db_->GetIntProperty(h, name, value)) {
      return absl::InternalError(absl::StrCat("rocksdb: no ", name));
    }
    return absl::OkStatus();
  };
  std::vector<rocksdb::ColumnFamilyHandle*> families = handles_;
  families.push_back(db_->DefaultColumnFamily());
  uint64_t running = 0;
  RETURN_IF_ERROR(property(families.back(), rocksdb::DB::Properties::kNumRunningCompactions,
                           &running));
  uint64_t flushing = 0;
  RETURN_IF_ERROR(
      property(families.back(), rocksdb::DB::Properties::kNumRunningFlushes, &flushing));
  if (running > 0 || flushing > 0) return false;
  for (rocksdb::ColumnFamilyHandle* h : families) {
    uint64_t compaction = 0;
    uint64_t flush = 0;
    RETURN_IF_ERROR(property(h, rocksdb::DB::Properties::kCompactionPending, &compaction));
    RETURN_IF_ERROR(property(h, rocksdb::DB::Properties::kMemTableFlushPending, &flush));
    if (compaction > 0 || flush > 0) return false;
  }
  return true;
}

std::unique_ptr<Iterator> Database::NewIterator(Cf family, BlockCache cache) const {
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = cache == BlockCache::kFill;
  return std::unique_ptr<Iterator>(
      new Iterator(std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, cf(family)))));
}

absl::Status Database::CompactRange(Cf family, absl::string_view begin, absl::string_view end) {
  // A flush meets RocksDB's background error as a write does.
  if (FailedSinceResumed()) RETURN_IF_ERROR(ResumeAfterFailure());
  rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), cf(family));
  if (!s.ok()) return FromRocksDb(s);
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  rocksdb::Slice b(begin.data(), begin.size()), e(end.data(), end.size());
  s = db_->CompactRange(co, cf(family), begin.empty() ? nullptr : &b, end.empty() ? nullptr : &e);
  return FromRocksDb(s);
}

absl::Status Database::VerifyTableChecksums() const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // the whole database once: it would only push the calls' blocks out
  return FromRocksDb(db_->VerifyChecksum(ro));
}

absl::Status Database::Flush() {
  // A flush meets RocksDB's background error as a write does.
  if (FailedSinceResumed()) RETURN_IF_ERROR(ResumeAfterFailure());
  rocksdb::FlushOptions fo;
  fo.wait = true;
  for (auto* h : handles_) {
    rocksdb::Status s = db_->Flush(fo, h);
    if (!s.ok()) return FromRocksDb(s);
  }
  return FromRocksDb(db_->SyncWAL());
}

namespace {

// `v`'s low `size` bytes, most significant first: keys that sort as the numbers do.
std::string EncodeBigEndian(uint64_t v, int size) {
  std::string out(static_cast<size_t>(size), '\0');
  for (int i = size - 1; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

// The number in the first `size` bytes of `b`, most significant first.
uint64_t DecodeBigEndian(absl::string_view b, int size) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

}  // namespace

std::string EncodeU64(uint64_t v) { return EncodeBigEndian(v, 8); }

std::string EncodeU32(uint32_t v) { return EncodeBigEndian(v, 4); }

uint64_t DecodeU64(absl::string_view b) { return DecodeBigEndian(b, 8); }

uint32_t DecodeU32(absl::string_view b) { return static_cast<uint32_t>(DecodeBigEndian(b, 4)); }

}  // namespace registry::storage
