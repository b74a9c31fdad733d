// RocksDbInfoLog: RocksDB's own log (LOG in the data folder), written by the registry rather than
// by RocksDB's logger, so that a write error never ends the process.
//
// RocksDB's logger writes through a WritableFileWriter, which stays in its error state after a
// failed write (a full disk): the next line it is given fails an assertion, and Debian's
// librocksdb is built with assertions on. A full disk that an operator freed thus ended
// registryd at the first warning RocksDB wrote afterwards (`registry-cli admin verify-data`, which
// opens every table file). This logger appends each line with plain write(2) calls and drops a
// line it cannot write; after a failed write it opens the file again for the next line, so that
// the log goes on once space returns.
//
// As RocksDB's logger did: the previous LOG is renamed aside to LOG.old.<microseconds> (RocksDB
// deletes all but the newest DBOptions::keep_log_file_num of them), each line starts with the
// time and the thread, and lines below the level given are not written (RocksDB's header lines,
// the options it opened with, are INFO lines to a logger: not written at WARN).
//
// Unlike RocksDB's logger, it touches the folder only once the database has opened (Begin): until
// then its lines are held in memory. An open that fails (a table file deleted, a MANIFEST cut
// short) thus leaves the folder, kept for the investigation, byte for byte as it was, however
// often a service manager starts registryd again; the lines of such an open are dropped (the
// open's error says what failed).
//
//   auto log = RocksDbInfoLog::Open(path, rocksdb::InfoLogLevel::WARN_LEVEL);
//   db_options.info_log = log;
//   ... rocksdb::DB::Open(db_options, ...) succeeded ...
//   log->Begin();
#ifndef REGISTRY_STORAGE_ROCKSDB_INFO_LOG_H_
#define REGISTRY_STORAGE_ROCKSDB_INFO_LOG_H_

#include <cstdarg>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"

namespace registry::storage {

class RocksDbInfoLog : public rocksdb::Logger {
 public:
  // The log of the database in `dir`, not yet begun: it writes nothing, and holds its lines in
  // memory (up to kHeldBytes; later ones are dropped), until Begin.
  static std::shared_ptr<RocksDbInfoLog> Open(const std::string& dir,
                                              rocksdb::InfoLogLevel level);

  // Once the database has opened: renames the folder's LOG aside (when there is one), creates a
  // new LOG and writes the lines held so far into it, then each line as it comes. Never fails: a
  // file that cannot be opened now is tried again at the next line. Does nothing a second time,
  // nor for a log made by the constructor below.
  void Begin();

  // How much a log not yet begun holds in memory.
  static constexpr size_t kHeldBytes = 256 * 1024;

  // A log appending to `file` as it is (no rename, no folder made), opened at once; for tests,
  // e.g. /dev/full.
  RocksDbInfoLog(std::string file, rocksdb::InfoLogLevel level);
  ~RocksDbInfoLog() override;

  RocksDbInfoLog(const RocksDbInfoLog&) = delete;
  RocksDbInfoLog& operator=(const RocksDbInfoLog&) = delete;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

  // Lines written, and lines dropped because the file could not be opened or written.
  uint64_t written() const;
  uint64_t dropped() const;

 protected:
  rocksdb::Status CloseImpl() override;

 private:
  // Writes `line` whole, opening the file first when it is not open. False when it could not.
  bool WriteLocked(const std::string& line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RocksDbInfoLog(std::string file, rocksdb::InfoLogLevel level, bool begun);

  const std::string file_;
  mutable absl::Mutex mu_;
  bool begun_ ABSL_GUARDED_BY(mu_) = true;  // false: lines are held in `held_`, nothing written
  std::string held_ ABSL_GUARDED_BY(mu_);
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  bool shut_ ABSL_GUARDED_BY(mu_) = false;  // Close was called: no more lines
  bool cut_ ABSL_GUARDED_BY(mu_) = false;   // the last line was written only in part
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_ROCKSDB_INFO_LOG_H_
